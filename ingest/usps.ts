import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Sql } from '../db/client.js';
import {
  ballotsByEnvelope,
  eventTypeOf,
  insertUspsScans,
  lockTrackingCodes,
  uspsEventWrite,
  type EnvelopeSide,
  type UspsScanWrite,
} from '../db/usps-scans.js';
import type { EventWrite } from '../db/ballots.js';
import type { EventOutcome } from '../domain/ballot-status.js';
import { allowsCounty, type Principal } from '../domain/principal.js';
import { describeIssues } from '../domain/scan-event.js';
import { knownElections } from './elections.js';
import { operationTableSchema, type OperationTable } from './parsers/imb.js';
import { parseIvmtrRecord, type IvmtrScan } from './parsers/ivmtr.js';
import { recordScans } from './scans.js';
import { itemResultSchema, OUTCOMES, type ItemResult } from './schemas.js';
import defaultTable from './usps-operations.json' with { type: 'json' };

/**
 * What an accepted IV-MTR scan did: a status event's outcome (`applied`, `stale`, `capped`), `pending`
 * (no issued ballot carries the barcode yet: kept and applied when one is issued), `recorded` (a fact
 * with no status of its own: delivered to the voter) or `ignored` (the table ignores the operation on
 * that envelope, or on both: such a scan is not stored).
 */
export type UspsEffect = EventOutcome | 'recorded' | 'ignored';

export interface UspsResult extends ItemResult {
  trackingCode?: string;
  eventId?: string;
  ballotId?: string;
  envelope?: EnvelopeSide;
  /** The status event the scan made on its envelope, when it made one. */
  type?: string;
  effect?: UspsEffect;
}

/** Most IV-MTR records one request may carry; every 1,000 count as one more request against the key's limit. */
export const MAX_IVMTR_RECORDS = 10_000;

/**
 * One IV-MTR record as documented (OpenAPI). The parser (`parseIvmtrRecord`) is what validates: it
 * also takes the fields under other spellings (`scan_datetime`, `SCAN DATETIME`, `operationCode`).
 */
export const ivmtrRecordSchema = z
  .object({
    imb: z
      .string()
      .regex(/^\d{20,31}$/)
      .describe('the IMb digits; the first 20 (the tracking code) find the envelope'),
    scanDatetime: z
      .string()
      .describe('facility-local date and time, no zone (YYYY-MM-DD HH:MM:SS); read in the facility ZIP time zone'),
    opCode: z
      .string()
      .regex(/^\d{1,4}$/)
      .describe('the USPS operation code (alias operationCode)'),
    scanFacilityZip: z
      .string()
      .regex(/^\d{5}(-\d{4})?$/)
      .describe('the scanning facility ZIP (alias facilityZip)'),
    expectedDeliveryDate: z
      .string()
      .optional()
      .describe("USPS's own date (YYYY-MM-DD), used for the outbound envelope"),
    handlingEventType: z.string().optional().describe('kept with the scan (L logical, P physical)'),
    scanEventCode: z.string().optional().describe('kept with the scan'),
  })
  .catchall(z.unknown())
  .describe('an IV-MTR piece scan; other IV-MTR fields (facility name, mail phase, machine, ...) are ignored');

/** The JSON push body: IV-MTR's `{"events": [...]}` (a bare array is taken too). */
export const ivmtrPushSchema = z
  .object({ events: z.array(ivmtrRecordSchema).min(1).max(MAX_IVMTR_RECORDS) })
  .catchall(z.unknown());

export const USPS_EFFECTS = ['applied', 'stale', 'pending', 'capped', 'recorded', 'ignored'] as const;

export const uspsResultsSchema = z.object({
  results: z.array(
    itemResultSchema.extend({
      trackingCode: z.string().optional(),
      eventId: z.string().optional(),
      ballotId: z.string().optional().describe('the ballot carrying the barcode (a key sees only its counties)'),
      envelope: z.enum(['outbound', 'return']).optional(),
      type: z.string().optional().describe('the status event the scan made on its envelope'),
      effect: z.enum(USPS_EFFECTS).optional(),
    }),
  ),
  summary: z.object(Object.fromEntries(OUTCOMES.map((outcome) => [outcome, z.number().int()]))),
});

/** The repository's operation table (`ingest/usps-operations.json`), read in `defaultTimeZone`. */
export function defaultOperationTable(defaultTimeZone: string): OperationTable {
  return operationTableSchema(defaultTimeZone).parse(defaultTable);
}

/** Reads an operation table file; a failure names `what` (the variable or option), the file and the problem. */
export function readOperationTable(file: string, defaultTimeZone: string, what: string): OperationTable {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${what}: cannot read ${file} as JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = operationTableSchema(defaultTimeZone).safeParse(json);
  if (!parsed.success) throw new Error(`${what}: ${file}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

const UNKNOWN_BARCODE =
  'No issued ballot of the key counties carries this barcode; a key limited to counties may only report scans of its issued ballots.';

/**
 * Records IV-MTR scan records for one election. Each record is checked alone (a bad one is `invalid`
 * and the others go on); a re-sent scan is `duplicate` (deterministic event ID). The tracking code
 * finds the ballot and the envelope (outbound or return IMb); the operation table says what the scan
 * means on that envelope; status events go through the same accepting transaction as POST /v1/scans.
 *
 * Unknown barcodes follow the API's rule for unknown ballot IDs: a key with every county may report
 * them (kept as orphans, applied when a ballot with that IMb is issued); a key limited to counties
 * gets `unknown_barcode` (403) for a barcode none of its counties' issued ballots carries, the same
 * answer whether the barcode is unknown or another county's (no existence oracle).
 */
export async function ingestIvmtr(
  sql: Sql,
  principal: Principal,
  electionId: string,
  records: readonly unknown[],
  table: OperationTable,
  lines?: readonly number[],
): Promise<UspsResult[]> {
  const results: UspsResult[] = records.map((_, index) => ({
    index,
    ...(lines ? { line: lines[index]! } : {}),
    outcome: 'accepted',
  }));
  const elections = await knownElections(sql, [electionId]);
  if (!elections.has(electionId)) {
    for (const result of results) {
      result.outcome = 'invalid';
      result.error = { code: 'unknown_election', message: `Election ${electionId} does not exist.`, status: 404 };
    }
    return results;
  }

  const candidates: { index: number; scan: IvmtrScan }[] = [];
  const seen = new Set<string>();
  records.forEach((record, index) => {
    const result = results[index]!;
    const parsed = parseIvmtrRecord(record, table);
    if (!parsed.ok) {
      result.outcome = 'invalid';
      result.error = { code: parsed.code, message: parsed.message };
      return;
    }
    const { scan } = parsed;
    result.trackingCode = scan.trackingCode;
    result.eventId = scan.eventId;
    if (scan.meanings.outbound === 'ignore' && scan.meanings.return === 'ignore') {
      result.effect = 'ignored';
    } else if (seen.has(scan.eventId)) {
      result.outcome = 'duplicate';
    } else {
      seen.add(scan.eventId);
      candidates.push({ index, scan });
    }
  });
  if (candidates.length === 0) return results;

  await sql.begin(async (tx) => {
    await lockTrackingCodes(
      tx,
      candidates.map(({ scan }) => ({ electionId, code: scan.trackingCode })),
    );
    const owners = await ballotsByEnvelope(tx, electionId, [
      ...new Set(candidates.map(({ scan }) => scan.trackingCode)),
    ]);
    const writes: { index: number; write: UspsScanWrite }[] = [];
    for (const { index, scan } of candidates) {
      const owner = owners.get(scan.trackingCode);
      if (principal.counties !== null && (!owner || !allowsCounty(principal, owner.county))) {
        results[index]!.outcome = 'invalid';
        results[index]!.error = { code: 'unknown_barcode', message: UNKNOWN_BARCODE, status: 403 };
        continue;
      }
      writes.push({
        index,
        write: {
          electionId,
          trackingCode: scan.trackingCode,
          eventId: scan.eventId,
          ballotId: owner?.ballotId ?? null,
          side: owner?.side ?? null,
          opCode: scan.opCode,
          occurredAt: scan.occurredAt,
          facilityZip: scan.facilityZip,
          meanings: scan.meanings,
          details: {
            ...(scan.expectedDeliveryDate ? { expectedDeliveryDate: scan.expectedDeliveryDate } : {}),
            ...(scan.handlingEventType ? { handlingEventType: scan.handlingEventType } : {}),
            ...(scan.scanEventCode ? { scanEventCode: scan.scanEventCode } : {}),
          },
          keyId: principal.keyId,
        },
      });
    }
    const stored = await insertUspsScans(
      tx,
      writes.map(({ write }) => write),
    );
    const events: EventWrite[] = [];
    const byEvent = new Map<string, number>();
    for (const { index, write } of writes) {
      const result = results[index]!;
      if (!stored.has(write.eventId)) {
        result.outcome = 'duplicate';
        continue;
      }
      if (!write.ballotId || !write.side) {
        result.effect = 'pending';
        continue;
      }
      result.ballotId = write.ballotId;
      result.envelope = write.side;
      const meaning = write.meanings[write.side];
      const type = eventTypeOf(meaning);
      if (!type) {
        result.effect = meaning === 'delivered' ? 'recorded' : 'ignored';
        continue;
      }
      result.type = type;
      events.push(uspsEventWrite({ ...write, ballotId: write.ballotId, side: write.side }, type));
      byEvent.set(write.eventId, index);
    }
    const effects = await recordScans(tx, events);
    for (const [eventId, index] of byEvent) {
      const effect = effects.get(`${electionId}\u0000${eventId}`);
      // The same event ID already came in through POST /v1/scans: the scan is recorded once.
      if (effect) results[index]!.effect = effect;
      else results[index]!.outcome = 'duplicate';
    }
  });
  return results;
}
