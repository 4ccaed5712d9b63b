/**
 * `npm run simulate` at a tiny size against the API harness with a worker, the voter API, the voter
 * pages and the development outbox (as `npm start` wires them): every path, every quirk of the feed,
 * sign-ups in three channels and ten languages, and not one mismatch between the model, the status
 * API and what the sandbox providers received.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedCounty, startTestDelivery, type TestDelivery } from '../helpers/delivery.js';
import { createRecogniser } from '../../scripts/simulation/outbox.js';
import { runSimulation, type SimulationOptions } from '../../scripts/simulation/run.js';
import { PATH_NAMES, parseMix } from '../../scripts/simulation/scenario.js';
import { startApiHarness, type ApiHarness } from './api-harness.js';

const COUNTIES = ['sacramento', 'yolo'];

describe('the election simulator', () => {
  let h: ApiHarness;
  let delivery: TestDelivery;

  beforeAll(async () => {
    delivery = await startTestDelivery();
    h = await startApiHarness({ temporalAddress: inject('temporalAddress'), voters: { delivery, pages: true } });
    for (const county of COUNTIES) await seedCounty(h.db.sql, county);
  });

  afterAll(async () => {
    await h?.stop();
    await delivery?.close();
  });

  const options = (overrides: Partial<SimulationOptions>): SimulationOptions => ({
    apiUrls: [h.url],
    key: h.adminKey,
    outboxUrl: `${h.url}/dev/outbox.json`,
    voters: 60,
    subscribedShare: 0.5,
    // Every path, the rare ones made common.
    mix: parseMix(PATH_NAMES.map((path) => `${path}=1`).join(',')),
    seed: 11,
    channels: ['sms', 'email', 'voice'],
    counties: COUNTIES,
    lanes: 3,
    batchSize: 40,
    quietHours: { start: '00:00', end: '00:00' },
    timezone: 'America/Los_Angeles',
    settleTimeoutMs: 60_000,
    log: () => {},
    ...overrides,
  });

  it('when a small county election runs through the public API, then the model, the status API and the providers agree', async () => {
    const lines: string[] = [];
    const report = await runSimulation(options({ log: (line) => lines.push(line) }));

    expect(report.mismatchList, lines.join('\n')).toEqual([]);
    expect(report.settled).toBe(true);
    expect(Object.values(report.paths).filter((n) => n > 0).length).toBe(PATH_NAMES.length);
    expect(report.records.resent + report.records.duplicated + report.records.late).toBeGreaterThan(0);
    expect(report.contacts.sms + report.contacts.email + report.contacts.voice).toBeGreaterThan(20);
    expect(report.notices.byState.sent).toBeGreaterThan(20);
    expect(report.providers.byKind.notice).toBe(report.notices.byState.sent);
  }, 300_000);

  it('when a provider loses one notice and delivers another twice, then the simulator says so', async () => {
    const recognise = createRecogniser();
    const { twilio, sendgrid } = delivery.sandbox;
    const pushSms = twilio.messages.push.bind(twilio.messages);
    const pushEmail = sendgrid.messages.push.bind(sendgrid.messages);
    const lost: string[] = [];
    const twice: string[] = [];
    twilio.messages.push = (...messages) => {
      const [message] = messages;
      if (
        lost.length === 0 &&
        message?.channel === 'sms' &&
        recognise({ channel: 'sms', body: message.body ?? '' })?.kind === 'notice'
      ) {
        lost.push(message.to);
        return twilio.messages.length;
      }
      return pushSms(...messages);
    };
    sendgrid.messages.push = (...messages) => {
      const [message] = messages;
      if (
        twice.length === 0 &&
        message &&
        recognise({ channel: 'email', body: '', subject: message.subject })?.kind === 'notice'
      ) {
        twice.push(message.to.join(', '));
        pushEmail(message);
      }
      return pushEmail(...messages);
    };
    try {
      const report = await runSimulation(
        options({ voters: 30, subscribedShare: 0.8, seed: 12, channels: ['sms', 'email'], settleTimeoutMs: 30_000 }),
      );
      expect(lost).toHaveLength(1);
      expect(twice).toHaveLength(1);
      expect(report.mismatchList).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            check: 'providers',
            contact: `sms ${lost[0]}`,
            detail: expect.stringMatching(/^sent in the ledger but not received: /) as unknown,
          }),
          expect.objectContaining({
            check: 'providers',
            contact: `email ${twice[0]}`,
            detail: expect.stringMatching(/^received but not sent in the ledger \(a duplicate\?\): /) as unknown,
          }),
        ]),
      );
      // A final notice the provider lost also shows as never heard: the settle wait gives up on it.
      expect(
        report.mismatchList.every((m) => m.contact === `sms ${lost[0]}` || m.contact === `email ${twice[0]}`),
      ).toBe(true);
    } finally {
      twilio.messages.push = pushSms;
      sendgrid.messages.push = pushEmail;
    }
  }, 300_000);
});
