/**
 * USPS IV-MTR scans and the ballots' two barcodes. Every scan taken is kept in `usps_scans`, by
 * election and deterministic event ID; a scan whose tracking code no issued ballot carries yet is an
 * orphan (`ballot_id` null) until a ballot with that IMb is issued (`adoptOrphanScans`, called by the
 * issuing transaction). Writers of one tracking code are serialised by a transaction-scoped advisory
 * lock on its bucket (256 per election; the key the ballots trigger of migration 0011 takes), so an
 * orphan written while its ballot is being issued is never left behind.
 */
import type postgres from 'postgres';
import { EVENT_TYPES, type EventType } from '../domain/ballot-status.js';
import { insertEvents, type EventWrite } from './ballots.js';

type Tx = postgres.TransactionSql;

export type EnvelopeSide = 'outbound' | 'return';

/** The first 20 digits of an IMb: what a scan carries and what pieces match on. */
export const trackingCode = (imb: string) => imb.slice(0, 20);

/**
 * Takes the advisory locks of these tracking codes (one per bucket of codes: `usps_tracking_lock_key`
 * of migration 0011, the key the ballots trigger takes), in a fixed order: no deadlock between writers.
 */
export async function lockTrackingCodes(tx: Tx, codes: readonly { electionId: string; code: string }[]): Promise<void> {
  if (codes.length === 0) return;
  const pairs = JSON.stringify(codes.map(({ electionId, code }) => ({ e: electionId, c: code })));
  // Volatile functions in the select list run after the sort: the locks are taken in key order.
  await tx`
    SELECT pg_advisory_xact_lock(k)
    FROM (SELECT DISTINCT usps_tracking_lock_key(p.e, p.c) AS k
          FROM jsonb_to_recordset(${pairs}::text::jsonb) AS p(e text, c text)) keys
    ORDER BY k`;
}

export interface BarcodeOwner {
  ballotId: string;
  county: string;
  side: EnvelopeSide;
}

/** The ballots of an election carrying these tracking codes, on either envelope, by tracking code. */
export async function ballotsByEnvelope(
  db: Tx,
  electionId: string,
  codes: readonly string[],
): Promise<Map<string, BarcodeOwner>> {
  if (codes.length === 0) return new Map();
  const rows = await db<
    { ballot_id: string; county: string; outbound_code: string | null; return_code: string | null }[]
  >`
    SELECT ballot_id, county, left(imb, 20) AS outbound_code, left(return_imb, 20) AS return_code
    FROM ballots
    WHERE election_id = ${electionId}
      AND (left(imb, 20) = ANY(${[...codes]}::text[]) OR left(return_imb, 20) = ANY(${[...codes]}::text[]))`;
  const owners = new Map<string, BarcodeOwner>();
  for (const row of rows) {
    if (row.outbound_code)
      owners.set(row.outbound_code, { ballotId: row.ballot_id, county: row.county, side: 'outbound' });
    if (row.return_code) owners.set(row.return_code, { ballotId: row.ballot_id, county: row.county, side: 'return' });
  }
  return owners;
}

/** Tracking codes of this election already on some ballot's envelope (either column). */
export async function usedTrackingCodes(db: Tx, electionId: string, codes: readonly string[]): Promise<Set<string>> {
  return new Set((await ballotsByEnvelope(db, electionId, codes)).keys());
}

export interface UspsScanWrite {
  electionId: string;
  trackingCode: string;
  eventId: string;
  ballotId: string | null;
  side: EnvelopeSide | null;
  opCode: string;
  occurredAt: string;
  facilityZip: string;
  meanings: { outbound: string; return: string };
  details: Record<string, unknown>;
  keyId: string | null;
}

/** Stores new scans; an event ID the election already has is not stored. Returns the stored event IDs. */
export async function insertUspsScans(db: Tx, scans: readonly UspsScanWrite[]): Promise<Set<string>> {
  if (scans.length === 0) return new Set();
  const rows = scans.map((s) => ({
    election_id: s.electionId,
    tracking_code: s.trackingCode,
    event_id: s.eventId,
    ballot_id: s.ballotId,
    side: s.side,
    op_code: s.opCode,
    occurred_at: s.occurredAt,
    facility_zip: s.facilityZip,
    meanings: s.meanings,
    details: s.details,
    key_id: s.keyId,
  }));
  const inserted = await db<{ event_id: string }[]>`
    INSERT INTO usps_scans (election_id, tracking_code, event_id, ballot_id, side, op_code, occurred_at, facility_zip,
                            meanings, details, key_id)
    SELECT election_id, tracking_code, event_id, ballot_id, side, op_code, occurred_at, facility_zip, meanings, details, key_id
    FROM ROWS FROM (jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb)
           AS (election_id text, tracking_code text, event_id text, ballot_id text, side text, op_code text,
               occurred_at timestamptz, facility_zip text, meanings jsonb, details jsonb, key_id text))
         WITH ORDINALITY AS r(election_id, tracking_code, event_id, ballot_id, side, op_code, occurred_at, facility_zip,
                              meanings, details, key_id, n)
    ORDER BY n
    ON CONFLICT (election_id, event_id) DO NOTHING
    RETURNING event_id`;
  return new Set(inserted.map((row) => row.event_id));
}

const STATUS_EVENTS = new Set<string>(EVENT_TYPES);

/** The ballot event a USPS scan makes on one side, or undefined (delivered, ignore). */
export function eventTypeOf(meaning: string): EventType | undefined {
  return STATUS_EVENTS.has(meaning) ? (meaning as EventType) : undefined;
}

/** The ballot event written for a USPS scan: IDs and codes only, like every stored event. */
export function uspsEventWrite(
  scan: {
    electionId: string;
    ballotId: string;
    eventId: string;
    occurredAt: string;
    facilityZip: string;
    opCode: string;
    side: EnvelopeSide;
    details: Record<string, unknown>;
    keyId: string | null;
  },
  type: EventType,
): EventWrite {
  const expected = scan.side === 'outbound' ? scan.details.expectedDeliveryDate : undefined;
  return {
    electionId: scan.electionId,
    ballotId: scan.ballotId,
    eventId: scan.eventId,
    type,
    occurredAt: scan.occurredAt,
    details: {
      source: 'usps-ivmtr',
      facilityZip: scan.facilityZip,
      opCode: scan.opCode,
      envelope: scan.side,
      ...(typeof expected === 'string' ? { expectedDeliveryDate: expected } : {}),
    },
    keyId: scan.keyId,
  };
}

/**
 * Newly issued ballots take the orphan scans of their tracking codes: each is tied to its ballot and
 * envelope side and, when its meaning on that side is a status event, stored as a `pending` ballot
 * event in arrival order, for `applyWaitingScans` to fold. The caller holds the codes' locks.
 */
export async function adoptOrphanScans(
  tx: Tx,
  ballots: readonly { electionId: string; ballotId: string; imb: string | null; returnImb: string | null }[],
): Promise<number> {
  const pairs = ballots.flatMap((b) => [
    ...(b.imb
      ? [{ election_id: b.electionId, ballot_id: b.ballotId, code: trackingCode(b.imb), side: 'outbound' }]
      : []),
    ...(b.returnImb
      ? [{ election_id: b.electionId, ballot_id: b.ballotId, code: trackingCode(b.returnImb), side: 'return' }]
      : []),
  ]);
  if (pairs.length === 0) return 0;
  const adopted = await tx<
    {
      election_id: string;
      ballot_id: string;
      event_id: string;
      side: EnvelopeSide;
      op_code: string;
      occurred_at: Date;
      facility_zip: string;
      meanings: Record<EnvelopeSide, string>;
      details: Record<string, unknown>;
      key_id: string | null;
      seq: string;
    }[]
  >`
    UPDATE usps_scans s SET ballot_id = p.ballot_id, side = p.side
    FROM jsonb_to_recordset(${JSON.stringify(pairs)}::text::jsonb) AS p(election_id text, ballot_id text, code text, side text)
    WHERE s.election_id = p.election_id AND s.tracking_code = p.code AND s.ballot_id IS NULL
    RETURNING s.election_id, s.ballot_id, s.event_id, s.side, s.op_code, s.occurred_at, s.facility_zip, s.meanings,
              s.details, s.key_id, s.seq`;
  const writes: EventWrite[] = [];
  for (const row of adopted.sort((a, b) => Number(BigInt(a.seq) - BigInt(b.seq)))) {
    const type = eventTypeOf(row.meanings[row.side]);
    if (!type) continue;
    writes.push(
      uspsEventWrite(
        {
          electionId: row.election_id,
          ballotId: row.ballot_id,
          eventId: row.event_id,
          occurredAt: row.occurred_at.toISOString(),
          facilityZip: row.facility_zip,
          opCode: row.op_code,
          side: row.side,
          details: row.details,
          keyId: row.key_id,
        },
        type,
      ),
    );
  }
  await insertEvents(tx, writes);
  return adopted.length;
}

/** What USPS said about a ballot beyond its status: delivery to the voter, the expected date. */
export interface MailFacts {
  deliveredAt: string | null;
  expectedDeliveryDate: string | null;
}

export async function mailFacts(
  db: postgres.Sql | Tx,
  electionId: string,
  ballotId: string,
): Promise<MailFacts | undefined> {
  const [row] = await db<{ scans: number; delivered_at: Date | null; expected: string | null }[]>`
    SELECT count(*)::int AS scans,
           min(occurred_at) FILTER (WHERE side = 'outbound' AND meanings->>'outbound' = 'delivered') AS delivered_at,
           (array_agg(details->>'expectedDeliveryDate' ORDER BY seq DESC)
              FILTER (WHERE side = 'outbound' AND details ? 'expectedDeliveryDate'))[1] AS expected
    FROM usps_scans WHERE election_id = ${electionId} AND ballot_id = ${ballotId}`;
  if (!row || row.scans === 0) return undefined;
  return { deliveredAt: row.delivered_at?.toISOString() ?? null, expectedDeliveryDate: row.expected };
}
