/**
 * A ballot's status, events and notices, read from PostgreSQL only: no workflow is queried, so the
 * answer is the same with the worker stopped, with Temporal down, and years after the workflow is
 * gone. Notices come from the ledger (what was sent, is being sent, retried, failed or skipped) plus
 * what each channel is owed now for the current status, decided by the workflow's own rule
 * (`nextNotice`): `scheduled` on a channel of the voter's plan, `skipped` on a channel that left it
 * (opted out, contact disabled, unsubscribed, channel no longer chosen).
 *
 * Why `skipped` is computed here rather than written to the ledger by the workflow: the workflow
 * would need a new activity call (a new command in every running ballot's history, an action per
 * skip), while the rule it applies is pure and its inputs (the status, the plan, the contacts)
 * are all in PostgreSQL, exactly as for `scheduled`. What this read cannot show is a skip of a
 * status that is no longer current after the voter opted back in; the ledger keeps what was sent.
 */
import { z } from 'zod';
import { deliveryPlans, electionFacts, idleChannels } from '../db/ballot-records.js';
import { eventsOf, findBallot, noticeRowsOf, type NoticeRow, type StoredEvent } from '../db/ballots.js';
import type { Sql } from '../db/client.js';
import { broadcastOfSequence } from '../domain/broadcasts.js';
import { mailFacts } from '../db/usps-scans.js';
import { BALLOT_STATUSES, EVENT_TYPES, needsAttention, type BallotStatus } from '../domain/ballot-status.js';
import { CHANNELS, cureDeadlineInstant, nextNotice, owedNotices, type Channel } from '../domain/notices.js';

export const NOTICE_STATES = ['scheduled', 'sending', 'retrying', 'sent', 'failed', 'skipped'] as const;
export type NoticeState = (typeof NOTICE_STATES)[number];

export const ballotStatusResponseSchema = z.object({
  electionId: z.string(),
  ballotId: z.string(),
  county: z.string().nullable(),
  status: z.enum(BALLOT_STATUSES),
  statusChangedAt: z.string().nullable(),
  awaitingIssuance: z.boolean().describe('scans are kept, but no issuance record names the ballot yet'),
  needsAttention: z.boolean(),
  attention: z.string().nullable().describe('why beyond the status: event_cap (later events kept without effect)'),
  events: z.array(
    z.object({
      eventId: z.string(),
      type: z.enum(EVENT_TYPES),
      occurredAt: z.string(),
      receivedAt: z.string(),
      outcome: z.enum(['applied', 'stale', 'pending', 'capped']),
      source: z.string().optional(),
      reason: z.string().optional(),
      cureDeadline: z.string().optional(),
      expectedDeliveryDate: z.string().optional(),
      facilityZip: z.string().optional(),
    }),
  ),
  mail: z
    .object({
      deliveredAt: z.string().nullable().describe('USPS delivered the outbound envelope (a fact, not a status)'),
      expectedDeliveryDate: z.string().nullable().describe('from the latest outbound USPS scan that gives one'),
    })
    .optional()
    .describe('what USPS IV-MTR scans said beyond the status; present once the ballot has a USPS scan'),
  notices: z.array(
    z.object({
      status: z.string(),
      sequence: z.number().int(),
      reminder: z.enum(['return', 'cure', 'broadcast']).optional(),
      channel: z.string(),
      state: z.enum(NOTICE_STATES),
      at: z.string().describe('when it is due (scheduled) or when it reached its state'),
      reason: z.string().optional(),
      attempts: z.number().int().optional(),
      lastError: z.string().optional().describe("the last failed attempt's error class (retrying, failed)"),
      deliveryStatus: z.string().optional().describe("the provider's latest delivery status (sent notices)"),
    }),
  ),
});
export type BallotStatusResponse = z.output<typeof ballotStatusResponseSchema>;
type NoticeView = BallotStatusResponse['notices'][number];

const iso = (date: Date | number) => new Date(date).toISOString();

function eventView(event: StoredEvent): BallotStatusResponse['events'][number] {
  const detail = (name: string) => (typeof event.details[name] === 'string' ? { [name]: event.details[name] } : {});
  return {
    eventId: event.eventId,
    type: event.type,
    occurredAt: iso(event.occurredAt),
    receivedAt: iso(event.receivedAt),
    outcome: event.outcome,
    ...detail('source'),
    ...detail('reason'),
    ...detail('cureDeadline'),
    ...detail('expectedDeliveryDate'),
    ...detail('facilityZip'),
  };
}

function reminderOf(status: string, sequence: number): 'return' | 'cure' | 'broadcast' | undefined {
  if (sequence === 0) return undefined;
  if (broadcastOfSequence(sequence) !== undefined) return 'broadcast';
  return status === 'challenged' ? 'cure' : 'return';
}

/** A ledger row's state in words: `pending` with an error is a notice being retried (or paused). */
function noticeView(row: NoticeRow): NoticeView {
  const status = row.noticeKey.split('#')[0]!;
  const base = {
    status,
    sequence: row.sequence,
    ...(reminderOf(status, row.sequence) ? { reminder: reminderOf(status, row.sequence)! } : {}),
    channel: row.channel,
    attempts: row.attempts,
  };
  switch (row.state) {
    case 'sent':
      return {
        ...base,
        state: 'sent',
        at: iso(row.sentAt ?? row.updatedAt),
        ...(row.providerStatus ? { deliveryStatus: row.providerStatus } : {}),
      };
    case 'skipped':
      return {
        ...base,
        state: 'skipped',
        at: iso(row.updatedAt),
        ...(row.skipReason ? { reason: row.skipReason } : {}),
      };
    case 'failed':
      return {
        ...base,
        state: 'failed',
        at: iso(row.updatedAt),
        ...(row.errorCode ? { reason: row.errorCode, lastError: row.errorCode } : {}),
      };
    default:
      if (row.errorCode) {
        return {
          ...base,
          state: 'retrying',
          at: iso(row.updatedAt),
          lastError: row.errorCode,
          ...(row.paused ? { reason: `paused: ${row.errorCode} (an operator must resume delivery)` } : {}),
        };
      }
      return { ...base, state: 'sending', at: iso(row.updatedAt) };
  }
}

export async function readBallotStatus(
  sql: Sql,
  electionId: string,
  ballotId: string,
  now = Date.now(),
): Promise<BallotStatusResponse | undefined> {
  const [ballot, events, mail] = await Promise.all([
    findBallot(sql, electionId, ballotId),
    eventsOf(sql, electionId, ballotId),
    mailFacts(sql, electionId, ballotId),
  ]);
  if (!ballot && events.length === 0) return undefined;
  const status: BallotStatus = ballot?.status ?? 'issued';
  const notices = ballot ? (await noticeRowsOf(sql, electionId, ballotId)).map(noticeView) : [];

  if (ballot) {
    const [plans, idle] = await Promise.all([deliveryPlans(sql, [ballot.voterId]), idleChannels(sql, ballot.voterId)]);
    const plan = plans.get(ballot.voterId);
    const told = (channel: Channel) =>
      new Set(notices.filter((n) => n.channel === channel).map((n) => `${n.status}#${n.sequence}`));
    const election = await electionFacts(sql, electionId);
    const challenge = [...events].reverse().find((e) => e.type === 'challenged' && e.outcome === 'applied');
    const deadline = cureDeadlineInstant(
      (challenge?.details.cureDeadline as string | undefined) ?? election?.cureDeadline,
      election?.timeZone ?? 'UTC',
    );
    // Channels that left the plan: the notice the current status owes them is skipped, and why.
    const skippedAt = iso(ballot.statusChangedAt ?? now);
    for (const channel of CHANNELS) {
      if (plan?.channels.includes(channel)) continue;
      const why = idle.get(channel);
      const wasInPlan = notices.some((n) => n.channel === channel);
      if (!why && !wasInPlan) continue;
      const notice = nextNotice({ status, told: told(channel), reminders: [], now });
      if (!notice) continue;
      notices.push({
        status: notice.status,
        sequence: notice.sequence,
        channel,
        state: 'skipped',
        at: skippedAt,
        reason: !why
          ? 'channel no longer chosen'
          : why.why === 'opted_out'
            ? 'opted out'
            : why.why === 'unsubscribed'
              ? 'unsubscribed'
              : `contact disabled (${why.detail ?? 'unknown'})`,
      });
    }
    if (plan) {
      for (const owed of owedNotices({
        status,
        plan,
        told,
        now,
        ...(deadline !== undefined ? { cureDeadline: deadline } : {}),
      })) {
        notices.push({
          status: owed.notice.status,
          sequence: owed.notice.sequence,
          channel: owed.channel,
          state: 'scheduled',
          at: iso(Math.max(owed.at, now)),
        });
      }
    }
  }

  return {
    electionId,
    ballotId,
    county: ballot?.county ?? null,
    status,
    statusChangedAt: ballot?.statusChangedAt ? iso(ballot.statusChangedAt) : null,
    awaitingIssuance: !ballot,
    needsAttention: needsAttention(status) || Boolean(ballot?.attention),
    attention: ballot?.attention ?? null,
    events: events.map(eventView),
    notices,
    ...(mail ? { mail } : {}),
  };
}
