/**
 * How long the signed manage and unsubscribe links in every message stay valid. Pure. Contact data
 * is kept at least as long (privacy/retention.ts): while a voter can open their preferences page, it
 * stays.
 */

const MS_PER_DAY = 86_400_000;

/**
 * Manage links live this many days after Election Day when the election sets no closing date, and
 * this long from now when the voter has no election that closes later.
 */
export const LINK_LIFETIME_DAYS = 90;
export const LINK_LIFETIME_MS = LINK_LIFETIME_DAYS * MS_PER_DAY;

/**
 * When a subscription's manage links expire, given the end of the voter's latest election (its
 * closing date, else Election Day plus the link lifetime): then, unless that is not at least a day
 * ahead, in which case the link lifetime from now.
 */
export function manageLinkExpiry(latestElectionEnd: number | undefined, now: number): number {
  return latestElectionEnd !== undefined && latestElectionEnd > now + MS_PER_DAY
    ? latestElectionEnd
    : now + LINK_LIFETIME_MS;
}
