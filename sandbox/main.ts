/**
 * Runs both fake providers until interrupted: `tsx sandbox/main.ts`. Prints the variables that
 * point the adapters at them. Optional: SANDBOX_TWILIO_PORT, SANDBOX_SENDGRID_PORT (default: any
 * free port), SANDBOX_PUBLIC_BASE_URL (our API's public URL: inbound SMS and SendGrid events go to
 * <it>/webhooks/twilio/inbound and <it>/webhooks/sendgrid), SANDBOX_SENDGRID_EVENTS=1 (post events
 * for every accepted email). Credentials stay the same across restarts when set:
 * SANDBOX_TWILIO_ACCOUNT_SID, SANDBOX_TWILIO_AUTH_TOKEN, SANDBOX_SENDGRID_API_KEY,
 * SANDBOX_SENDGRID_SIGNING_KEY_PEM (a P-256 private key); otherwise they are random.
 */
import { startSandbox } from './index.js';

const env = process.env;
const publicBase = env.SANDBOX_PUBLIC_BASE_URL?.replace(/\/$/, '');

const sandbox = await startSandbox({
  twilio: {
    port: Number(env.SANDBOX_TWILIO_PORT ?? 0),
    ...(env.SANDBOX_TWILIO_ACCOUNT_SID ? { accountSid: env.SANDBOX_TWILIO_ACCOUNT_SID } : {}),
    ...(env.SANDBOX_TWILIO_AUTH_TOKEN ? { authToken: env.SANDBOX_TWILIO_AUTH_TOKEN } : {}),
    ...(publicBase ? { inboundSmsUrl: `${publicBase}/webhooks/twilio/inbound` } : {}),
  },
  sendgrid: {
    port: Number(env.SANDBOX_SENDGRID_PORT ?? 0),
    ...(env.SANDBOX_SENDGRID_API_KEY ? { apiKey: env.SANDBOX_SENDGRID_API_KEY } : {}),
    ...(env.SANDBOX_SENDGRID_SIGNING_KEY_PEM ? { signingKeyPem: env.SANDBOX_SENDGRID_SIGNING_KEY_PEM } : {}),
    ...(publicBase ? { eventWebhookUrl: `${publicBase}/webhooks/sendgrid` } : {}),
    events: { enabled: env.SANDBOX_SENDGRID_EVENTS === '1', delayMs: 500 },
  },
});

for (const [name, value] of Object.entries(sandbox.env)) console.log(`${name}=${value}`);
console.log(`# control: ${sandbox.twilio.url}/__sandbox/messages, ${sandbox.sendgrid.url}/__sandbox/messages`);

const stop = async () => {
  await sandbox.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
