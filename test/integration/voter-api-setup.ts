/**
 * Shared setup of the voter API tests that sign up, confirm and watch the sandbox mailboxes: an API
 * harness with test delivery (rate limits out of the way), a seeded county, a client address per
 * call, voters on the roll with birth dates of their own, and the latest code sent to an address.
 */
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { seedCounty, startTestDelivery, type TestDelivery } from '../helpers/delivery.js';
import { startApiHarness, type ApiHarness } from './api-harness.js';

export const COUNTY = 'sacramento';

type Channel = 'sms' | 'email' | 'voice';

export interface VoterApiOptions {
  /** Second octet of the X-Forwarded-For addresses (each file its own). */
  subnet: number;
  /** `voter_id` prefix, first name and last-name stem of the voters on the roll. */
  voterIdPrefix: string;
  firstName: string;
  lastName: string;
  /** Birth dates are `<birthYear>-0M-<dayTens>D`, M and D from the voter's number. */
  birthYear: number;
  dayTens: number;
}

/** Registers the harness's beforeAll/afterAll in the calling describe block. */
export function useVoterApi(options: VoterApiOptions) {
  let h: ApiHarness;
  let delivery: TestDelivery;
  let addresses = 0;
  let voters = 0;
  /** Read at each request: a test may tighten them for a while. */
  const limits = { perAddress: 100_000, perIdentity: 100_000, codesPerDestination: 100_000 };
  /** When code calls may ring (all day unless a test narrows it). */
  const voiceHours = { start: '00:00', end: '00:00' };

  beforeAll(async () => {
    delivery = await startTestDelivery();
    h = await startApiHarness({
      temporalAddress: inject('temporalAddress'),
      voters: { delivery, rateLimits: limits, voiceCodeHours: voiceHours },
    });
    await seedCounty(h.db.sql, COUNTY);
  });

  afterAll(async () => {
    await h?.stop();
    await delivery?.close();
  });

  const call = (method: string, path: string, request: { body?: unknown; token?: string } = {}) => {
    addresses += 1;
    return h.call(method, path, {
      key: null,
      ...(request.body !== undefined ? { body: request.body } : {}),
      headers: {
        'x-forwarded-for': `10.${options.subnet}.${Math.floor(addresses / 250)}.${(addresses % 250) + 1}`,
        ...(request.token ? { authorization: `Bearer ${request.token}` } : {}),
      },
    });
  };

  /** A voter on the roll with its own birth date, so lookups never collide. */
  async function rollVoter() {
    voters += 1;
    const voterId = `${options.voterIdPrefix}-${voters}`;
    const identity = {
      firstName: options.firstName,
      lastName: `${options.lastName}-${String.fromCharCode(64 + voters)}`,
      dateOfBirth: `${options.birthYear}-0${(voters % 9) + 1}-${options.dayTens}${voters % 10}`,
      zip: '95814',
    };
    await h.db.sql`
      INSERT INTO voters (voter_id, county, first_name, last_name, date_of_birth, zip, status)
      VALUES (${voterId}, ${COUNTY}, ${identity.firstName}, ${identity.lastName}, ${identity.dateOfBirth}, ${identity.zip}, 'active')`;
    return identity;
  }

  const smsTo = (to: string) => delivery.sandbox.twilio.messages.filter((m) => m.channel === 'sms' && m.to === to);
  const callsTo = (to: string) => delivery.sandbox.twilio.messages.filter((m) => m.channel === 'voice' && m.to === to);
  const emailsTo = (to: string) => delivery.sandbox.sendgrid.messages.filter((m) => m.to.includes(to));

  function latestCode(channel: Channel, address: string): string {
    if (channel === 'voice') {
      // A call reads the digits one by one: "1, 2, 3, 4, 5, 6".
      const spoken = /\d(?:, \d){5}/.exec(callsTo(address).at(-1)?.twiml ?? '')![0];
      return spoken.replace(/\D/g, '');
    }
    const text = channel === 'sms' ? smsTo(address).at(-1)?.body : emailsTo(address).at(-1)?.text;
    return /\b(\d{6})\b/.exec(text ?? '')![1]!;
  }

  /** Confirms the latest code sent to `address`; the manage token. */
  async function verify(subscriptionId: string, channel: Channel, address: string): Promise<string> {
    const response = await call('POST', `/v1/subscriptions/${subscriptionId}/verify`, {
      body: { channel, code: latestCode(channel, address) },
    });
    expect(response.status).toBe(200);
    return response.body.manageToken;
  }

  return {
    get h() {
      return h;
    },
    get delivery() {
      return delivery;
    },
    limits,
    set voiceCodeHours(hours: { start: string; end: string } | undefined) {
      Object.assign(voiceHours, hours ?? { start: '00:00', end: '00:00' });
    },
    call,
    rollVoter,
    smsTo,
    callsTo,
    emailsTo,
    verify,
  };
}
