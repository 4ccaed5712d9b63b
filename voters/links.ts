import type { Sql } from '../db/client.js';

/**
 * Manage links live this many days after Election Day when the election sets no closing date, and
 * this long from now when the voter has no election that closes later. Contact data is kept at
 * least as long (privacy/retention.ts): while a voter can open their preferences page, it stays.
 */
export const LINK_LIFETIME_DAYS = 90;
export const LINK_LIFETIME_MS = LINK_LIFETIME_DAYS * 86_400_000;

/**
 * When a subscription's manage links expire: with the voter's latest election (its closing date,
 * else Election Day plus the link lifetime, as the notices' links do); when no election of the voter
 * is still at least a day ahead, 90 days from now.
 */
export async function linkExpiry(sql: Sql, subscriptionId: string, now: number): Promise<number> {
  const [row] = await sql<{ latest: Date | null }[]>`
    SELECT max(coalesce(e.closes_at, (e.election_day + ${LINK_LIFETIME_DAYS}::int)::timestamptz)) AS latest
    FROM subscriptions s
    JOIN ballots b ON b.voter_id = s.voter_id
    JOIN elections e ON e.election_id = b.election_id
    WHERE s.subscription_id = ${subscriptionId}`;
  const latest = row?.latest ? new Date(row.latest).getTime() : undefined;
  return latest !== undefined && latest > now + 86_400_000 ? latest : now + LINK_LIFETIME_MS;
}
