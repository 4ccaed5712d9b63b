import { createHash } from 'node:crypto';
import { z } from 'zod';
import { EVENT_TYPES, type EventType } from '../../domain/ballot-status.js';
import { isValidTimeZone, offsetMinutesAt, zonedTimeToInstant } from '../../domain/zoned-time.js';

/**
 * USPS legacy IMb tracing rows: `facilityZip, operationCode, facility-local date-time, routingCode,
 * trackingCode` separated by commas, pipes or tabs, one scan per line; a header line is skipped.
 * The local time has no zone: it is read in the facility's time zone (looked up by the longest
 * matching ZIP prefix of the operation table) and stored with that offset.
 *
 * Which operation codes mean what is configuration, not code: the table maps each code to an event
 * type, or to `ignore` for sorting scans that say nothing to the voter. A code missing from the table
 * is reported as invalid so an operator notices a new one.
 */

/** What a USPS scan of the outbound envelope's IMb can mean (IV-MTR). `delivered` is a fact, not a status. */
export const OUTBOUND_MEANINGS = ['outbound', 'delivered', 'undeliverable', 'ignore'] as const;
/** What a USPS scan of the return envelope's IMb can mean: on the way back, or delivered to the county. */
export const RETURN_MEANINGS = ['inbound', 'received', 'ignore'] as const;
export type OutboundMeaning = (typeof OUTBOUND_MEANINGS)[number];
export type ReturnMeaning = (typeof RETURN_MEANINGS)[number];

/**
 * One operation code's entry. A string is the legacy form (one barcode per ballot, IMb tracing rows):
 * the event type for that barcode. The object form says what the code means on each envelope (IV-MTR
 * feeds, where a ballot has an outbound and a return IMb); a side left out is `ignore`.
 * `deliveryDays`: the scan is the last processing at the destination facility, so delivery is
 * expected that many days after its facility-local date (a Sunday moves to Monday).
 */
export const operationEntrySchema = z.union([
  z.enum(EVENT_TYPES),
  z.literal('ignore'),
  z
    .object({
      label: z.string().max(200).optional(),
      outbound: z.enum(OUTBOUND_MEANINGS).default('ignore'),
      return: z.enum(RETURN_MEANINGS).default('ignore'),
      deliveryDays: z.number().int().min(0).max(14).optional(),
    })
    .strict(),
]);
export type OperationEntry = z.output<typeof operationEntrySchema>;

/**
 * The operation table's schema. A facility the table does not list is read in the table's
 * `defaultTimeZone`, else in `defaultTimeZone` given here (DEFAULT_TIME_ZONE).
 */
export function operationTableSchema(defaultTimeZone: string) {
  return z.object({
    operations: z.record(z.string().regex(/^\d{1,4}$/), operationEntrySchema),
    facilityTimeZones: z
      .record(z.string().regex(/^\d{1,5}$/), z.string().refine(isValidTimeZone, 'an IANA time zone'))
      .default({}),
    defaultTimeZone: z.string().refine(isValidTimeZone, 'an IANA time zone').default(defaultTimeZone),
  });
}
export type OperationTable = z.output<ReturnType<typeof operationTableSchema>>;

export interface ImbScan {
  trackingCode: string;
  facilityZip: string;
  operationCode: string;
  type: EventType | 'ignore';
  /** ISO 8601 with the facility's offset at that instant. */
  occurredAt: string;
  /** Deterministic: the same scan in a re-sent or re-run file gets the same ID (hence `duplicate`). */
  eventId: string;
}

export type ImbParse = { ok: true; scan: ImbScan } | { ok: false; code: string; message: string };

const LOCAL_FORMATS: { pattern: RegExp; order: 'ymd' | 'mdy' }[] = [
  { pattern: /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/, order: 'ymd' },
  { pattern: /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2})(?::(\d{2}))?$/, order: 'mdy' },
  { pattern: /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/, order: 'ymd' },
];

export function parseLocal(text: string): { date: string; hh: number; mm: number; ss: number } | undefined {
  for (const { pattern, order } of LOCAL_FORMATS) {
    const m = pattern.exec(text);
    if (!m) continue;
    const [year, month, day] = order === 'ymd' ? [m[1]!, m[2]!, m[3]!] : [m[3]!, m[1]!, m[2]!];
    const [hh, mm, ss] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
    const check = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
    if (check.getUTCMonth() !== Number(month) - 1 || check.getUTCDate() !== Number(day)) return undefined;
    if (hh > 23 || mm > 59 || ss > 59) return undefined;
    return { date: `${year}-${month}-${day}`, hh, mm, ss };
  }
  return undefined;
}

export function facilityTimeZone(table: OperationTable, zip: string): string {
  for (let length = zip.length; length > 0; length -= 1) {
    const zone = table.facilityTimeZones[zip.slice(0, length)];
    if (zone) return zone;
  }
  return table.defaultTimeZone;
}

export function withOffset(instant: number, timeZone: string): string {
  const offset = offsetMinutesAt(instant, timeZone);
  const local = new Date(instant + offset * 60_000).toISOString().slice(0, 19);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** True for a header line (its first field is not a ZIP). */
export function isImbHeader(text: string): boolean {
  return !/^\s*\d/.test(text);
}

export function parseImbRow(text: string, table: OperationTable): ImbParse {
  const fields = text.split(/[,|\t]/).map((field) => field.trim().replace(/^"(.*)"$/, '$1'));
  if (fields.length < 5) {
    return {
      ok: false,
      code: 'invalid_row',
      message: 'expected 5 fields: facility ZIP, operation, local time, routing code, tracking code',
    };
  }
  const [facilityZip, operationCode, localTime, routingCode, trackingCode] = fields as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^\d{5}$/.test(facilityZip)) return { ok: false, code: 'invalid_row', message: 'facility ZIP: five digits' };
  if (!/^\d{1,4}$/.test(operationCode)) return { ok: false, code: 'invalid_row', message: 'operation code: digits' };
  if (!/^(\d{5}|\d{9}|\d{11})?$/.test(routingCode)) {
    return { ok: false, code: 'invalid_row', message: 'routing code: empty, 5, 9 or 11 digits' };
  }
  if (!/^\d{20}$/.test(trackingCode)) return { ok: false, code: 'invalid_row', message: 'tracking code: 20 digits' };
  const local = parseLocal(localTime);
  if (!local) {
    return {
      ok: false,
      code: 'invalid_row',
      message: 'local time: YYYY-MM-DD HH:MM[:SS], MM/DD/YYYY HH:MM[:SS] or YYYYMMDDHHMMSS',
    };
  }
  const code = String(Number(operationCode)).padStart(3, '0');
  const entry = table.operations[code] ?? table.operations[operationCode];
  // An IV-MTR entry read for a legacy row (one barcode): its outbound meaning; `delivered` is no event.
  const type = typeof entry === 'object' ? (entry.outbound === 'delivered' ? 'ignore' : entry.outbound) : entry;
  if (!type) {
    return {
      ok: false,
      code: 'unknown_operation',
      message: `operation code ${operationCode} is not in the operation table`,
    };
  }
  const timeZone = facilityTimeZone(table, facilityZip);
  const hhmm = `${String(local.hh).padStart(2, '0')}:${String(local.mm).padStart(2, '0')}`;
  const instant = zonedTimeToInstant(local.date, hhmm, timeZone) + local.ss * 1_000;
  const occurredAt = withOffset(instant, timeZone);
  const eventId = uspsEventId(trackingCode, instant, code, facilityZip);
  return { ok: true, scan: { trackingCode, facilityZip, operationCode: code, type, occurredAt, eventId } };
}

/**
 * A USPS scan's event ID: the same barcode, instant, operation and facility give the same ID, whether
 * the scan came in a legacy tracing row or an IV-MTR record, so a re-sent scan is a `duplicate`.
 */
export function uspsEventId(trackingCode: string, instant: number, opCode: string, facilityZip: string): string {
  return `usps-${createHash('sha256')
    .update(`${trackingCode}|${new Date(instant).toISOString()}|${opCode}|${facilityZip}`)
    .digest('hex')
    .slice(0, 32)}`;
}
