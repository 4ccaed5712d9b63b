import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FALLBACK_TIME_ZONE } from '../../config/env.js';
import { operationTableSchema } from '../../ingest/parsers/imb.js';
import {
  expectedDelivery,
  ivmtrDelimitedRecords,
  ivmtrJsonRecords,
  parseIvmtrRecord,
} from '../../ingest/parsers/ivmtr.js';
import { defaultOperationTable, readOperationTable } from '../../ingest/usps.js';
import { ballotItemSchema } from '../../ingest/schemas.js';
import { stringMatching } from '../helpers/matchers.js';

const table = defaultOperationTable(FALLBACK_TIME_ZONE);
const fixture = (name: string) => new URL(`../fixtures/imports/${name}`, import.meta.url);

const record = (overrides: Record<string, unknown> = {}) => ({
  imb: '0004012345610000000194612123456',
  scanDatetime: '2099-10-06 14:03:27',
  opCode: '919',
  scanFacilityZip: '94612',
  scanFacilityName: 'OAKLAND CA PROCESSING',
  ...overrides,
});

describe('USPS IV-MTR records', () => {
  it('reads the IMb, the facility-local time in the facility zone, the operation per envelope and a delivery date', () => {
    expect(parseIvmtrRecord(record(), table)).toEqual({
      ok: true,
      scan: {
        trackingCode: '00040123456100000001',
        opCode: '919',
        facilityZip: '94612',
        occurredAt: '2099-10-06T14:03:27-07:00',
        meanings: { outbound: 'outbound', return: 'inbound' },
        // 919 is the destination facility's last sort: delivery the next day.
        expectedDeliveryDate: '2099-10-07',
        eventId: stringMatching(/^usps-[0-9a-f]{32}$/),
      },
    });
  });

  it.each([
    ['10001', '2099-10-12 08:15:00', '2099-10-12T08:15:00-04:00'],
    ['85001', '2099-10-20 09:00:00', '2099-10-20T09:00:00-07:00'],
    ['85001', '2099-01-20 09:00:00', '2099-01-20T09:00:00-07:00'],
    ['94612', '2099-01-20 09:00:00', '2099-01-20T09:00:00-08:00'],
    ['96813', '2099-10-20 09:00:00', '2099-10-20T09:00:00-10:00'],
    ['60601', '2099-10-20T09:00:00.000', '2099-10-20T09:00:00-05:00'],
  ])('reads a scan at facility %s at %s as %s', (zip, local, occurredAt) => {
    const parsed = parseIvmtrRecord(record({ scanFacilityZip: zip, scanDatetime: local }), table);
    expect(parsed.ok && parsed.scan.occurredAt).toBe(occurredAt);
  });

  it('matches field names whatever their case or separators (JSON and delimited headers)', () => {
    const a = parseIvmtrRecord(record(), table);
    const b = parseIvmtrRecord(
      {
        IMB: '0004012345610000000194612123456',
        SCAN_DATETIME: '2099-10-06 14:03:27',
        'Op Code': 919,
        scan_facility_zip: '94612-1234',
      },
      table,
    );
    expect(a.ok && b.ok && a.scan.eventId === b.scan.eventId).toBe(true);
  });

  it("gives the same scan the IMb tracing row's event ID, so the two feeds never count one scan twice", async () => {
    const { parseImbRow } = await import('../../ingest/parsers/imb.js');
    const legacy = parseImbRow('94612|919|2099-10-06 14:03:27|94612|00040123456100000001', table);
    const ivmtr = parseIvmtrRecord(record(), table);
    expect(legacy.ok && ivmtr.ok && legacy.scan.eventId === ivmtr.scan.eventId).toBe(true);
  });

  it("prefers the feed's expected delivery date, and moves a Sunday delivery to Monday", () => {
    const fed = parseIvmtrRecord(record({ expectedDeliveryDate: '10/09/2099' }), table);
    expect(fed.ok && fed.scan.expectedDeliveryDate).toBe('2099-10-09');
    // Saturday's destination scan: Sunday has no delivery.
    const saturday = parseIvmtrRecord(record({ scanDatetime: '2099-10-10 05:00:00' }), table);
    expect(saturday.ok && saturday.scan.expectedDeliveryDate).toBe('2099-10-12');
    expect(expectedDelivery('2099-10-06', 1)).toBe('2099-10-07');
    // A scan that is not the destination's (no deliveryDays) gives no date.
    const origin = parseIvmtrRecord(record({ opCode: '814' }), table);
    expect(origin.ok && origin.scan.expectedDeliveryDate).toBeUndefined();
  });

  it('keeps what the voter needs to know apart from the status: delivered is a fact, received the county', () => {
    const delivered = parseIvmtrRecord(record({ opCode: '976', handlingEventType: 'L', scanEventCode: '01' }), table);
    expect(delivered.ok && delivered.scan).toMatchObject({
      meanings: { outbound: 'delivered', return: 'received' },
      handlingEventType: 'L',
      scanEventCode: '01',
    });
    const returned = parseIvmtrRecord(record({ opCode: '895' }), table);
    expect(returned.ok && returned.scan.meanings).toEqual({ outbound: 'undeliverable', return: 'ignore' });
  });

  it.each([
    [{ imb: '0004012345610000000' }, 'invalid_record', 'imb'],
    [{ imb: undefined }, 'invalid_record', 'imb'],
    [{ opCode: 'ABC' }, 'invalid_record', 'opCode'],
    [{ opCode: '777' }, 'unknown_operation', '777'],
    [{ scanFacilityZip: '946' }, 'invalid_record', 'scanFacilityZip'],
    [{ scanDatetime: '2099-02-30 10:00:00' }, 'invalid_record', 'scanDatetime'],
    [{ scanDatetime: undefined }, 'invalid_record', 'scanDatetime'],
    [{ expectedDeliveryDate: 'soon' }, 'invalid_record', 'expectedDeliveryDate'],
  ])('rejects %j as %s naming the field', (change, code, field) => {
    const parsed = parseIvmtrRecord(record(change), table);
    expect(parsed).toMatchObject({ ok: false, code, message: expect.stringContaining(field) as unknown });
  });

  it('rejects something that is not a record', () => {
    expect(parseIvmtrRecord('x', table)).toMatchObject({ ok: false, code: 'invalid_record' });
    expect(parseIvmtrRecord([1], table)).toMatchObject({ ok: false, code: 'invalid_record' });
  });

  it('reads the JSON push shape and the pipe-delimited file with its header', async () => {
    const json = ivmtrJsonRecords(JSON.parse(readFileSync(fixture('ivmtr-scans.json'), 'utf8')));
    expect(json).toHaveLength(10);
    expect(ivmtrJsonRecords({ nothing: [] })).toBeUndefined();
    const rows = [];
    for await (const row of ivmtrDelimitedRecords(
      Readable.from(readFileSync(fixture('ivmtr-scans.txt'), 'utf8').split('\n')),
    )) {
      rows.push(row);
    }
    expect(rows).toHaveLength(11);
    expect(rows[0]).toMatchObject({ line: 2, value: { imb: '0004012345610000000194612123456', op_code: '919' } });
    expect(rows[10]).toMatchObject({ line: 12, error: { code: 'invalid_record' } });
    // The same scans in both shapes are the same events.
    const ids = (values: unknown[]) =>
      values.map((value) => {
        const parsed = parseIvmtrRecord(value, table);
        return parsed.ok ? parsed.scan.eventId : parsed.code;
      });
    expect(ids(rows.slice(0, 10).map((row) => row.value))).toEqual(ids(json!));
  });

  it('refuses a delimited file without a header naming imb', async () => {
    const rows = [];
    for await (const row of ivmtrDelimitedRecords(
      Readable.from(['00040123456100000001|2099-10-06 14:03:27|919|94612']),
    )) {
      rows.push(row);
    }
    expect(rows).toEqual([{ line: 1, error: { code: 'invalid_header', message: expect.any(String) as unknown } }]);
  });
});

describe('the USPS operation table (ingest/usps-operations.json)', () => {
  const schema = operationTableSchema(FALLBACK_TIME_ZONE);

  it('validates, and maps no operation to an event of the county (collected, challenged, ...)', () => {
    const raw = JSON.parse(
      readFileSync(new URL('../../ingest/usps-operations.json', import.meta.url), 'utf8'),
    ) as unknown;
    const parsed = schema.parse(raw);
    for (const entry of Object.values(parsed.operations)) {
      expect(typeof entry).toBe('object');
      if (typeof entry !== 'object') continue;
      expect(['outbound', 'delivered', 'undeliverable', 'ignore']).toContain(entry.outbound);
      expect(['inbound', 'received', 'ignore']).toContain(entry.return);
    }
  });

  it('a table file that is not JSON or not a table is refused with the variable, the file and the problem', () => {
    const notJson = fileURLToPath(fixture('ivmtr-scans.txt'));
    expect(() => readOperationTable(notJson, FALLBACK_TIME_ZONE, 'USPS_OPERATIONS_FILE')).toThrow(
      /^USPS_OPERATIONS_FILE: cannot read .*ivmtr-scans\.txt as JSON/,
    );
    const notTable = fileURLToPath(fixture('ivmtr-scans.json'));
    expect(() => readOperationTable(notTable, FALLBACK_TIME_ZONE, '--operations')).toThrow(
      /^--operations: .*operations/,
    );
    const shipped = fileURLToPath(new URL('../../ingest/usps-operations.json', import.meta.url));
    expect(readOperationTable(shipped, FALLBACK_TIME_ZONE, 'x')).toEqual(table);
  });

  it('refuses an envelope meaning that belongs to the other envelope or to the county', () => {
    expect(schema.safeParse({ operations: { '919': { outbound: 'inbound' } } }).success).toBe(false);
    expect(schema.safeParse({ operations: { '919': { return: 'collected' } } }).success).toBe(false);
    expect(schema.safeParse({ operations: { '919': { outbound: 'outbound', extra: 1 } } }).success).toBe(false);
  });

  it('reads a legacy string entry on the envelope its event belongs to; a county event is no USPS scan', () => {
    const legacy = schema.parse({ operations: { '261': 'inbound', '918': 'outbound', '500': 'collected' } });
    const inbound = parseIvmtrRecord(record({ opCode: '261' }), legacy);
    expect(inbound.ok && inbound.scan.meanings).toEqual({ outbound: 'ignore', return: 'inbound' });
    const outbound = parseIvmtrRecord(record({ opCode: '918' }), legacy);
    expect(outbound.ok && outbound.scan.meanings).toEqual({ outbound: 'outbound', return: 'ignore' });
    expect(parseIvmtrRecord(record({ opCode: '500' }), legacy)).toMatchObject({ ok: false, code: 'unknown_operation' });
  });
});

describe('a ballot with two IMbs', () => {
  const ballot = { electionId: 'e', ballotId: 'b', voterId: 'v', county: 'c' };

  it('takes imb (outbound) and returnImb, each 20 to 31 digits, with different tracking codes', () => {
    expect(
      ballotItemSchema.safeParse({ ...ballot, imb: '00040123456100000001', returnImb: '00700987654100000001' }).success,
    ).toBe(true);
    expect(ballotItemSchema.safeParse({ ...ballot, returnImb: '0070098765410000000195814' }).success).toBe(true);
    expect(ballotItemSchema.safeParse({ ...ballot, returnImb: '123' }).success).toBe(false);
    const same = ballotItemSchema.safeParse({
      ...ballot,
      imb: '0004012345610000000194612',
      returnImb: '00040123456100000001',
    });
    expect(same.success).toBe(false);
  });
});
