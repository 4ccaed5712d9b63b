/**
 * Both fake providers together, for the dev runner and for tests that run the worker against
 * them. `env` holds the variables that point the real adapters at the fakes.
 */
import { FakeSendGrid, type FakeSendGridOptions } from './fake-sendgrid.js';
import { FakeTwilio, type FakeTwilioOptions } from './fake-twilio.js';

export { FakeSendGrid, FakeTwilio };
export type * from './fake-sendgrid.js';
export type * from './fake-twilio.js';
export { WebhookRecorder, type RecordedWebhook } from './webhook-recorder.js';
export { SANDBOX_CONTROL_PATH } from './common.js';

export interface Sandbox {
  twilio: FakeTwilio;
  sendgrid: FakeSendGrid;
  /** Provider settings for the adapters (names as proposed for config/env.ts). */
  env: {
    TWILIO_ACCOUNT_SID: string;
    TWILIO_AUTH_TOKEN: string;
    TWILIO_API_BASE_URL: string;
    SENDGRID_API_KEY: string;
    SENDGRID_API_BASE_URL: string;
    SENDGRID_WEBHOOK_PUBLIC_KEY: string;
  };
  close(): Promise<void>;
}

export async function startSandbox(
  options: { twilio?: FakeTwilioOptions; sendgrid?: FakeSendGridOptions } = {},
): Promise<Sandbox> {
  const twilio = await FakeTwilio.start(options.twilio);
  const sendgrid = await FakeSendGrid.start(options.sendgrid).catch(async (error: unknown) => {
    await twilio.close();
    throw error;
  });
  return {
    twilio,
    sendgrid,
    env: {
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_API_BASE_URL: twilio.url,
      SENDGRID_API_KEY: sendgrid.apiKey,
      SENDGRID_API_BASE_URL: sendgrid.url,
      SENDGRID_WEBHOOK_PUBLIC_KEY: sendgrid.publicKey,
    },
    async close() {
      await Promise.all([twilio.close(), sendgrid.close()]);
    },
  };
}
