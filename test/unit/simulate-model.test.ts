/**
 * The election simulator's own oracle: it must recognise every message the providers can receive
 * (which key, which language) from the catalogs, and its model of a ballot must follow the API's
 * rank rule with the feed's quirks (re-sent, duplicated, late, before the issuance).
 */
import { describe, expect, it } from 'vitest';
import {
  EMAIL_KEYS,
  LANGUAGES,
  MESSAGE_KEYS,
  MESSAGE_SPECS,
  VOICE_KEYS,
  renderEmail,
  renderSmsAlternatives,
  renderVoice,
  type EmailKey,
  type EmailVars,
  type MessageKey,
} from '../../delivery/templates/index.js';
import { voiceTwiml } from '../../delivery/providers/twilio.js';
import { voiceScript } from '../../api/dev-outbox.js';
import { codeOf, createRecogniser } from '../../scripts/simulation/outbox.js';
import { DEFAULT_MIX, PATHS, buildScenario, parseMix, tellable } from '../../scripts/simulation/scenario.js';

const VARS = {
  countyName: 'Yolo County Elections',
  countyPhone: '(530) 666-8133',
  countyUrl: 'https://elections.yolo.example',
  manageUrl: 'https://ballots.example/manage?token=abc',
  cureUrl: 'https://elections.yolo.example/cure',
  timeZone: 'America/Los_Angeles',
  cureDeadline: Date.parse('2026-12-02T01:00:00Z'),
  electionDay: '2026-11-03',
  expectedDeliveryDate: '2026-10-09',
  code: '482913',
  maskedContact: '4321',
  reason: 'signature_mismatch',
};
/** Every variable any message uses: each renderer takes what its key declares. */
const vars = <K extends MessageKey>(_key: K) => VARS as unknown as EmailVars<K>;

describe('the simulator recognises what the providers receive', () => {
  const recognise = createRecogniser();

  it.each(LANGUAGES)('every SMS, email subject and call script in %s, by key and language', (language) => {
    const smsKeysByText = new Map<string, Set<string>>();
    for (const key of MESSAGE_KEYS) {
      if (!MESSAGE_SPECS[key].channels.includes('sms')) continue;
      for (const { text } of renderSmsAlternatives(key, language, vars(key))) {
        smsKeysByText.set(text, (smsKeysByText.get(text) ?? new Set()).add(key));
      }
    }
    const emailKeysBySubject = new Map<string, Set<string>>();
    for (const key of EMAIL_KEYS) {
      const { subject } = renderEmail(key, language, vars(key));
      emailKeysBySubject.set(subject, (emailKeysBySubject.get(subject) ?? new Set()).add(key));
    }
    for (const key of MESSAGE_KEYS) {
      const spec = MESSAGE_SPECS[key];
      // Variants of one status may share a subject: a notice is recognised by its status.
      const what = key.startsWith('status.') ? { status: key.split('.')[1] } : { key };
      const expected = { ...what, languages: expect.arrayContaining([language]) as unknown };
      if (spec.channels.includes('sms')) {
        for (const { text } of renderSmsAlternatives(key, language, vars(key))) {
          const recognised = recognise({ channel: 'sms', body: text });
          // Short forms of two messages can be the very same text: then either key is a right answer.
          const alike = smsKeysByText.get(text)!;
          if (alike.size > 1) expect([...alike], `${key} sms ${language}`).toContain(recognised?.key);
          else expect(recognised, `${key} sms ${language}`).toMatchObject(expected);
        }
      }
      if ((EMAIL_KEYS as readonly string[]).includes(key)) {
        const email = renderEmail(key as EmailKey, language, vars(key));
        const recognised = recognise({ channel: 'email', body: email.text, subject: email.subject });
        // An email is recognised by its subject, which variants of one message may share.
        const alike = emailKeysBySubject.get(email.subject)!;
        if (alike.size > 1) expect([...alike], `${key} email ${language}`).toContain(recognised?.key);
        else expect(recognised, `${key} email ${language}`).toMatchObject(expected);
      }
      if ((VOICE_KEYS as readonly string[]).includes(key)) {
        const spoken = renderVoice(key as (typeof VOICE_KEYS)[number], language, vars(key)).text;
        const english = renderVoice(key as (typeof VOICE_KEYS)[number], 'en', vars(key)).text;
        const body = voiceScript(voiceTwiml(language, spoken, english).twiml).text;
        const heard = language === 'km' ? 'en' : language;
        expect(recognise({ channel: 'voice', body }), `${key} voice ${language}`).toMatchObject({
          ...what,
          languages: expect.arrayContaining([heard]) as unknown,
        });
      }
    }
  });

  it.each(LANGUAGES)('a notice SMS with the voter initial and the opt-out hint in %s', (language) => {
    const withExtras = { ...vars('status.received'), voterInitial: 'J' } as EmailVars<'status.received'>;
    for (const { text } of renderSmsAlternatives('status.received', language, withExtras, { optOutHint: true })) {
      expect(recognise({ channel: 'sms', body: text }), text).toMatchObject({
        kind: 'notice',
        status: 'received',
        languages: expect.arrayContaining([language]) as unknown,
      });
    }
  });

  it('tells a notice from a code and reads the code, spoken or written', () => {
    const sms = renderSmsAlternatives('verification_code', 'vi', vars('verification_code'))[0]!.text;
    expect(recognise({ channel: 'sms', body: sms })).toMatchObject({ kind: 'code' });
    expect(codeOf({ channel: 'sms', body: sms })).toBe('482913');
    const spoken = renderVoice('verification_code', 'ja', vars('verification_code')).text;
    expect(codeOf({ channel: 'voice', body: spoken })).toBe('482913');
    const received = renderSmsAlternatives('status.received', 'es', vars('status.received'))[0]!.text;
    expect(recognise({ channel: 'sms', body: received })).toEqual({
      kind: 'notice',
      key: 'status.received',
      status: 'received',
      languages: ['es'],
    });
  });

  it('does not recognise a text no catalog has', () => {
    expect(
      recognise({ channel: 'sms', body: 'Yolo County Elections: your ballot was eaten by a goat.' }),
    ).toBeUndefined();
  });
});

describe('the simulated election', () => {
  const options = {
    voters: 400,
    subscribedShare: 0.4,
    mix: DEFAULT_MIX,
    seed: 7,
    channels: ['sms', 'email'] as ('sms' | 'email')[],
    counties: ['yolo', 'placer'],
    lanes: 3,
    batchSize: 50,
    runTag: 't1',
    now: Date.parse('2026-10-01T12:00:00Z'),
  };

  it('is the same election for the same seed, with every quirk of a feed', () => {
    const a = buildScenario(options);
    const b = buildScenario(options);
    expect(JSON.stringify(a.lanes)).toBe(JSON.stringify(b.lanes));
    expect(a.counts.resent).toBeGreaterThan(0);
    expect(a.counts.duplicated).toBeGreaterThan(0);
    expect(a.counts.late).toBeGreaterThan(0);
    expect(a.counts.beforeIssuance).toBeGreaterThan(0);
    expect(new Set(a.voters.map((v) => v.path)).size).toBe(Object.keys(PATHS).length);
    expect(new Set(a.voters.map((v) => v.language)).size).toBe(LANGUAGES.length);
  });

  it('ends every ballot where its path ends, whatever order the feed sent its scans in', () => {
    const scenario = buildScenario(options);
    for (const voter of scenario.voters) {
      const [first, replacement] = voter.ballotIds.map((id) => scenario.ballots.get(id)!);
      expect(first!.finalStatus).toBe(PATHS[voter.path].at(-1));
      if (replacement) expect(replacement.finalStatus).toBe('accepted');
      // Applied statuses only ever rise; a late scan is recorded as stale.
      expect(first!.events.filter((e) => e.outcome === 'applied').map((e) => e.type)).toEqual(first!.applied);
    }
    const stale = [...scenario.ballots.values()].flatMap((b) => b.events).filter((e) => e.outcome === 'stale');
    expect(stale.length).toBeGreaterThan(0);
  });

  it('expects a duplicate answer for an event ID sent again, and pending for a scan before its ballot', () => {
    const scenario = buildScenario(options);
    const answers = [...scenario.answers.values()].flat();
    expect(answers.filter((a) => a.outcome === 'duplicate').length).toBe(
      scenario.counts.resent + scenario.counts.issuancesResent,
    );
    expect(answers.filter((a) => a.effect === 'pending').length).toBeGreaterThanOrEqual(scenario.counts.beforeIssuance);
  });

  it('lets a subscriber hear only statuses from the sign-up on', () => {
    const scenario = buildScenario(options);
    const signedUp = [...scenario.ballots.values()].filter((b) => b.statusAtSignUp !== undefined);
    expect(signedUp.length).toBeGreaterThan(0);
    for (const ballot of signedUp) {
      const told = tellable(ballot);
      if (!ballot.finalBeforeSignUp) expect(told.has(ballot.finalStatus)).toBe(true);
      else expect([...told]).toEqual([ballot.finalStatus]);
    }
  });

  it('reads a path mix from the command line', () => {
    expect(parseMix('never_returned=0,replaced=10')).toMatchObject({ never_returned: 0, replaced: 10 });
    expect(() => parseMix('lost_in_space=3')).toThrow(/paths:/);
  });
});
