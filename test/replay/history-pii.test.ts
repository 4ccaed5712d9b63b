import { describe, expect, it } from 'vitest';
import { historyFromJson } from '../helpers/history-json.js';
import { findPersonalData, patternsFor } from '../helpers/history-pii.js';
import { FIXTURE_PEOPLE, FREE_TEXT_CANARIES } from '../helpers/history-pii-fixtures.js';

const person = FIXTURE_PEOPLE[0]!;
const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

/** A one-event history whose signal argument is `value`, JSON-encoded as the SDK's converter does. */
function signalled(value: unknown) {
  return historyFromJson({
    events: [
      {
        eventId: '1',
        eventTime: '2026-10-06T17:00:00Z',
        eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED',
        workflowExecutionSignaledEventAttributes: {
          signalName: 'issue',
          input: { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' /* json/plain */ }, data: base64(value) }] },
        },
      },
    ],
  });
}

describe('finding personal data in a history', () => {
  it('looks inside payloads, which are base64 in a history JSON and bytes in a fetched history', () => {
    const history = signalled({ voterId: 'v-1', contact: person.email });
    expect(JSON.stringify(history)).not.toContain(person.email);
    expect(findPersonalData(history)).toContainEqual({
      kind: 'email',
      value: person.email,
      path: 'events[0].workflowExecutionSignaledEventAttributes.input.payloads[0].data',
    });
  });

  it('recognises a phone number in any common format and a birth date in ISO or US form', () => {
    const national = person.phone.slice(-10);
    const formatted = `(${national.slice(0, 3)}) ${national.slice(3, 6)}-${national.slice(6)}`;
    const [year, month, day] = person.dateOfBirth.split('-');
    for (const text of [person.phone, formatted, national, `${month}/${day}/${year}`, person.dateOfBirth]) {
      expect(findPersonalData(signalled({ note: text })).length, text).toBeGreaterThan(0);
    }
  });

  it('matches names as whole words, in any case, and leaves IDs and longer numbers alone', () => {
    expect(findPersonalData(signalled({ name: person.lastName.toUpperCase() })).map((f) => f.kind)).toEqual(['name']);
    expect(findPersonalData(signalled({ id: `${person.firstName}ville`, n: `9${person.phone.slice(-10)}1` }))).toEqual(
      [],
    );
  });

  it('ignores accents and case, and covers what other tests seed inline', () => {
    expect(findPersonalData(signalled({ name: 'ana GARCIA' })).map((finding) => finding.value)).toEqual(
      expect.arrayContaining(['Ana', 'García']),
    );
  });

  it('has patterns for every kind for each fixture person', () => {
    for (const fixture of FIXTURE_PEOPLE) {
      expect(new Set(patternsFor(fixture).map((pattern) => pattern.kind))).toEqual(
        new Set(['name', 'birthDate', 'phone', 'email', 'zipPlus4', 'imb']),
      );
    }
  });
});

describe('finding the other personal fields the record stores', () => {
  it('recognises an IMb by its 20-digit tracking code, a ZIP+4 with or without its hyphen, and planted free text', () => {
    const imb = person.imb!;
    expect(findPersonalData(signalled({ code: imb.slice(0, 20) })).map((f) => f.kind)).toContain('imb');
    expect(findPersonalData(signalled({ zip: person.zipPlus4!.replace('-', '') })).map((f) => f.kind)).toContain(
      'zipPlus4',
    );
    expect(findPersonalData(signalled({ source: FREE_TEXT_CANARIES[0] })).map((f) => f.kind)).toContain('freeText');
    expect(findPersonalData(signalled({ voterId: 'v-1', occurredAt: '2026-10-06T17:00:00Z' }))).toEqual([]);
  });
});
