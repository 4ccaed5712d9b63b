/**
 * Counts the Temporal actions a workflow run cost, from its event history, following the cost model
 * in shared/temporal.md (Temporal Cloud's billing, which is also a proxy for server load). Pure: used
 * by the lifecycle benchmark (`npm run bench:lifecycle`) and unit-tested on a hand-made history.
 *
 * Rules, one run's history at a time:
 * - Workflow started: 1. A run started by the workflow's own continue-as-new is not counted here:
 *   that start is the `WorkflowExecutionContinuedAsNew` event of the previous run (1), so summing
 *   the runs of a chain counts each start once. Retry and cron runs count their own start.
 * - Each signal received: 1, except the signal that arrived with the start (`signalWithStart` is one
 *   action): the server writes it directly after the started event, before any workflow task.
 * - Each update: 1 (distinct update IDs among admitted and accepted events). Updates rejected by a
 *   validator never reach history, so they are not seen here although they are billed.
 * - Each activity attempt: 1, read from the `attempt` of the activity's started event (the server
 *   writes only the last attempt's started event); an activity scheduled but never started: 1.
 * - All local activities recorded by one workflow task: 1 together.
 * - Each timer started: 1. Each search-attribute upsert: 1. Each continue-as-new: 1.
 * Not visible in a history, so not counted: queries (the Web UI's stack view included), heartbeats
 * that reach the server, rejected updates. Signals a workflow sends are counted where they arrive;
 * a child workflow's start is counted in the child's own history.
 */
import proto, { type temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const { EventType, ContinueAsNewInitiator } = proto.temporal.api.enums.v1;

/** The marker the TypeScript SDK (Core) records for each local activity result. */
export const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

export interface ActionBreakdown {
  workflowStarted: number;
  signals: number;
  updates: number;
  activityAttempts: number;
  localActivityTasks: number;
  timers: number;
  searchAttributeUpserts: number;
  continueAsNew: number;
}

export interface ActionCount {
  /** Billable actions of this run. */
  actions: number;
  /** History events of this run. */
  events: number;
  breakdown: ActionBreakdown;
}

function toNumber(value: number | { toNumber(): number } | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  return value.toNumber();
}

export function countActions(history: History): ActionCount {
  const events: HistoryEvent[] = history.events ?? [];
  const breakdown: ActionBreakdown = {
    workflowStarted: 0,
    signals: 0,
    updates: 0,
    activityAttempts: 0,
    localActivityTasks: 0,
    timers: 0,
    searchAttributeUpserts: 0,
    continueAsNew: 0,
  };

  const startedAttemptBySchedule = new Map<number, number>();
  for (const event of events) {
    if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      const attributes = event.activityTaskStartedEventAttributes;
      startedAttemptBySchedule.set(toNumber(attributes?.scheduledEventId), Math.max(1, attributes?.attempt ?? 1));
    }
  }

  const updateIds = new Set<string>();
  const localActivityTasks = new Set<number>();
  events.forEach((event, index) => {
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        const attributes = event.workflowExecutionStartedEventAttributes;
        const continuedByWorkflow =
          Boolean(attributes?.continuedExecutionRunId) &&
          attributes?.initiator === ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW;
        if (!continuedByWorkflow) breakdown.workflowStarted += 1;
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        const withStart = index === 1 && events[0]?.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED;
        if (!withStart) breakdown.signals += 1;
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED:
        updateIds.add(event.workflowExecutionUpdateAdmittedEventAttributes?.request?.meta?.updateId ?? `#${index}`);
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: {
        const attributes = event.workflowExecutionUpdateAcceptedEventAttributes;
        updateIds.add(attributes?.acceptedRequest?.meta?.updateId ?? attributes?.protocolInstanceId ?? `#${index}`);
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        breakdown.activityAttempts += startedAttemptBySchedule.get(toNumber(event.eventId)) ?? 1;
        break;
      case EventType.EVENT_TYPE_MARKER_RECORDED: {
        const attributes = event.markerRecordedEventAttributes;
        if (attributes?.markerName === LOCAL_ACTIVITY_MARKER) {
          localActivityTasks.add(toNumber(attributes.workflowTaskCompletedEventId));
        }
        break;
      }
      case EventType.EVENT_TYPE_TIMER_STARTED:
        breakdown.timers += 1;
        break;
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        breakdown.searchAttributeUpserts += 1;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        breakdown.continueAsNew += 1;
        break;
      default:
        break;
    }
  });
  breakdown.updates = updateIds.size;
  breakdown.localActivityTasks = localActivityTasks.size;

  const actions = (Object.values(breakdown) as number[]).reduce((sum, value) => sum + value, 0);
  return { actions, events: events.length, breakdown };
}

export interface Spread {
  min: number;
  median: number;
  max: number;
}

/** Min, median (the mean of the middle two for an even count) and max; zeros for no values. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { min: 0, median: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { min: sorted[0]!, median, max: sorted.at(-1)! };
}
