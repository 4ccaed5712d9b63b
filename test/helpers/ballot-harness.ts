import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities/index.js';
import { giveUpAfterAnHour, type DeliverNoticeInput } from '../../activities/deliver-notice.js';
import type { SendNoticeResult } from '../../activities/notices.js';
import type { BallotEventRecord, BallotRecords, ElectionFacts } from '../../domain/ballot-records.js';
import type { Channel, DeliveryPlan } from '../../domain/notices.js';
import { registerSearchAttributes } from '../../lib/temporal.js';
import { createSmsWorker, workflowSource } from '../../worker/worker.js';
import { ballotLifecycle, recordsSignal, workflowIdFor } from '../../workflows/ballot.js';
import { timeSkippingEnvironment, uniqueTaskQueue } from './temporal.js';

export interface SentNotice {
  electionId: string;
  ballotId: string;
  channel: Channel;
  noticeKey: string;
  language: string;
  replaces: string[];
  /** Workflow (server) time of the attempt that succeeded. */
  at: number;
}

export type SendBehaviour = (
  input: DeliverNoticeInput,
  attempt: number,
) => SendNoticeResult | Promise<SendNoticeResult>;

export const ALWAYS_OPEN = { start: '00:00', end: '00:00' };

export function plan(overrides: Partial<DeliveryPlan> = {}): DeliveryPlan {
  return { channels: ['sms'], language: 'en', window: ALWAYS_OPEN, timeZone: 'UTC', ...overrides };
}

export function election(overrides: Partial<ElectionFacts> = {}): ElectionFacts {
  return { electionDay: '2099-11-03', timeZone: 'America/Los_Angeles', cureReminderDaysBefore: [3, 1], ...overrides };
}

let counter = 0;
export function scan(type: BallotEventRecord['type'], extra: Partial<BallotEventRecord> = {}): BallotEventRecord {
  counter += 1;
  return {
    eventId: `ev-${counter}-${randomUUID().slice(0, 8)}`,
    type,
    occurredAt: '2026-10-06T10:00:00-07:00',
    ...extra,
  };
}

/**
 * A time-skipping environment with a worker whose send activity is a typed fake: it records each
 * send with the server time at which it happened (or fails as the test says). Ballots are fed the
 * way the outbox forwarder feeds them: `records` signals by signalWithStart, with the voter's plan
 * (from `plans`, by voter ID; absent: nobody subscribed) and the election's facts.
 */
export class BallotHarness {
  readonly sent: SentNotice[] = [];
  readonly plans = new Map<string, DeliveryPlan>();
  readonly elections = new Map<string, ElectionFacts>();
  sendBehaviour: SendBehaviour = () => ({ outcome: 'sent' });
  /** Every send attempt, by ballot/channel/notice. */
  readonly attempts = new Map<string, number>();
  private running?: Promise<void>;
  worker!: Worker;
  smsWorker!: Worker;
  readonly taskQueue = uniqueTaskQueue('ballot');

  private constructor(readonly env: TestWorkflowEnvironment) {}

  static async create(): Promise<BallotHarness> {
    const env = await timeSkippingEnvironment();
    await registerSearchAttributes(env.connection, 'default');
    const harness = new BallotHarness(env);
    await harness.startWorker();
    return harness;
  }

  activities(): Pick<Activities, 'deliverNotice'> {
    return {
      deliverNotice: async (input) => {
        // Server time: the time-skipping server's clock runs ahead of this process's.
        giveUpAfterAnHour(await this.env.currentTimeMs());
        const id = `${input.electionId}/${input.ballotId}/${input.channel}/${input.notice.key}`;
        const attempt = (this.attempts.get(id) ?? 0) + 1;
        this.attempts.set(id, attempt);
        const result = await this.sendBehaviour(input, attempt);
        if (result.outcome === 'sent') {
          this.sent.push({
            electionId: input.electionId,
            ballotId: input.ballotId,
            channel: input.channel,
            noticeKey: input.notice.key,
            language: input.language,
            replaces: input.replaces ?? [],
            at: await this.env.currentTimeMs(),
          });
        }
        return result;
      },
    };
  }

  async startWorker(): Promise<void> {
    const activities = this.activities();
    this.worker = await Worker.create({
      connection: this.env.nativeConnection,
      taskQueue: this.taskQueue,
      ...workflowSource(),
      activities,
    });
    this.smsWorker = await createSmsWorker(
      { taskQueue: this.taskQueue, messagesPerSecond: 1_000 },
      this.env.nativeConnection,
      activities,
    );
    this.running = Promise.all([this.worker.run(), this.smsWorker.run()]).then(() => undefined);
  }

  async stopWorker(): Promise<void> {
    this.worker.shutdown();
    this.smsWorker.shutdown();
    await this.running;
  }

  async teardown(): Promise<void> {
    if (this.worker?.getState() === 'RUNNING') await this.stopWorker();
    await this.env.teardown();
  }

  /** One forwarder delivery: signalWithStart with these records. */
  async deliver(
    ballotId: string,
    records: BallotRecords,
    electionId = 'e2026',
  ): Promise<WorkflowHandle<typeof ballotLifecycle>> {
    return this.env.client.workflow.signalWithStart(ballotLifecycle, {
      taskQueue: this.taskQueue,
      workflowId: workflowIdFor(electionId, ballotId),
      args: [{ electionId, ballotId }],
      signal: recordsSignal,
      signalArgs: [records],
    });
  }

  /** The issuance record, with the voter's current plan and the election's facts, as the forwarder sends it. */
  issue(ballotId: string, issuance: { voterId?: string; county?: string } = {}, electionId = 'e2026') {
    const voterId = issuance.voterId ?? `voter-${ballotId}`;
    return this.deliver(
      ballotId,
      {
        issuance: { voterId, county: issuance.county ?? 'sacramento' },
        plan: this.plans.get(voterId) ?? null,
        election: this.elections.get(electionId) ?? election(),
      },
      electionId,
    );
  }

  /** A scan the record applied, forwarded on its own. */
  scan(ballotId: string, event: BallotEventRecord, electionId = 'e2026') {
    return this.deliver(ballotId, { events: [event] }, electionId);
  }

  /** The voter's plan changed (`plans` holds the new one). */
  planChanged(ballotId: string, electionId = 'e2026', voterId = `voter-${ballotId}`) {
    return this.deliver(ballotId, { plan: this.plans.get(voterId) ?? null }, electionId);
  }

  sentFor(ballotId: string, channel?: Channel): SentNotice[] {
    return this.sent.filter((notice) => notice.ballotId === ballotId && (!channel || notice.channel === channel));
  }

  /** Lets the workflow catch up without advancing time much: a query round trip after a short skip. */
  async settle(): Promise<void> {
    await this.env.sleep(1_000);
  }
}

export function permanentFailure(type: string): never {
  throw ApplicationFailure.nonRetryable(`provider refused: ${type}`, type);
}
