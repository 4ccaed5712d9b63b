import { describeIssues } from '../domain/scan-event.js';
import type { Sql } from '../db/client.js';
import { rollCounties, upsertRoll } from '../db/voter-roll.js';
import { allowsCounty, type Principal } from '../domain/principal.js';
import { initialResults, voterItemSchema, type ItemResult, type VoterItem } from './schemas.js';

export interface VoterResult extends ItemResult {
  voterId?: string;
}

const forbidden = (county: string) => ({
  code: 'county_forbidden',
  message: `This key may not write voters of county ${county}.`,
  status: 403,
});

/**
 * Upserts voters by voterId. An unchanged record is `duplicate`; a voter may not be moved into a
 * county the key does not cover (403 for that item, naming the county the caller sent). A voter ID
 * already on another county's roll is left untouched and answered `accepted`, exactly as an unknown
 * ID would be (`onForeignVoter` tells the operator). Items that repeat a voterId within one batch are
 * applied in request order.
 */
export async function ingestVoters(
  sql: Sql,
  principal: Principal,
  items: readonly unknown[],
  lines?: readonly number[],
  options: { onForeignVoter?: (write: { keyId: string; voterId: string }) => void } = {},
): Promise<VoterResult[]> {
  const results: VoterResult[] = initialResults(items, lines, ['voterId']);
  const rounds: { index: number; voter: VoterItem }[][] = [];
  const seenInBatch = new Map<string, number>();
  items.forEach((item, index) => {
    const parsed = voterItemSchema.safeParse(item);
    const result = results[index]!;
    if (!parsed.success) {
      result.outcome = 'invalid';
      result.error = { code: 'invalid_item', message: describeIssues(parsed.error) };
      return;
    }
    const voter = { ...parsed.data, zip: parsed.data.zip.slice(0, 5) };
    if (!allowsCounty(principal, voter.county)) {
      result.outcome = 'invalid';
      result.error = forbidden(voter.county);
      return;
    }
    const round = seenInBatch.get(voter.voterId) ?? 0;
    seenInBatch.set(voter.voterId, round + 1);
    (rounds[round] ??= []).push({ index, voter });
  });

  for (const round of rounds) {
    const rows = round.map(({ voter }) => ({
      voter_id: voter.voterId,
      county: voter.county,
      first_name: voter.firstName,
      last_name: voter.lastName,
      date_of_birth: voter.dateOfBirth,
      zip: voter.zip,
      status: voter.status ?? 'active',
      language: voter.language ?? null,
    }));
    const writtenIds = await upsertRoll(sql, rows, principal.counties);
    const existing = await rollCounties(
      sql,
      round.filter(({ voter }) => !writtenIds.has(voter.voterId)).map(({ voter }) => voter.voterId),
    );
    for (const { index, voter } of round) {
      if (writtenIds.has(voter.voterId)) continue;
      const result = results[index]!;
      const county = existing.get(voter.voterId);
      if (county !== undefined && !allowsCounty(principal, county)) {
        // The voter ID belongs to a county this key does not cover. Answered as for an unknown voter
        // (accepted), so a county key cannot probe other counties' rolls; nothing is written, and the
        // operator log says so (a real ID collision between counties is theirs to sort out).
        options.onForeignVoter?.({ keyId: principal.keyId, voterId: voter.voterId });
      } else {
        result.outcome = 'duplicate';
      }
    }
  }
  return results;
}
