import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { addDays, zonedTimeToInstant } from '../../domain/zoned-time.js';
import {
  facilityTimeZone,
  parseLocal,
  uspsEventId,
  withOffset,
  type OperationTable,
  type OutboundMeaning,
  type ReturnMeaning,
} from './imb.js';
import type { SourceRecord } from './source.js';

/**
 * USPS Informed Visibility Mail Tracking & Reporting (IV-MTR) piece scans, from a JSON push or
 * file (`{"events": [record, ...]}` or a bare array) or a delimited file (a header row naming the
 * fields, then one record per line, separated by `|`).
 *
 * Field names are matched without regard to case, `_`, `-` or spaces, so `scanDatetime`,
 * `scan_datetime` and `SCAN DATETIME` are the same field. Read: `imb` (20 to 31 digits; the first 20
 * are the tracking code), `scanDatetime` (facility-local date-time, no zone), `opCode` (alias
 * `operationCode`), `scanFacilityZip` (alias `facilityZip`; ZIP or ZIP+4), and when present
 * `expectedDeliveryDate`, `handlingEventType` and `scanEventCode`. Every other field (facility name,
 * city, mail phase, machine, ...) is ignored and never stored.
 */

export interface IvmtrScan {
  trackingCode: string;
  opCode: string;
  facilityZip: string;
  /** ISO 8601 with the facility's offset at that instant. */
  occurredAt: string;
  /** What the operation means on each envelope, from the operation table. */
  meanings: { outbound: OutboundMeaning; return: ReturnMeaning };
  /** Outbound envelope only: the feed's own date, else the destination scan's date plus the table's days. */
  expectedDeliveryDate?: string;
  handlingEventType?: string;
  scanEventCode?: string;
  eventId: string;
}

export type IvmtrParse = { ok: true; scan: IvmtrScan } | { ok: false; code: string; message: string };

const FIELDS = {
  imb: ['imb', 'imbcode', 'barcode'],
  scanDatetime: ['scandatetime', 'scantimestamp'],
  opCode: ['opcode', 'operationcode', 'scanopcode'],
  facilityZip: ['scanfacilityzip', 'facilityzip', 'scanfacilityzipcode'],
  expectedDeliveryDate: ['expecteddeliverydate'],
  handlingEventType: ['handlingeventtype'],
  scanEventCode: ['scaneventcode'],
} as const;
type Field = keyof typeof FIELDS;

const normalise = (name: string) => name.toLowerCase().replace(/[\s_-]/g, '');

function fieldsOf(record: Record<string, unknown>): Partial<Record<Field, string>> {
  const byName = new Map(Object.entries(record).map(([key, value]) => [normalise(key), value]));
  const out: Partial<Record<Field, string>> = {};
  for (const [field, names] of Object.entries(FIELDS) as [Field, readonly string[]][]) {
    for (const name of names) {
      const value = byName.get(name);
      if (typeof value === 'string' && value.trim() !== '') out[field] = value.trim();
      else if (typeof value === 'number' && Number.isFinite(value)) out[field] = String(value);
      if (out[field] !== undefined) break;
    }
  }
  return out;
}

const invalid = (message: string): IvmtrParse => ({ ok: false, code: 'invalid_record', message });

/** `2026-10-06 14:03:27`, `2026-10-06T14:03:27.000` or one of the IMb tracing forms; an offset is honoured. */
function scanInstant(text: string, timeZone: string): number | undefined {
  const trimmed = text.replace(/(\d{2}:\d{2}:\d{2})\.\d+/, '$1');
  if (/(Z|[+-]\d{2}:?\d{2})$/.test(trimmed)) {
    const instant = Date.parse(trimmed);
    return Number.isNaN(instant) ? undefined : instant;
  }
  const local = parseLocal(trimmed);
  if (!local) return undefined;
  const hhmm = `${String(local.hh).padStart(2, '0')}:${String(local.mm).padStart(2, '0')}`;
  return zonedTimeToInstant(local.date, hhmm, timeZone) + local.ss * 1_000;
}

function calendarDate(text: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text) ?? /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text);
  if (!m) return undefined;
  const [year, month, day] = text.includes('/') ? [m[3]!, m[1]!, m[2]!] : [m[1]!, m[2]!, m[3]!];
  const check = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (check.getUTCMonth() !== Number(month) - 1 || check.getUTCDate() !== Number(day)) return undefined;
  return `${year}-${month}-${day}`;
}

/** The scan's facility-local date plus `days`; USPS delivers no regular mail on Sundays. */
export function expectedDelivery(localDate: string, days: number): string {
  const date = addDays(localDate, days);
  return new Date(`${date}T12:00:00Z`).getUTCDay() === 0 ? addDays(date, 1) : date;
}

/** One IV-MTR record (a JSON object, or a delimited row already keyed by its header). */
export function parseIvmtrRecord(record: unknown, table: OperationTable): IvmtrParse {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return invalid('a record is an object of IV-MTR fields (imb, scanDatetime, opCode, scanFacilityZip, ...)');
  }
  const f = fieldsOf(record as Record<string, unknown>);
  if (!f.imb || !/^\d{20,31}$/.test(f.imb)) return invalid('imb: the barcode digits, 20 to 31');
  if (!f.opCode || !/^\d{1,4}$/.test(f.opCode)) return invalid('opCode: the USPS operation code, 1 to 4 digits');
  const zip = f.facilityZip?.replace(/-\d{4}$/, '');
  if (!zip || !/^\d{5}$/.test(zip)) return invalid('scanFacilityZip: the facility ZIP code, five digits');
  if (!f.scanDatetime) return invalid('scanDatetime: the facility-local scan date and time');
  const timeZone = facilityTimeZone(table, zip);
  const instant = scanInstant(f.scanDatetime, timeZone);
  if (instant === undefined) {
    return invalid('scanDatetime: YYYY-MM-DD HH:MM[:SS] (facility-local), MM/DD/YYYY HH:MM[:SS] or YYYYMMDDHHMMSS');
  }
  let feedDate: string | undefined;
  if (f.expectedDeliveryDate !== undefined) {
    feedDate = calendarDate(f.expectedDeliveryDate);
    if (!feedDate) return invalid('expectedDeliveryDate: YYYY-MM-DD or MM/DD/YYYY');
  }
  const opCode = String(Number(f.opCode)).padStart(3, '0');
  const entry = table.operations[opCode] ?? table.operations[f.opCode];
  if (entry === undefined) {
    return {
      ok: false,
      code: 'unknown_operation',
      message: `operation code ${f.opCode} is not in the operation table`,
    };
  }
  const meanings = meaningsOf(entry);
  if (!meanings) {
    return {
      ok: false,
      code: 'unknown_operation',
      message: `the table maps operation ${opCode} to ${JSON.stringify(entry)}, which no USPS scan can mean`,
    };
  }
  const trackingCode = f.imb.slice(0, 20);
  const occurredAt = withOffset(instant, timeZone);
  const days = typeof entry === 'object' ? entry.deliveryDays : undefined;
  const expectedDeliveryDate =
    meanings.outbound !== 'outbound'
      ? undefined
      : (feedDate ?? (days !== undefined ? expectedDelivery(occurredAt.slice(0, 10), days) : undefined));
  const handling =
    f.handlingEventType && /^[A-Za-z0-9]{1,4}$/.test(f.handlingEventType) ? f.handlingEventType : undefined;
  const eventCode = f.scanEventCode && /^[A-Za-z0-9]{1,8}$/.test(f.scanEventCode) ? f.scanEventCode : undefined;
  return {
    ok: true,
    scan: {
      trackingCode,
      opCode,
      facilityZip: zip,
      occurredAt,
      meanings,
      ...(expectedDeliveryDate ? { expectedDeliveryDate } : {}),
      ...(handling ? { handlingEventType: handling } : {}),
      ...(eventCode ? { scanEventCode: eventCode } : {}),
      eventId: uspsEventId(trackingCode, instant, opCode, zip),
    },
  };
}

const OUTBOUND_SIDE = new Set<string>(['outbound', 'undeliverable']);
const RETURN_SIDE = new Set<string>(['inbound', 'received']);

/**
 * Each side's meaning. A legacy string entry means its event on the envelope that event belongs to
 * (outbound and undeliverable: the outbound IMb; inbound and received: the return IMb); any other
 * event type (collected, challenged, ...) is the county's, never a USPS scan's.
 */
function meaningsOf(entry: OperationTable['operations'][string]): IvmtrScan['meanings'] | undefined {
  if (typeof entry === 'object') return { outbound: entry.outbound, return: entry.return };
  if (entry === 'ignore') return { outbound: 'ignore', return: 'ignore' };
  if (OUTBOUND_SIDE.has(entry)) return { outbound: entry as OutboundMeaning, return: 'ignore' };
  if (RETURN_SIDE.has(entry)) return { outbound: 'ignore', return: entry as ReturnMeaning };
  return undefined;
}

/** The records of an IV-MTR JSON document: `{"events": [...]}` (the push shape), `{"data": [...]}` or an array. */
export function ivmtrJsonRecords(document: unknown): unknown[] | undefined {
  if (Array.isArray(document)) return document as unknown[];
  if (typeof document === 'object' && document !== null) {
    for (const key of ['events', 'data', 'scans']) {
      const value = (document as Record<string, unknown>)[key];
      if (Array.isArray(value)) return value as unknown[];
    }
  }
  return undefined;
}

/**
 * A delimited IV-MTR file: the first non-empty line is the header (field names), then one record per
 * line. Fields are separated by `|` (a header with no `|` but tabs or commas sets that separator).
 * Each record comes out as an object keyed by the header's names, for `parseIvmtrRecord`.
 */
export async function* ivmtrDelimitedRecords(input: Readable | AsyncIterable<string>): AsyncGenerator<SourceRecord> {
  // A byte stream (a file) is split into lines; an object stream or iterable already yields lines.
  const lines: AsyncIterable<string> =
    'readableObjectMode' in input && !input.readableObjectMode
      ? createInterface({ input, crlfDelay: Infinity })
      : (input as AsyncIterable<string>);
  let header: string[] | undefined;
  let separator = '|';
  let line = 0;
  for await (const text of lines) {
    line += 1;
    if (text.trim() === '') continue;
    const split = (row: string) => row.split(separator).map((field) => field.trim().replace(/^"(.*)"$/, '$1'));
    if (!header) {
      separator = text.includes('|') ? '|' : text.includes('\t') ? '\t' : text.includes(',') ? ',' : '|';
      header = split(text);
      if (!header.some((name) => normalise(name) === 'imb')) {
        yield { line, error: { code: 'invalid_header', message: 'the first line names the fields and includes imb' } };
        return;
      }
      continue;
    }
    const values = split(text);
    if (values.length !== header.length) {
      yield {
        line,
        error: {
          code: 'invalid_record',
          message: `expected ${header.length} fields as in the header, got ${values.length}`,
        },
      };
      continue;
    }
    yield { line, value: Object.fromEntries(header.map((name, i) => [name, values[i]!])) };
  }
}
