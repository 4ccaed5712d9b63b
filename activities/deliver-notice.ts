import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { noticeFacts, recordReplaced } from '../db/ballot-records.js';
import { findBroadcast, skipStoppedBroadcastNotice } from '../db/broadcasts.js';
import type { Sql } from '../db/client.js';
import { pauseCovering, pauseDelivery } from '../db/delivery-pauses.js';
import { lastAttemptError } from '../delivery/ledger.js';
import { RETRY_SPAN_MS } from '../domain/ballot-machine.js';
import { BROADCAST_STOPPED, broadcastOfSequence } from '../domain/broadcasts.js';
import { cureDeadlineInstant, noticeMessageKey, type Channel, type Notice } from '../domain/notices.js';
import { STILL_FAILING } from '../workflows/ballot-contract.js';
import type { SendNoticeInput, SendNoticeResult } from './notices.js';

/** What the v2 ballot workflow asks for: which notice, to which channel, in which language. IDs only. */
export interface DeliverNoticeInput {
  electionId: string;
  ballotId: string;
  channel: Channel;
  notice: Notice;
  language: string;
  /** When the voter's window closes (ISO): an SMS must not be delivered after it. */
  windowClosesAt?: string;
  /** Notices this one replaced while they waited for the window: recorded as skipped. */
  replaces?: string[];
}

/**
 * After an hour of retries, the next attempt tells the workflow instead of trying: it flags the
 * ballot (`DeliveryProblem`) and sends again at the slowest pace. Measured from when this activity
 * was first scheduled, so it holds whatever made the attempts fail (errors, hangs, lost workers).
 */
export function giveUpAfterAnHour(now = Date.now(), lastError?: () => string | undefined): void {
  if (!retriedForAnHour(now)) return;
  stillFailing(lastError?.());
}

function retriedForAnHour(now: number): boolean {
  const { attempt, scheduledTimestampMs } = Context.current().info;
  return attempt > 1 && now - scheduledTimestampMs >= RETRY_SPAN_MS;
}

/** `StillFailing`, carrying the last attempt's error class so the ballot can say what it retries after. */
function stillFailing(lastError: string | undefined): never {
  throw ApplicationFailure.create({
    nonRetryable: true,
    type: STILL_FAILING,
    message: `still failing after ${Context.current().info.attempt - 1} attempts${lastError ? ` (last: ${lastError})` : ''}`,
    details: lastError ? [{ lastError }] : [],
  });
}

/** Failure types that pause delivery for a scope instead of failing one notice. */
const PAUSING = {
  CountyNotConfigured: 'county',
  ProviderConfiguration: 'channel',
  // The county's own sender (its record) was refused: only that county's channel waits.
  CountySenderConfiguration: 'countyChannel',
} as const;

/**
 * The send the v2 ballot workflow calls. The workflow decides which notice is owed and when; this
 * activity reads what the wording needs from the record at send time (the reason code, the cure
 * deadline, the expected delivery date, the election's dates, the county's "was counted" instant),
 * picks the message (`noticeMessageKey`), and hands over to the exactly-once sender. A configuration failure pauses
 * the county's or the channel's delivery (`delivery_pauses`) and is raised as non-retryable, so the
 * ballot waits for an operator's resume instead of retrying forever; while a pause covers a notice,
 * no provider is called.
 */
export function createDeliverNoticeActivities({
  sql,
  sendNotice,
}: {
  sql: Sql;
  sendNotice: (input: SendNoticeInput) => Promise<SendNoticeResult>;
}) {
  return {
    async deliverNotice(input: DeliverNoticeInput): Promise<SendNoticeResult> {
      if (retriedForAnHour(Date.now())) {
        stillFailing(
          await lastAttemptError(sql, {
            electionId: input.electionId,
            ballotId: input.ballotId,
            noticeKey: input.notice.key,
            channel: input.channel,
            sequence: input.notice.sequence,
          }),
        );
      }
      const facts = await noticeFacts(sql, input.electionId, input.ballotId, input.notice.status);
      if (!facts) {
        throw ApplicationFailure.nonRetryable(`ballot ${input.ballotId} is not in the record`, 'BallotNotFound');
      }
      if (input.replaces?.length) {
        await recordReplaced(sql, { ...input, keys: input.replaces });
      }
      const pause = await pauseCovering(sql, facts.county, input.channel);
      if (pause) {
        throw ApplicationFailure.nonRetryable(
          `delivery paused for ${pause.county ?? 'every county'} / ${pause.channel ?? 'every channel'}: ${pause.reason}`,
          'DeliveryPaused',
        );
      }
      const electionTimeZone = facts.electionTimeZone ?? 'UTC';
      // A bare date is 17:00 that day in the election's zone, as the workflow counts it.
      const cureDeadline = cureDeadlineInstant(facts.cureDeadline, electionTimeZone);
      // A broadcast's notice carries the broadcast's message, and only while it is not stopped:
      // PostgreSQL has the last word, read here just before the send.
      const broadcastId =
        input.notice.reminder === 'broadcast' ? broadcastOfSequence(input.notice.sequence) : undefined;
      const broadcast = broadcastId !== undefined ? await findBroadcast(sql, broadcastId) : undefined;
      if (broadcastId !== undefined && (!broadcast || broadcast.state === 'stopped')) {
        const state = await skipStoppedBroadcastNotice(
          sql,
          { ...input, noticeKey: input.notice.key, sequence: input.notice.sequence },
          { messageKey: broadcast?.messageKey ?? '', language: input.language },
        );
        if (state === 'sent') return { outcome: 'sent' };
        return { outcome: 'skipped', reason: BROADCAST_STOPPED };
      }
      const messageKey = broadcast
        ? broadcast.messageKey
        : noticeMessageKey(input.notice, {
            sendAt: Date.now(),
            electionDay: facts.electionDay,
            electionTimeZone,
            expectedDeliveryDate: facts.expectedDeliveryDate,
            cureDeadline,
            countedFrom: facts.countedFrom ? Date.parse(facts.countedFrom) : undefined,
          });
      try {
        return await sendNotice({
          electionId: input.electionId,
          ballotId: input.ballotId,
          voterId: facts.voterId,
          channel: input.channel,
          noticeKey: input.notice.key,
          sequence: input.notice.sequence,
          messageKey,
          language: input.language,
          details: {
            ...(facts.reason ? { reason: facts.reason } : {}),
            ...(cureDeadline !== undefined && Number.isFinite(cureDeadline)
              ? { cureDeadline: new Date(cureDeadline).toISOString() }
              : {}),
            ...(facts.expectedDeliveryDate ? { expectedDeliveryDate: facts.expectedDeliveryDate } : {}),
            ...(facts.electionDay ? { electionDay: facts.electionDay } : {}),
          },
          ...(input.windowClosesAt ? { windowClosesAt: input.windowClosesAt } : {}),
        });
      } catch (error) {
        const type = error instanceof ApplicationFailure ? error.type : undefined;
        const scope = type ? PAUSING[type as keyof typeof PAUSING] : undefined;
        if (scope) {
          await pauseDelivery(
            sql,
            scope === 'county'
              ? { county: facts.county, channel: null }
              : scope === 'countyChannel'
                ? { county: facts.county, channel: input.channel }
                : { county: null, channel: input.channel },
            type!,
          );
          log.error('delivery paused by a configuration failure; resume with `npm run cli -- delivery resume`', {
            type,
            county: facts.county,
            channel: input.channel,
          });
        }
        throw error;
      }
    },
  };
}
