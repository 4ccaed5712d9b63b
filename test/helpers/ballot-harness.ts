import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities/index.js';
import type { BallotContext } from '../../activities/ballot-context.js';
import type { SendNoticeInput, SendNoticeResult } from '../../activities/notices.js';
import type { Channel, DeliveryPlan, ElectionSettings } from '../../domain/notices.js';
import type { Issuance, ScanEvent } from '../../domain/scan-event.js';
import { registerSearchAttributes } from '../../lib/temporal.js';
import { createSmsWorker, workflowSource } from '../../worker/worker.js';
import { ballotWorkflow, issueSignal, scanEventSignal, workflowIdFor } from '../../workflows/ballot.js';
import { timeSkippingEnvironment, uniqueTaskQueue } from './temporal.js';

export interface SentNotice extends SendNoticeInput {
  /** Workflow (server) time of the attempt that succeeded. */
  at: number;
}

export type SendBehaviour = (input: SendNoticeInput, attempt: number) => SendNoticeResult | Promise<SendNoticeResult>;

export const ALWAYS_OPEN = { start: '00:00', end: '00:00' };

export function plan(overrides: Partial<DeliveryPlan> = {}): DeliveryPlan {
  return { channels: ['sms'], language: 'en', window: ALWAYS_OPEN, timeZone: 'UTC', ...overrides };
}

export function election(overrides: Partial<ElectionSettings> = {}): ElectionSettings {
  return {
    electionDay: '2099-11-03',
    timezone: 'America/Los_Angeles',
    returnReminderDaysBefore: 5,
    cureReminderDaysBefore: [3, 1],
    ...overrides,
  };
}

let counter = 0;
export function scan(type: ScanEvent['type'], extra: Partial<ScanEvent> = {}): ScanEvent {
  counter += 1;
  return {
    eventId: `ev-${counter}-${randomUUID().slice(0, 8)}`,
    type,
    occurredAt: '2026-10-06T10:00:00-07:00',
    ...extra,
  };
}

/**
 * A time-skipping environment with a worker whose activities are typed fakes: the delivery plan and
 * election come from maps the test controls, and sends are recorded with the server time at which
 * they happened (or fail as the test says).
 */
export class BallotHarness {
  readonly sent: SentNotice[] = [];
  readonly plans = new Map<string, DeliveryPlan>();
  readonly elections = new Map<string, ElectionSettings | null>();
  sendBehaviour: SendBehaviour = () => ({ outcome: 'sent' });
  private readonly attempts = new Map<string, number>();
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

  activities(): Pick<Activities, 'loadBallotContext' | 'sendNotice'> {
    return {
      loadBallotContext: ({ electionId, voterId }): Promise<BallotContext> =>
        Promise.resolve({
          election: this.elections.has(electionId) ? this.elections.get(electionId)! : election(),
          plan: this.plans.get(voterId) ?? plan({ channels: [] }),
        }),
      sendNotice: async (input) => {
        const id = `${input.electionId}/${input.ballotId}/${input.channel}/${input.noticeKey}`;
        const attempt = (this.attempts.get(id) ?? 0) + 1;
        this.attempts.set(id, attempt);
        const result = await this.sendBehaviour(input, attempt);
        if (result.outcome === 'sent') this.sent.push({ ...input, at: await this.env.currentTimeMs() });
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

  /** Starts (or signals) a ballot with its issuance record, as the API does. */
  async issue(
    ballotId: string,
    issuance: Partial<Issuance> = {},
    electionId = 'e2026',
  ): Promise<WorkflowHandle<typeof ballotWorkflow>> {
    return this.env.client.workflow.signalWithStart(ballotWorkflow, {
      taskQueue: this.taskQueue,
      workflowId: workflowIdFor(electionId, ballotId),
      args: [{ electionId, ballotId }],
      signal: issueSignal,
      signalArgs: [{ voterId: `voter-${ballotId}`, county: 'sacramento', ...issuance }],
    });
  }

  /** Delivers a scan by signalWithStart, as the API's forwarder does. */
  async scan(ballotId: string, event: ScanEvent, electionId = 'e2026'): Promise<WorkflowHandle<typeof ballotWorkflow>> {
    return this.env.client.workflow.signalWithStart(ballotWorkflow, {
      taskQueue: this.taskQueue,
      workflowId: workflowIdFor(electionId, ballotId),
      args: [{ electionId, ballotId }],
      signal: scanEventSignal,
      signalArgs: [event],
    });
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
