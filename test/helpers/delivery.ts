import type { Sql } from '../../db/client.js';
import { createNoticeLinks, createSenders, type NoticeLinks, type Senders } from '../../delivery/senders.js';
import { startSandbox, type Sandbox, type FakeSendGridOptions, type FakeTwilioOptions } from '../../sandbox/index.js';

export const TEST_PUBLIC_BASE_URL = 'http://127.0.0.1:3999';
export const TEST_MANAGE_SECRET = 'test-manage-token-secret-0123456789';

export interface TestDelivery {
  sandbox: Sandbox;
  senders: Senders;
  links: NoticeLinks;
  close(): Promise<void>;
}

/** The real provider adapters pointed at the local fake Twilio and SendGrid. */
export async function startTestDelivery(
  options: { twilio?: FakeTwilioOptions; sendgrid?: FakeSendGridOptions } = {},
): Promise<TestDelivery> {
  const sandbox = await startSandbox(options);
  const senders = createSenders({
    publicBaseUrl: TEST_PUBLIC_BASE_URL,
    timeoutMs: 5_000,
    twilio: {
      accountSid: sandbox.env.TWILIO_ACCOUNT_SID,
      authToken: sandbox.env.TWILIO_AUTH_TOKEN,
      apiBaseUrl: sandbox.env.TWILIO_API_BASE_URL,
      smsFrom: '+15005550006',
      voiceFrom: '+15005550006',
    },
    sendgrid: {
      apiKey: sandbox.env.SENDGRID_API_KEY,
      apiBaseUrl: sandbox.env.SENDGRID_API_BASE_URL,
      fromEmail: 'elections@county.example',
      fromName: 'County Elections',
    },
  });
  return {
    sandbox,
    senders,
    links: createNoticeLinks(TEST_PUBLIC_BASE_URL, TEST_MANAGE_SECRET),
    close: () => sandbox.close(),
  };
}

/** The county row every notice needs (name, phone and URL appear in every message). */
export async function seedCounty(sql: Sql, county = 'sacramento'): Promise<void> {
  await sql`
    INSERT INTO counties (county, name, phone, url, timezone, cure_url)
    VALUES (${county}, ${`${county[0]!.toUpperCase()}${county.slice(1)} County Elections`}, '(916) 555-0100',
            ${`https://elections.${county}.example`}, 'America/Los_Angeles', ${`https://elections.${county}.example/cure`})
    ON CONFLICT (county) DO NOTHING`;
}
