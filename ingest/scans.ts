import { describeIssues, type ScanEvent } from '../domain/scan-event.js';
import type { Sql } from '../db/client.js';
import { ballotCounties, ballotKey } from './ballots.js';
import { knownElections } from './elections.js';
import { allowsCounty, type Principal } from '../domain/principal.js';
import { initialResults, scanItemSchema, type ItemResult, type ScanItem } from './schemas.js';

export interface ScanResult extends ItemResult {
  eventId?: string;
}

/**
 * Records scan events in the outbox: durable before the caller answers, duplicates detected
 * synchronously by the unique (election, eventId) index (within the batch too: the first wins).
 *
 * County scoping: a ballot's county comes from the ballots table. A key limited to some counties may
 * only send scans for ballots already issued in one of them; scans for ballots not (yet) issued need a
 * key with every county (403 for that item otherwise), because nothing else says which county they
 * belong to. Keys with every county may send scans before the issuance (the workflow keeps them).
 */
export async function ingestScans(
  sql: Sql,
  principal: Principal,
  items: readonly unknown[],
  lines?: readonly number[],
): Promise<ScanResult[]> {
  const results: ScanResult[] = initialResults(items, lines, ['eventId']);
  let candidates: { index: number; scan: ScanItem }[] = [];
  items.forEach((item, index) => {
    const parsed = scanItemSchema.safeParse(item);
    if (parsed.success) {
      candidates.push({ index, scan: parsed.data });
    } else {
      results[index]!.outcome = 'invalid';
      results[index]!.error = { code: 'invalid_item', message: describeIssues(parsed.error) };
    }
  });
  if (candidates.length === 0) return results;

  const elections = await knownElections(sql, [...new Set(candidates.map(({ scan }) => scan.electionId))]);
  candidates = candidates.filter(({ index, scan }) => {
    if (elections.has(scan.electionId)) return true;
    results[index]!.outcome = 'invalid';
    results[index]!.error = {
      code: 'unknown_election',
      message: `Election ${scan.electionId} does not exist.`,
      status: 404,
    };
    return false;
  });

  if (principal.counties !== null && candidates.length > 0) {
    const counties = await ballotCounties(
      sql,
      candidates.map(({ scan }) => scan),
    );
    candidates = candidates.filter(({ index, scan }) => {
      const county = counties.get(ballotKey(scan.electionId, scan.ballotId));
      if (county !== undefined && allowsCounty(principal, county)) return true;
      results[index]!.outcome = 'invalid';
      results[index]!.error =
        county === undefined
          ? {
              code: 'unknown_ballot',
              message:
                'This ballot has not been issued; a key limited to counties may only report scans of issued ballots.',
              status: 403,
            }
          : { code: 'county_forbidden', message: `This key may not write scans of county ${county}.`, status: 403 };
      return false;
    });
  }

  const firstInBatch = new Map<string, number>();
  const rows: { election_id: string; ballot_id: string; event_id: string; event: ScanEvent }[] = [];
  for (const { index, scan } of candidates) {
    const key = `${scan.electionId}\u0000${scan.eventId}`;
    if (firstInBatch.has(key)) {
      results[index]!.outcome = 'duplicate';
      continue;
    }
    firstInBatch.set(key, index);
    const { electionId, ballotId, ...event } = scan;
    rows.push({ election_id: electionId, ballot_id: ballotId, event_id: scan.eventId, event });
  }
  if (rows.length === 0) return results;

  const inserted = await sql<{ election_id: string; event_id: string }[]>`
    INSERT INTO workflow_outbox (kind, election_id, ballot_id, event_id, payload, key_id)
    SELECT 'scan', election_id, ballot_id, event_id, event, ${principal.keyId}
    FROM ROWS FROM (jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) AS (election_id text, ballot_id text, event_id text, event jsonb))
           WITH ORDINALITY AS r(election_id, ballot_id, event_id, event, n)
    ORDER BY n
    ON CONFLICT (election_id, event_id) WHERE kind = 'scan' DO NOTHING
    RETURNING election_id, event_id`;
  const accepted = new Set(inserted.map((row) => `${row.election_id}\u0000${row.event_id}`));
  for (const [key, index] of firstInBatch) {
    if (!accepted.has(key)) results[index]!.outcome = 'duplicate';
  }
  return results;
}
