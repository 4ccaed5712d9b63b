import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FALLBACK_TIME_ZONE } from '../../config/env.js';
import { facilityTimeZone, isImbHeader, operationTableSchema, parseImbRow } from '../../ingest/parsers/imb.js';
import { stringMatching } from '../helpers/matchers.js';

const schema = operationTableSchema(FALLBACK_TIME_ZONE);
const table = schema.parse(
  JSON.parse(readFileSync(new URL('../fixtures/imports/usps-operations.json', import.meta.url), 'utf8')),
);

describe('USPS legacy IMb tracing rows', () => {
  it('maps the operation code through the table and keeps the facility offset', () => {
    const parsed = parseImbRow('94612|919|2026-10-06 14:03:27|94612|00040123456000000100', table);
    expect(parsed).toEqual({
      ok: true,
      scan: {
        trackingCode: '00040123456000000100',
        facilityZip: '94612',
        operationCode: '919',
        type: 'outbound',
        occurredAt: '2026-10-06T14:03:27-07:00',
        eventId: stringMatching(/^usps-[0-9a-f]{32}$/),
      },
    });
  });

  it.each([
    ['10001,261,10/12/2026 08:15:00,946101234,00040123456000000101', '2026-10-12T08:15:00-04:00', 'inbound'],
    ['85001\t271\t20261103193000\t\t00040123456000000101', '2026-11-03T19:30:00-07:00', 'inbound'],
    ['94612|918|2026-01-15 09:00|94612|00040123456000000100', '2026-01-15T09:00:00-08:00', 'outbound'],
    // The repeated hour when daylight time ends: the first occurrence (PDT).
    ['94612|918|2026-11-01 01:30:00|94612|00040123456000000100', '2026-11-01T01:30:00-07:00', 'outbound'],
  ])('normalises %s to %s by the facility time zone', (row, occurredAt, type) => {
    const parsed = parseImbRow(row, table);
    expect(parsed.ok && parsed.scan).toMatchObject({ occurredAt, type });
    expect(new Date(occurredAt).toISOString()).toBeTruthy();
  });

  it('gives the same scan the same event ID, so a re-sent file is recognised as duplicate', () => {
    const a = parseImbRow('94612|919|2026-10-06 14:03:27|94612|00040123456000000100', table);
    const b = parseImbRow('94612,919,20261006140327,,00040123456000000100', table);
    const other = parseImbRow('94612|919|2026-10-06 14:03:28|94612|00040123456000000100', table);
    expect(a.ok && b.ok && a.scan.eventId === b.scan.eventId).toBe(true);
    expect(a.ok && other.ok && a.scan.eventId !== other.scan.eventId).toBe(true);
  });

  it.each([
    ['94612|777|2026-10-06 14:03:27|94612|00040123456000000100', 'unknown_operation'],
    ['94612|919|2026-02-30 14:03:27|94612|00040123456000000100', 'invalid_row'],
    ['94612|919|2026-10-06 25:03:27|94612|00040123456000000100', 'invalid_row'],
    ['94612|919|2026-10-06 14:03:27|94612|0004012345600000010', 'invalid_row'],
    ['9461|919|2026-10-06 14:03:27|94612|00040123456000000100', 'invalid_row'],
    ['94612|919|2026-10-06 14:03:27|946|00040123456000000100', 'invalid_row'],
    ['94612|919', 'invalid_row'],
  ])('rejects %s as %s', (row, code) => {
    expect(parseImbRow(row, table)).toMatchObject({ ok: false, code });
  });

  it('finds the facility time zone by the longest ZIP prefix, else the default', () => {
    expect(facilityTimeZone(table, '10001')).toBe('America/New_York');
    expect(facilityTimeZone(table, '85001')).toBe('America/Phoenix');
    expect(facilityTimeZone(table, '94612')).toBe('America/Los_Angeles');
    expect(facilityTimeZone(table, '60601')).toBe('America/Los_Angeles');
  });

  it('recognises a header line', () => {
    expect(isImbHeader('facility_zip|operation|time|routing|code')).toBe(true);
    expect(isImbHeader('94612|919|2026-10-06 14:03:27|94612|00040123456000000100')).toBe(false);
  });

  it('refuses an operation table with an unknown event type or time zone', () => {
    expect(schema.safeParse({ operations: { '919': 'delivered' } }).success).toBe(false);
    expect(schema.safeParse({ operations: {}, facilityTimeZones: { '9': 'Pacific/Nowhere' } }).success).toBe(false);
  });
});
