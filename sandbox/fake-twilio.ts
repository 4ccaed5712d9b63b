/**
 * A fake of the part of Twilio's REST API the ballot tracker uses, close enough that the real
 * `twilio` SDK talks to it unchanged (point its HTTP client here, see delivery/providers/twilio.ts):
 *
 * - POST /2010-04-01/Accounts/{Sid}/Messages.json and Calls.json, basic auth (401 / 20003),
 *   Twilio-shaped resources (SM... / CA..., status queued) and errors ({ code, message, more_info,
 *   status });
 * - fault injection: rates of 429 (20429, with Retry-After), 500 and hangs longer than a client
 *   timeout; a queue of faults for the next requests; error codes per recipient (Twilio's magic test
 *   numbers by default);
 * - signed status callbacks (X-Twilio-Signature) with a configurable progression, and simulated
 *   inbound SMS posted to a configured webhook;
 * - every accepted message or call kept in `messages` for assertions.
 */
import { randomBytes } from 'node:crypto';
import express, {
  type ErrorRequestHandler,
  type Express,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import twilio from 'twilio';
import { waitFor } from './common.js';
import { FakeProvider, type BaseFaults } from './fake-provider.js';

export type TwilioChannel = 'sms' | 'voice';

export interface RecordedTwilioMessage {
  sid: string;
  channel: TwilioChannel;
  to: string;
  from?: string;
  messagingServiceSid?: string;
  /** SMS text. */
  body?: string;
  /** Call TwiML. */
  twiml?: string;
  statusCallback?: string;
  statusCallbackEvents?: string[];
  validityPeriod?: number;
  /** Every form parameter as received. */
  params: Record<string, string | string[]>;
  at: Date;
}

/** One status a callback reports; an error code makes sense with undelivered / failed. */
export type StatusStep = string | { status: string; errorCode?: number };

export interface TwilioCallbackOptions {
  /** Post status callbacks to each message's StatusCallback URL (default true). */
  enabled: boolean;
  /** Delay before the first callback and between the following ones. */
  delayMs: number;
  sms: StatusStep[];
  voice: StatusStep[];
  /** Per recipient, replaces the default progression of its channel. */
  byRecipient: Record<string, StatusStep[]>;
}

/** A 429 is Twilio's 20429. */
export interface TwilioFaults extends BaseFaults {
  /** Retry-After sent with a 429, in seconds; undefined sends none. */
  retryAfterSeconds: number | undefined;
  /** Error code per SMS recipient (E.164). */
  smsRecipientErrors: Record<string, number>;
  /** Error code per voice recipient. */
  voiceRecipientErrors: Record<string, number>;
}

export type TwilioFault =
  | { kind: 'rate_limit'; retryAfterSeconds?: number }
  | { kind: 'server_error'; status?: number }
  | { kind: 'timeout' }
  | { kind: 'error'; code: number };

export interface FakeTwilioOptions {
  accountSid?: string;
  authToken?: string;
  port?: number;
  host?: string;
  faults?: Partial<TwilioFaults>;
  callbacks?: Partial<TwilioCallbackOptions>;
  /** Our inbound SMS webhook (what the phone number's "A message comes in" URL would be). */
  inboundSmsUrl?: string;
  /** Dice for fault rates; pass a seeded generator for reproducible runs. */
  random?: () => number;
}

/**
 * Twilio's magic test numbers keep their meaning here (+15005550001 invalid, ...002 unroutable,
 * ...003 no region permission, ...004 opted out, ...009 not a mobile number), plus a landline.
 */
export const DEFAULT_SMS_RECIPIENT_ERRORS: Readonly<Record<string, number>> = {
  '+15005550001': 21211,
  '+15005550002': 21612,
  '+15005550003': 21408,
  '+15005550004': 21610,
  '+15005550009': 21614,
  '+15005550010': 21635,
};

export const DEFAULT_VOICE_RECIPIENT_ERRORS: Readonly<Record<string, number>> = {
  '+15005550001': 21211,
  '+15005550002': 21612,
};

/** Twilio's HTTP status and wording for the codes the fake can produce. */
export const TWILIO_ERRORS: Readonly<Record<number, { status: number; message: string }>> = {
  20003: { status: 401, message: 'Authenticate' },
  20404: { status: 404, message: 'The requested resource was not found' },
  20429: { status: 429, message: 'Too Many Requests' },
  20500: { status: 500, message: 'An internal server error has occurred' },
  21211: { status: 400, message: "The 'To' number is not a valid phone number." },
  21408: {
    status: 400,
    message: 'Permission to send an SMS has not been enabled for the region indicated by the To number',
  },
  21602: { status: 400, message: 'Message body is required.' },
  21603: { status: 400, message: "A 'From' phone number is required." },
  21604: { status: 400, message: "A 'To' phone number is required." },
  21606: {
    status: 400,
    message: "The 'From' phone number provided is not a valid message-capable Twilio phone number.",
  },
  21608: {
    status: 400,
    message: 'The number is unverified. Trial accounts cannot send messages to unverified numbers.',
  },
  21610: { status: 400, message: 'Attempt to send to unsubscribed recipient' },
  21612: { status: 400, message: "The 'To' phone number is not currently reachable via SMS." },
  21614: { status: 400, message: "'To' number is not a valid mobile number" },
  21635: { status: 400, message: "The 'To' number is a landline and cannot receive SMS." },
};

export interface DeliveredCallback {
  url: string;
  params: Record<string, string>;
  signature: string;
  /** HTTP status our webhook answered; 0 when the request failed. */
  status: number;
}

const DEFAULT_FAULTS: TwilioFaults = {
  rateLimitRate: 0,
  serverErrorRate: 0,
  timeoutRate: 0,
  hangMs: 60_000,
  retryAfterSeconds: 1,
  acceptBeforeFailure: false,
  smsRecipientErrors: {},
  voiceRecipientErrors: {},
};

const DEFAULT_CALLBACKS: TwilioCallbackOptions = {
  enabled: true,
  delayMs: 20,
  sms: ['sent', 'delivered'],
  voice: ['initiated', 'ringing', 'in-progress', 'completed'],
  byRecipient: {},
};

function sid(prefix: 'SM' | 'CA' | 'AC'): string {
  return prefix + randomBytes(16).toString('hex');
}

function first(value: unknown): string | undefined {
  if (Array.isArray(value)) return first(value[0]);
  return typeof value === 'string' ? value : undefined;
}

export class FakeTwilio extends FakeProvider<TwilioFaults, TwilioFault, RecordedTwilioMessage> {
  readonly accountSid: string;
  readonly authToken: string;
  /** Status callbacks and inbound webhooks posted, oldest first. */
  readonly callbacks: DeliveredCallback[] = [];
  callbackOptions: TwilioCallbackOptions;
  inboundSmsUrl: string | undefined;

  private constructor(options: FakeTwilioOptions) {
    super(DEFAULT_FAULTS, options, {
      rateLimit: { kind: 'rate_limit' },
      serverError: { kind: 'server_error' },
      timeout: { kind: 'timeout' },
    });
    this.accountSid = options.accountSid ?? sid('AC');
    this.authToken = options.authToken ?? randomBytes(16).toString('hex');
    this.callbackOptions = { ...DEFAULT_CALLBACKS, ...options.callbacks };
    this.inboundSmsUrl = options.inboundSmsUrl;
  }

  static async start(options: FakeTwilioOptions = {}): Promise<FakeTwilio> {
    return new FakeTwilio(options).listen(options.port, options.host);
  }

  /** Resolves once `count` callbacks have been posted (whatever our webhook answered). */
  waitForCallbacks(count: number, timeoutMs = 5_000): Promise<void> {
    return waitFor(() => this.callbacks.length >= count, timeoutMs, `${count} Twilio callbacks`);
  }

  /**
   * Posts one signed status callback for a recorded message now (outside any progression): for
   * repeats, out-of-order statuses or a status the progression does not produce.
   */
  async sendStatusCallback(messageSid: string, step: StatusStep): Promise<DeliveredCallback> {
    const message = this.messages.find((m) => m.sid === messageSid);
    if (!message?.statusCallback) throw new Error(`no message ${messageSid} with a StatusCallback`);
    return this.post(message.statusCallback, this.callbackParams(message, step));
  }

  /** Posts an inbound SMS to `inboundSmsUrl`, signed as Twilio would; returns our answer. */
  async simulateInboundSms(input: {
    from: string;
    to: string;
    body: string;
  }): Promise<DeliveredCallback & { body: string }> {
    if (!this.inboundSmsUrl) throw new Error('FakeTwilio has no inboundSmsUrl');
    const messageSid = sid('SM');
    const params = {
      MessageSid: messageSid,
      SmsMessageSid: messageSid,
      SmsSid: messageSid,
      AccountSid: this.accountSid,
      From: input.from,
      To: input.to,
      Body: input.body,
      NumMedia: '0',
      NumSegments: '1',
      SmsStatus: 'received',
      ApiVersion: '2010-04-01',
    };
    return this.post(this.inboundSmsUrl, params);
  }

  /** Signs params for `url` exactly as Twilio does (HMAC-SHA1 over URL + sorted params). */
  sign(url: string, params: Record<string, string>): string {
    return twilio.getExpectedTwilioSignature(this.authToken, url, params);
  }

  protected routes(app: Express): void {
    const base = '/2010-04-01/Accounts/:accountSid';
    app.use(base, express.urlencoded({ extended: false }), this.authenticate);
    app.post(`${base}/Messages.json`, (req, res) => this.create('sms', req, res));
    app.post(`${base}/Calls.json`, (req, res) => this.create('voice', req, res));
    app.get(`${base}/Messages/:sid.json`, (req, res) => this.fetch(req, res));
    app.get(`${base}/Calls/:sid.json`, (req, res) => this.fetch(req, res));
    app.use((_req, res) => this.error(res, 20404));
    app.use(((error, _req, res, _next) => {
      const status = (error as { status?: number }).status ?? 500;
      res.status(status).json({ code: status === 500 ? 20500 : 20001, message: String(error), more_info: '', status });
    }) satisfies ErrorRequestHandler);
  }

  /** Also: the callbacks posted, a status callback now, an inbound text. */
  protected controlRoutes(router: Router): void {
    router.get('/callbacks', (_req, res) => void res.json(this.callbacks));
    router.post('/status-callback', async (req, res, next) => {
      const { sid: messageSid, step } = req.body as { sid: string; step: StatusStep };
      await this.sendStatusCallback(messageSid, step).then((sent) => res.json(sent), next);
    });
    router.post('/inbound-sms', async (req, res, next) => {
      await this.simulateInboundSms(req.body as { from: string; to: string; body: string }).then(
        (sent) => res.json(sent),
        next,
      );
    });
  }

  protected resetDeliveries(): void {
    this.callbacks.length = 0;
  }

  private readonly authenticate: RequestHandler = (req, res, next) => {
    this.requestCount++;
    const header = req.headers.authorization ?? '';
    const [user, password] = Buffer.from(header.replace(/^Basic /, ''), 'base64')
      .toString()
      .split(':');
    if (!header.startsWith('Basic ') || user !== this.accountSid || password !== this.authToken) {
      this.error(res, 20003);
      return;
    }
    if (req.params.accountSid !== this.accountSid) {
      this.error(res, 20404);
      return;
    }
    next();
  };

  private error(res: Response, code: number, headers: Record<string, string> = {}): void {
    const known = TWILIO_ERRORS[code] ?? { status: 400, message: `Error ${code}` };
    res
      .status(known.status)
      .set(headers)
      .json({
        code,
        message: known.message,
        more_info: `https://www.twilio.com/docs/errors/${code}`,
        status: known.status,
      });
  }

  private create(channel: TwilioChannel, req: Request, res: Response): void {
    const params = (req.body ?? {}) as Record<string, string | string[]>;
    const to = first(params.To);
    const from = first(params.From);
    const messagingServiceSid = first(params.MessagingServiceSid);
    const fault = this.nextFault();

    if (fault?.kind === 'rate_limit') {
      const seconds = fault.retryAfterSeconds ?? this.faults.retryAfterSeconds;
      return this.error(res, 20429, seconds === undefined ? {} : { 'Retry-After': String(seconds) });
    }
    if (fault?.kind === 'error') return this.error(res, fault.code);

    if (!to) return this.error(res, 21604);
    if (!from && !(channel === 'sms' && messagingServiceSid)) return this.error(res, 21603);
    if (channel === 'sms' && !first(params.Body)) return this.error(res, 21602);
    const recipientErrors =
      channel === 'sms'
        ? { ...DEFAULT_SMS_RECIPIENT_ERRORS, ...this.faults.smsRecipientErrors }
        : { ...DEFAULT_VOICE_RECIPIENT_ERRORS, ...this.faults.voiceRecipientErrors };
    const recipientError = recipientErrors[to];
    if (recipientError !== undefined) return this.error(res, recipientError);

    const accept = () => this.accept(channel, params, to, from, messagingServiceSid);
    if (fault?.kind === 'server_error') {
      if (this.faults.acceptBeforeFailure) accept();
      res.status(fault.status ?? 500).json({
        code: 20500,
        message: TWILIO_ERRORS[20500]!.message,
        more_info: 'https://www.twilio.com/docs/errors/20500',
        status: fault.status ?? 500,
      });
      return;
    }
    if (fault?.kind === 'timeout') {
      if (this.faults.acceptBeforeFailure) accept();
      // Hang: the client's timeout fires first; then drop the connection.
      this.hang(res);
      return;
    }
    const message = accept();
    res.status(201).json(this.resource(message));
  }

  private accept(
    channel: TwilioChannel,
    params: Record<string, string | string[]>,
    to: string,
    from: string | undefined,
    messagingServiceSid: string | undefined,
  ): RecordedTwilioMessage {
    const validity = first(params.ValidityPeriod);
    const events = params.StatusCallbackEvent;
    const message: RecordedTwilioMessage = {
      sid: sid(channel === 'sms' ? 'SM' : 'CA'),
      channel,
      to,
      ...(from ? { from } : {}),
      ...(messagingServiceSid ? { messagingServiceSid } : {}),
      ...(channel === 'sms' ? { body: first(params.Body) } : { twiml: first(params.Twiml) }),
      ...(first(params.StatusCallback) ? { statusCallback: first(params.StatusCallback) } : {}),
      ...(events ? { statusCallbackEvents: ([] as string[]).concat(events) } : {}),
      ...(validity ? { validityPeriod: Number(validity) } : {}),
      params,
      at: new Date(),
    };
    this.messages.push(message);
    this.scheduleCallbacks(message);
    return message;
  }

  private resource(message: RecordedTwilioMessage) {
    const date = message.at.toUTCString().replace('GMT', '+0000');
    const common = {
      sid: message.sid,
      account_sid: this.accountSid,
      to: message.to,
      from: message.from ?? null,
      status: 'queued',
      date_created: date,
      date_updated: date,
      api_version: '2010-04-01',
      price: null,
      price_unit: 'USD',
    };
    if (message.channel === 'voice') {
      return {
        ...common,
        direction: 'outbound-api',
        uri: `/2010-04-01/Accounts/${this.accountSid}/Calls/${message.sid}.json`,
      };
    }
    return {
      ...common,
      body: message.body,
      messaging_service_sid: message.messagingServiceSid ?? null,
      direction: 'outbound-api',
      num_segments: '1',
      num_media: '0',
      error_code: null,
      error_message: null,
      date_sent: null,
      uri: `/2010-04-01/Accounts/${this.accountSid}/Messages/${message.sid}.json`,
      subresource_uris: { media: `/2010-04-01/Accounts/${this.accountSid}/Messages/${message.sid}/Media.json` },
    };
  }

  private fetch(req: Request, res: Response): void {
    const message = this.messages.find((m) => m.sid === req.params.sid);
    if (!message) return this.error(res, 20404);
    res.json(this.resource(message));
  }

  private scheduleCallbacks(message: RecordedTwilioMessage): void {
    const options = this.callbackOptions;
    if (!options.enabled || !message.statusCallback) return;
    const steps = options.byRecipient[message.to] ?? (message.channel === 'sms' ? options.sms : options.voice);
    const url = message.statusCallback;
    // Each step is posted only after the previous one was answered, like Twilio's ordered retries.
    const postFrom = (index: number): void => {
      const step = steps[index];
      if (step === undefined) return;
      this.pending.later(options.delayMs, async () => {
        await this.post(url, this.callbackParams(message, step));
        postFrom(index + 1);
      });
    };
    postFrom(0);
  }

  private callbackParams(message: RecordedTwilioMessage, step: StatusStep): Record<string, string> {
    const { status, errorCode } = typeof step === 'string' ? { status: step, errorCode: undefined } : step;
    const common = {
      AccountSid: this.accountSid,
      To: message.to,
      From: message.from ?? '',
      ApiVersion: '2010-04-01',
      ...(errorCode === undefined ? {} : { ErrorCode: String(errorCode) }),
    };
    if (message.channel === 'voice') {
      return {
        ...common,
        CallSid: message.sid,
        CallStatus: status,
        Direction: 'outbound-api',
        Timestamp: new Date().toUTCString().replace('GMT', '+0000'),
      };
    }
    return {
      ...common,
      MessageSid: message.sid,
      SmsSid: message.sid,
      MessageStatus: status,
      SmsStatus: status,
      ...(message.messagingServiceSid ? { MessagingServiceSid: message.messagingServiceSid } : {}),
    };
  }

  private async post(url: string, params: Record<string, string>): Promise<DeliveredCallback & { body: string }> {
    const signature = this.sign(url, params);
    let status = 0;
    let body = '';
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-Twilio-Signature': signature,
          'User-Agent': 'TwilioProxy/1.1',
        },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(15_000),
      });
      status = response.status;
      body = await response.text();
    } catch {
      status = 0;
    }
    const delivered = { url, params, signature, status };
    this.callbacks.push(delivered);
    return { ...delivered, body };
  }
}
