import { z } from 'zod';
import { isValidTimeZone } from '../domain/zoned-time.js';

/**
 * The one configuration schema. Every process (api, worker, cli, dev runner) parses `process.env`
 * through it once at start-up and passes the frozen result into factories; nothing deeper reads
 * `process.env`. A bad or missing value stops start-up with a message naming the variable.
 */

/** DEFAULT_TIME_ZONE's default, and the zone of code that runs without a configuration (tests, tools). */
export const FALLBACK_TIME_ZONE = 'America/Los_Angeles';

const port = z.coerce.number().int().min(0).max(65535);
const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h)$/, 'a duration such as 500ms, 30s, 5m or 1h')
  .transform(parseDuration);

export const envSchema = z
  .object({
    NODE_ENV: z
      .enum(['development', 'test', 'production'])
      .default('production')
      .describe(
        'development enables the dev API key and the sandbox pages; production forbids them and requires the production checklist (unset: production, except `npm start` and the `npm run api|worker|cli` scripts, which run from source as development)',
      ),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('pino log level'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// connection URL')
      .describe('PostgreSQL connection URL (the dev runner and tests use embedded PostgreSQL when unset)'),
    DATABASE_POOL_SIZE: z.coerce
      .number()
      .int()
      .min(1)
      .max(200)
      .default(10)
      .describe('postgres.js pool size per process'),
    TEMPORAL_ADDRESS: z
      .string()
      .regex(/^[^:\s]+:\d+$/, 'host:port')
      .default('127.0.0.1:7233')
      .describe('Temporal frontend gRPC address (Temporal Cloud: <namespace>.<account>.tmprl.cloud:7233)'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default').describe('Temporal namespace'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('ballot-tracker').describe('task queue of the ballot worker'),
    TEMPORAL_TLS_CERT_PATH: z
      .string()
      .min(1)
      .optional()
      .describe('client certificate (PEM) for mTLS, e.g. Temporal Cloud'),
    TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional().describe('client private key (PEM) for mTLS'),
    TEMPORAL_TLS_CA_PATH: z
      .string()
      .min(1)
      .optional()
      .describe('CA bundle (PEM) for a self-hosted cluster with a private CA'),
    TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional().describe('TLS server name override'),
    TEMPORAL_API_KEY: z.string().min(1).optional().describe('Temporal Cloud API key (implies TLS)'),
    API_HOST: z.string().min(1).default('0.0.0.0').describe('interface the API listens on'),
    API_PORT: port.default(3000).describe('API HTTP port'),
    WORKER_METRICS_PORT: port
      .default(9464)
      .describe("port of the worker's Prometheus endpoint (Temporal runtime metrics); 0 disables it"),
    WORKER_SHUTDOWN_GRACE_TIME: duration
      .default(30_000)
      .describe('how long in-flight activities may finish after SIGTERM before they are cancelled'),
    WORKER_MAX_CACHED_WORKFLOWS: z.coerce
      .number()
      .int()
      .min(0)
      .default(500)
      .describe('sticky workflow cache size (bounded explicitly; sleeping ballots are evicted)'),
    PUBLIC_BASE_URL: z
      .url()
      .default('http://127.0.0.1:3000')
      .transform((url) => url.replace(/\/+$/, ''))
      .describe('public URL of the API: provider webhooks, manage and unsubscribe links (Twilio signs over it)'),
    MANAGE_TOKEN_SECRET: z
      .string()
      .min(32, 'at least 32 characters')
      .optional()
      .describe('HMAC secret of the manage/unsubscribe links in every message (required in production)'),
    OPS_TOKEN: z
      .string()
      .min(32, 'at least 32 characters')
      .optional()
      .describe(
        'bearer token for /metrics and the detailed /readyz on the public port; unset: outside production they are open, in production /metrics answers 404 and /readyz only its status',
      ),
    VERIFICATION_CODES_PER_DESTINATION: z.coerce
      .number()
      .int()
      .min(1)
      .default(5)
      .describe(
        'verification codes one phone number or email address may receive per hour, across all subscriptions and processes (ten times that per day)',
      ),
    DEFAULT_COUNTY_NAME: z
      .string()
      .min(1)
      .optional()
      .describe(
        'county name in messages, used for a county that has no `county` record (outside production: "Elections Office")',
      ),
    DEFAULT_COUNTY_PHONE: z
      .string()
      .min(1)
      .optional()
      .describe(
        'county phone in messages, used for a county that has no `county` record (outside production: "(555) 010-0100")',
      ),
    DEFAULT_COUNTY_URL: z
      .url()
      .optional()
      .transform((url) => url?.replace(/\/+$/, ''))
      .describe(
        'county web address in messages, used for a county that has no `county` record (outside production: PUBLIC_BASE_URL)',
      ),
    DEFAULT_TIME_ZONE: z
      .string()
      .refine(isValidTimeZone, 'an IANA time zone such as America/Los_Angeles')
      .default(FALLBACK_TIME_ZONE)
      .describe(
        'IANA time zone of a county or election that names none: new subscriptions, message dates, the status page, IMb scans without a facility zone, `county --timezone`',
      ),
    PROVIDER_TIMEOUT: duration
      .default(15_000)
      .refine((ms) => ms >= 1_000 && ms <= 25_000, 'between 1s and 25s (a send attempt is given 30s in all)')
      .describe('HTTP timeout of one provider call'),
    SMS_MESSAGES_PER_SECOND: z.coerce
      .number()
      .positive()
      .default(1)
      .describe('SMS sends per second across all workers (a US long code sends about 1 segment per second)'),
    TWILIO_ACCOUNT_SID: z.string().min(1).optional().describe('Twilio account SID (SMS and voice)'),
    TWILIO_AUTH_TOKEN: z.string().min(1).optional().describe('Twilio auth token (also verifies webhook signatures)'),
    TWILIO_MESSAGING_SERVICE_SID: z.string().min(1).optional().describe('Twilio Messaging Service for SMS (preferred)'),
    TWILIO_SMS_FROM: z
      .string()
      .min(1)
      .optional()
      .describe('SMS sender number (E.164) when no Messaging Service is used'),
    TWILIO_VOICE_FROM: z.string().min(1).optional().describe('caller number (E.164) for voice notices'),
    TWILIO_API_BASE_URL: z.url().optional().describe('replaces https://api.twilio.com (the local sandbox only)'),
    SENDGRID_API_KEY: z.string().min(1).optional().describe('SendGrid API key (email)'),
    SENDGRID_FROM_EMAIL: z.email().optional().describe("verified sender address (a county's own domain)"),
    SENDGRID_FROM_NAME: z.string().min(1).optional().describe('sender display name'),
    SENDGRID_API_BASE_URL: z.url().optional().describe('replaces https://api.sendgrid.com (the local sandbox only)'),
    SENDGRID_WEBHOOK_PUBLIC_KEY: z
      .string()
      .min(1)
      .optional()
      .describe('public key (base64 DER) that verifies the SendGrid event webhook'),
    BALLOT_TRACKER_DEV_KEY: z
      .string()
      .min(16, 'at least 16 characters')
      .optional()
      .describe(
        'development only: a bearer key with every scope and county (start-up warns); production refuses to start with it set',
      ),
    API_RATE_LIMIT_PER_MINUTE: z.coerce
      .number()
      .int()
      .min(1)
      .default(600)
      .describe('requests per minute per API key (a key may carry its own limit)'),
    API_MAX_BODY_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(5 * 1024 * 1024)
      .describe('largest JSON request body in bytes (413 beyond); NDJSON is streamed and has no total limit'),
    API_NDJSON_MAX_ITEMS: z.coerce
      .number()
      .int()
      .min(1)
      .default(100_000)
      .describe(
        'most events one NDJSON stream may carry (the stream ends with an error member beyond); every 1,000 items count as one more request against the key rate limit',
      ),
    USPS_OPERATIONS_FILE: z
      .string()
      .min(1)
      .optional()
      .describe(
        'JSON operation-code table for POST /v1/usps/ivmtr (USPS operation codes and facility time zones); default ingest/usps-operations.json',
      ),
    FORWARDER_ENABLED: z
      .stringbool()
      .default(true)
      .describe('whether this API process forwards the outbox to Temporal (any number of processes may)'),
    FORWARDER_BATCH_SIZE: z.coerce
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(200)
      .describe('ballots one forwarder claim takes at most (each is leased and forwarded on its own)'),
    FORWARDER_CONCURRENCY: z.coerce
      .number()
      .int()
      .min(1)
      .max(1_000)
      .default(64)
      .describe('signalWithStart calls in flight per forwarder (ballots in parallel, each ballot in order)'),
    FORWARDER_MAX_ATTEMPTS: z.coerce
      .number()
      .int()
      .min(1)
      .default(10)
      .describe(
        "failed deliveries (Temporal reachable) after which a ballot's outbox rows are dead-lettered (`npm run cli -- outbox retry`)",
      ),
    TEMPORAL_ACTIONS_PER_SECOND: z.coerce
      .number()
      .positive()
      .default(400)
      .describe(
        'Temporal actions per second the forwarders and election sweeps may spend together, across all processes (keep it under the namespace limit, with room for the workflows themselves)',
      ),
    SWEEP_PARTITIONS: z.coerce
      .number()
      .int()
      .min(1)
      .max(64)
      .default(4)
      .describe('partitions an election sweep runs in parallel (each an activity that checkpoints its cursor)'),
    FORWARDER_POLL_INTERVAL: duration
      .default(1_000)
      .describe('how often an idle forwarder looks for rows due for a retry (new rows are announced by LISTEN/NOTIFY)'),
    FORWARDER_MAX_BACKLOG: z.coerce
      .number()
      .int()
      .min(1)
      .default(200_000)
      .describe('pending outbox rows beyond which write endpoints answer 503 with Retry-After'),
    TRUST_PROXY: z
      .string()
      .min(1)
      .default('loopback')
      .describe(
        "which proxies' X-Forwarded-For gives the client address (per-address rate limits): Express trust proxy — a hop count, or addresses/subnets such as loopback,10.0.0.0/8",
      ),
    VOTER_RATE_LIMIT_PER_ADDRESS: z.coerce
      .number()
      .int()
      .min(1)
      .default(120)
      .describe('voter sign-up, verify, status and manage requests per client address per hour (429 beyond)'),
    VOTER_RATE_LIMIT_PER_IDENTITY: z.coerce
      .number()
      .int()
      .min(1)
      .default(10)
      .describe(
        'lookups per identity (name, birth date, ZIP) and code attempts per subscription per hour; manage requests get 5 times as many',
      ),
    CONTACT_DATA_RETENTION_DAYS: z.coerce
      .number()
      .int()
      .min(0)
      .default(30)
      .describe("days after an election closes before its voters' contacts and consent records are purged"),
  })
  .superRefine((env, ctx) => {
    if (Boolean(env.TEMPORAL_TLS_CERT_PATH) !== Boolean(env.TEMPORAL_TLS_KEY_PATH)) {
      const missing = env.TEMPORAL_TLS_CERT_PATH ? 'TEMPORAL_TLS_KEY_PATH' : 'TEMPORAL_TLS_CERT_PATH';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: 'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together',
      });
    }
    if (env.NODE_ENV === 'production') productionChecks(env, ctx);
    for (const sandboxOnly of ['TWILIO_API_BASE_URL', 'SENDGRID_API_BASE_URL'] as const) {
      if (env.NODE_ENV === 'production' && env[sandboxOnly]) {
        ctx.addIssue({
          code: 'custom',
          path: [sandboxOnly],
          message: 'points at a sandbox; not allowed in production',
        });
      }
    }
    if (env.NODE_ENV === 'production' && env.BALLOT_TRACKER_DEV_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['BALLOT_TRACKER_DEV_KEY'],
        message: 'must not be set in production (it grants every scope and county)',
      });
    }
  });

export type Config = Readonly<z.output<typeof envSchema>>;

/**
 * Secrets that are published (in this repository, its docs or its compose file) and so protect
 * nothing: refused in production whatever their length.
 */
const PUBLISHED_SECRETS = [
  'development-only-manage-token-secret-do-not-use',
  'override-me-with-a-long-random-secret-value',
];
const PLACEHOLDER_SECRET =
  /override-?me|change-?me|replace-?me|placeholder|do-not-use|development|example|your-secret/i;

/** The production checklist the schema enforces (README "Security"). */
function productionChecks(
  env: {
    MANAGE_TOKEN_SECRET?: string | undefined;
    PUBLIC_BASE_URL: string;
    TRUST_PROXY: string;
    SENDGRID_API_KEY?: string | undefined;
    SENDGRID_WEBHOOK_PUBLIC_KEY?: string | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  const secret = env.MANAGE_TOKEN_SECRET;
  if (!secret) {
    issue('MANAGE_TOKEN_SECRET', 'is required in production');
  } else if (PUBLISHED_SECRETS.includes(secret) || PLACEHOLDER_SECRET.test(secret) || new Set(secret).size < 12) {
    issue('MANAGE_TOKEN_SECRET', 'is a placeholder or development value; generate one (openssl rand -base64 48)');
  }
  if (!env.PUBLIC_BASE_URL.startsWith('https://')) {
    issue('PUBLIC_BASE_URL', 'must be an https:// address in production (links in messages, signed webhooks)');
  } else if (env.TRUST_PROXY === 'loopback') {
    issue(
      'TRUST_PROXY',
      'must name the TLS proxy in front of the API (a hop count such as 1, or its addresses): with the loopback default every client shares the proxy address and its rate limits',
    );
  }
  if (env.SENDGRID_API_KEY && !env.SENDGRID_WEBHOOK_PUBLIC_KEY) {
    issue(
      'SENDGRID_WEBHOOK_PUBLIC_KEY',
      'is required in production when SendGrid is configured (signed event webhook)',
    );
  }
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    message: string,
    /** Each bad or missing variable and what is wrong with it ('is required but not set'). */
    readonly issues: readonly { name: string; problem: string }[] = [],
  ) {
    super(message);
  }
}

/** Parses the environment; throws a ConfigError whose message names every bad or missing variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const problem =
        issue.code === 'invalid_type' && cleaned[name] === undefined ? 'is required but not set' : issue.message;
      return { name, problem };
    });
    const lines = issues.map(({ name, problem }) => `  ${name}: ${problem}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`, issues);
  }
  return Object.freeze(parsed.data);
}

/**
 * The environment an entry point parses. A compiled entry point (a `.js` file under `dist/`, what the image runs)
 * is production unless NODE_ENV says otherwise; run from source (`tsx`, `.ts`), it is development.
 */
export function entryEnvironment(moduleUrl: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (env.NODE_ENV) return env;
  return { ...env, NODE_ENV: moduleUrl.endsWith('.ts') ? 'development' : 'production' };
}

/** A process's configuration, or exit 78 (EX_CONFIG) with a message naming every bad variable. */
export function loadConfigOrExit(processName: string, moduleUrl: string): Config {
  try {
    return loadConfig(entryEnvironment(moduleUrl));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${processName}: ${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
}

/** Variables with neither a default nor `optional()`: what a deployment must set. */
export function requiredVariables(): string[] {
  return Object.entries(envSchema.shape)
    .filter(([, schema]) => !(schema as z.ZodType).safeParse(undefined).success)
    .map(([name]) => name);
}

export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

/** Used only outside production, where MANAGE_TOKEN_SECRET is required. */
export const DEVELOPMENT_MANAGE_TOKEN_SECRET = 'development-only-manage-token-secret-do-not-use';
