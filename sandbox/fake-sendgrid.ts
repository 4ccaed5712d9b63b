/**
 * A fake of SendGrid's v3 mail send endpoint and its event webhook, close enough that the real
 * `@sendgrid/mail` SDK talks to it unchanged (see delivery/providers/sendgrid.ts):
 *
 * - POST /v3/mail/send with Bearer auth: 202 + X-Message-Id, or SendGrid-shaped errors
 *   ({ errors: [{ message, field, help }] }) for 400/401/403/413/429 (X-RateLimit-Reset)/500/503
 *   by configuration, per recipient, or for the next requests; hangs for client timeouts;
 * - every accepted message kept in `messages` (to, from, subject, html, text, headers, custom args);
 * - signed event webhooks (ECDSA P-256 over timestamp + raw body, with a key pair generated at
 *   start; `publicKey` is what SendGrid's settings page would show), including duplicate deliveries
 *   of the same sg_event_id and out-of-order batches.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  sign,
  type KeyObject,
} from 'node:crypto';
import express, { type ErrorRequestHandler, type Express, type Request, type Response, type Router } from 'express';
import { waitFor } from './common.js';
import { FakeProvider, type BaseFaults } from './fake-provider.js';

export interface RecordedEmail {
  messageId: string;
  to: string[];
  from: string;
  fromName?: string;
  replyTo?: string;
  subject: string;
  text?: string;
  html?: string;
  headers: Record<string, string>;
  customArgs: Record<string, string>;
  trackingSettings?: unknown;
  /** The request body as received. */
  raw: Record<string, unknown>;
  at: Date;
}

export type SendGridErrorStatus = 400 | 401 | 403 | 413 | 429 | 500 | 503;

export type SendGridFault = { status: SendGridErrorStatus; resetSeconds?: number } | { kind: 'timeout' };

export interface SendGridFaults extends BaseFaults {
  /** Seconds from now sent as X-RateLimit-Reset with a 429. */
  rateLimitResetSeconds: number;
  /** An error status per recipient address. */
  recipientErrors: Record<string, SendGridErrorStatus>;
  /** When set, a From outside this list gets 403 (unverified sender identity). */
  verifiedSenders: string[] | undefined;
}

export interface SendGridEventOptions {
  /** Post events for every accepted message to `eventWebhookUrl` (default false). */
  enabled: boolean;
  delayMs: number;
  /** Event types per message, in the order they happen. */
  progression: string[];
  /** Post each batch twice (same sg_event_id), as SendGrid's retries do. */
  duplicate: boolean;
  /** Post the events in reverse order, one batch each. */
  outOfOrder: boolean;
}

export interface FakeSendGridOptions {
  apiKey?: string;
  /** PKCS#8 PEM of a P-256 key to sign events with (stable across restarts); generated when unset. */
  signingKeyPem?: string;
  port?: number;
  host?: string;
  /** Largest accepted request body; larger bodies get 413 (SendGrid's limit is 30 MB). */
  maxBodyBytes?: number;
  faults?: Partial<SendGridFaults>;
  eventWebhookUrl?: string;
  events?: Partial<SendGridEventOptions>;
  random?: () => number;
}

export interface SendGridEvent {
  email: string;
  timestamp: number;
  event: string;
  sg_event_id: string;
  sg_message_id: string;
  [key: string]: unknown;
}

export interface DeliveredEventBatch {
  url: string;
  body: string;
  signature: string;
  timestamp: string;
  status: number;
}

const ERROR_BODIES: Readonly<Record<SendGridErrorStatus, { message: string; field: string | null }>> = {
  400: { message: 'Bad Request', field: null },
  401: { message: 'The provided authorization grant is invalid, expired, or revoked', field: null },
  403: {
    message:
      'The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved.',
    field: 'from',
  },
  413: { message: 'The request entity is larger than limits defined by server.', field: null },
  429: { message: 'too many requests', field: null },
  500: { message: 'internal server error', field: null },
  503: { message: 'service unavailable', field: null },
};

const DEFAULT_FAULTS: SendGridFaults = {
  rateLimitRate: 0,
  serverErrorRate: 0,
  timeoutRate: 0,
  hangMs: 60_000,
  rateLimitResetSeconds: 2,
  acceptBeforeFailure: false,
  recipientErrors: {},
  verifiedSenders: undefined,
};

const DEFAULT_EVENTS: SendGridEventOptions = {
  enabled: false,
  delayMs: 20,
  progression: ['processed', 'delivered'],
  duplicate: false,
  outOfOrder: false,
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Json = Record<string, unknown>;

export class FakeSendGrid extends FakeProvider<SendGridFaults, SendGridFault, RecordedEmail> {
  readonly apiKey: string;
  readonly eventBatches: DeliveredEventBatch[] = [];
  eventOptions: SendGridEventOptions;
  eventWebhookUrl: string | undefined;
  /** The event webhook verification key as SendGrid shows it: base64 DER (SPKI). */
  readonly publicKey: string;
  readonly publicKeyPem: string;

  private readonly privateKey: KeyObject;
  private readonly maxBodyBytes: number;

  private constructor(options: FakeSendGridOptions) {
    super(DEFAULT_FAULTS, options, {
      rateLimit: { status: 429 },
      serverError: { status: 500 },
      timeout: { kind: 'timeout' },
    });
    this.apiKey = options.apiKey ?? `SG.${randomBytes(12).toString('hex')}`;
    this.eventOptions = { ...DEFAULT_EVENTS, ...options.events };
    this.eventWebhookUrl = options.eventWebhookUrl;
    this.maxBodyBytes = options.maxBodyBytes ?? 30 * 1024 * 1024;
    const { publicKey, privateKey } = options.signingKeyPem
      ? { privateKey: createPrivateKey(options.signingKeyPem), publicKey: createPublicKey(options.signingKeyPem) }
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    this.privateKey = privateKey;
    this.publicKey = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    this.publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  }

  static async start(options: FakeSendGridOptions = {}): Promise<FakeSendGrid> {
    return new FakeSendGrid(options).listen(options.port, options.host);
  }

  waitForEventBatches(count: number, timeoutMs = 5_000): Promise<void> {
    return waitFor(() => this.eventBatches.length >= count, timeoutMs, `${count} SendGrid event batches`);
  }

  /**
   * Builds events for a recorded message as SendGrid would: one per type, each with its own
   * sg_event_id, the custom args flattened in, sg_message_id = X-Message-Id + a recipient suffix.
   * `extra` is merged into every event (e.g. { type: 'blocked', reason: '...' } for a bounce).
   */
  eventsFor(messageId: string, types: string[], extra: Json = {}): SendGridEvent[] {
    const message = this.messages.find((m) => m.messageId === messageId);
    if (!message) throw new Error(`no message ${messageId}`);
    const now = Math.floor(Date.now() / 1000);
    return types.map((event, index) => ({
      ...message.customArgs,
      email: message.to[0] ?? '',
      timestamp: now + index,
      event,
      sg_event_id: randomUUID().replace(/-/g, '').slice(0, 22),
      sg_message_id: `${message.messageId}.recvd-${index}-filter0001`,
      ...extra,
    }));
  }

  /**
   * Posts one signed batch to the event webhook. `timestamp` (Unix seconds) lets a test send a
   * stale batch; `tamper` changes the body after signing.
   */
  async postEvents(
    events: unknown[],
    options: { url?: string; timestamp?: number; tamper?: boolean; unsigned?: boolean } = {},
  ): Promise<DeliveredEventBatch> {
    const url = options.url ?? this.eventWebhookUrl;
    if (!url) throw new Error('FakeSendGrid has no eventWebhookUrl');
    const body = JSON.stringify(events);
    const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
    const signature = this.sign(timestamp, body);
    const sent = options.tamper ? body.replace(/"event":"/, '"event":"x') : body;
    let status = 0;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          ...(options.unsigned
            ? {}
            : {
                'X-Twilio-Email-Event-Webhook-Signature': signature,
                'X-Twilio-Email-Event-Webhook-Timestamp': timestamp,
              }),
        },
        body: sent,
        signal: AbortSignal.timeout(15_000),
      });
      status = response.status;
      await response.arrayBuffer();
    } catch {
      status = 0;
    }
    const batch = { url, body: sent, signature, timestamp, status };
    this.eventBatches.push(batch);
    return batch;
  }

  /** base64 DER ECDSA-SHA256 over timestamp + body, as SendGrid signs. */
  sign(timestamp: string, body: string): string {
    return sign('sha256', Buffer.from(timestamp + body), this.privateKey).toString('base64');
  }

  protected routes(app: Express): void {
    app.post(
      '/v3/mail/send',
      (req, res, next) => {
        this.requestCount++;
        if (req.headers.authorization !== `Bearer ${this.apiKey}`) return this.error(res, 401);
        next();
      },
      express.json({ limit: this.maxBodyBytes }),
      (req, res) => this.send(req, res),
    );
    app.use((_req, res) => {
      res.status(404).json({ errors: [{ message: 'not found', field: null, help: null }] });
    });
    app.use(((error, _req, res, _next) => {
      const type = (error as { type?: string }).type;
      if (type === 'entity.too.large') return this.error(res, 413);
      if (type === 'entity.parse.failed') return this.error(res, 400, 'Invalid JSON');
      this.error(res, 500);
    }) satisfies ErrorRequestHandler);
  }

  /** Also: the event batches posted, the public key, event settings, events for a message now. */
  protected controlRoutes(router: Router): void {
    router.get('/event-batches', (_req, res) => void res.json(this.eventBatches));
    router.get('/public-key', (_req, res) => void res.json({ publicKey: this.publicKey }));
    router.post('/events-config', (req, res) => {
      this.eventOptions = { ...this.eventOptions, ...(req.body as Partial<SendGridEventOptions>) };
      res.json(this.eventOptions);
    });
    router.post('/events', async (req, res, next) => {
      const { messageId, types, extra } = req.body as { messageId: string; types: string[]; extra?: Json };
      try {
        res.json(await this.postEvents(this.eventsFor(messageId, types, extra)));
      } catch (error) {
        next(error);
      }
    });
  }

  protected resetDeliveries(): void {
    this.eventBatches.length = 0;
  }

  private error(res: Response, status: SendGridErrorStatus, message?: string, field?: string): void {
    const known = ERROR_BODIES[status];
    if (status === 429) {
      res.set({
        'X-RateLimit-Limit': '600',
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': String(Math.floor(Date.now() / 1000) + this.faults.rateLimitResetSeconds),
      });
    }
    res.status(status).json({
      errors: [
        {
          message: message ?? known.message,
          field: field ?? known.field,
          help: 'https://www.twilio.com/docs/sendgrid/api-reference/mail-send/errors',
        },
      ],
    });
  }

  private send(req: Request, res: Response): void {
    const body = (req.body ?? {}) as Json;
    const fault = this.nextFault();
    if (fault && 'status' in fault && fault.status !== 500 && fault.status !== 503) {
      if (fault.status === 429 && fault.resetSeconds !== undefined) {
        const saved = this.faults.rateLimitResetSeconds;
        this.faults.rateLimitResetSeconds = fault.resetSeconds;
        this.error(res, 429);
        this.faults.rateLimitResetSeconds = saved;
        return;
      }
      return this.error(res, fault.status);
    }

    const parsed = this.parse(body);
    if ('error' in parsed) return this.error(res, 400, parsed.error, parsed.field);
    const email = parsed.email;
    if (this.faults.verifiedSenders && !this.faults.verifiedSenders.includes(email.from)) {
      return this.error(res, 403);
    }
    const recipientStatus = email.to.map((to) => this.faults.recipientErrors[to]).find((s) => s !== undefined);
    if (recipientStatus !== undefined) {
      return recipientStatus === 400
        ? this.error(res, 400, 'Does not contain a valid address.', 'personalizations.0.to.0.email')
        : this.error(res, recipientStatus);
    }

    if (fault) {
      if (this.faults.acceptBeforeFailure) this.accept(email);
      if ('kind' in fault) return this.hang(res);
      return this.error(res, fault.status);
    }
    const recorded = this.accept(email);
    res.status(202).set('X-Message-Id', recorded.messageId).end();
  }

  private accept(email: Omit<RecordedEmail, 'messageId' | 'at'>): RecordedEmail {
    const recorded: RecordedEmail = {
      ...email,
      messageId: randomBytes(16).toString('base64url').slice(0, 22),
      at: new Date(),
    };
    this.messages.push(recorded);
    this.scheduleEvents(recorded);
    return recorded;
  }

  /** Validates the parts of a v3 mail/send body the tracker uses, with SendGrid's error fields. */
  private parse(body: Json): { email: Omit<RecordedEmail, 'messageId' | 'at'> } | { error: string; field: string } {
    const personalizations = body.personalizations as Array<{ to?: Array<{ email?: string }> }> | undefined;
    if (!Array.isArray(personalizations) || personalizations.length === 0) {
      return { error: 'The personalizations field is required.', field: 'personalizations' };
    }
    const to: string[] = [];
    for (const [p, personalization] of personalizations.entries()) {
      for (const [t, recipient] of (personalization.to ?? []).entries()) {
        if (!recipient.email || !EMAIL.test(recipient.email)) {
          return { error: 'Does not contain a valid address.', field: `personalizations.${p}.to.${t}.email` };
        }
        to.push(recipient.email);
      }
    }
    if (to.length === 0) return { error: 'The to field is required.', field: 'personalizations.0.to' };
    const from = body.from as { email?: string; name?: string } | undefined;
    if (!from?.email || !EMAIL.test(from.email))
      return { error: 'Does not contain a valid address.', field: 'from.email' };
    if (typeof body.subject !== 'string' || body.subject === '') {
      return { error: 'The subject is required.', field: 'subject' };
    }
    const content = (body.content ?? []) as Array<{ type?: string; value?: string }>;
    if (content.length === 0) return { error: 'The content field is required.', field: 'content' };
    const part = (type: string) => content.find((c) => c.type === type)?.value;
    const replyTo = (body.reply_to as { email?: string } | undefined)?.email;
    return {
      email: {
        to,
        from: from.email,
        ...(from.name ? { fromName: from.name } : {}),
        ...(replyTo ? { replyTo } : {}),
        subject: body.subject,
        ...(part('text/plain') === undefined ? {} : { text: part('text/plain') }),
        ...(part('text/html') === undefined ? {} : { html: part('text/html') }),
        headers: (body.headers ?? {}) as Record<string, string>,
        customArgs: (body.custom_args ?? {}) as Record<string, string>,
        ...(body.tracking_settings ? { trackingSettings: body.tracking_settings } : {}),
        raw: body,
      },
    };
  }

  private scheduleEvents(message: RecordedEmail): void {
    const options = this.eventOptions;
    if (!options.enabled || !this.eventWebhookUrl) return;
    const events = this.eventsFor(message.messageId, options.progression);
    const batches = options.outOfOrder ? events.reverse().map((e) => [e]) : [events];
    const postFrom = (index: number): void => {
      const batch = batches[index];
      if (!batch) return;
      this.pending.later(options.delayMs, async () => {
        await this.postEvents(batch);
        if (options.duplicate) await this.postEvents(batch);
        postFrom(index + 1);
      });
    };
    postFrom(0);
  }
}
