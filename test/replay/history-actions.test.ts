import { describe, expect, it } from 'vitest';
import { countActions, spread } from '../helpers/history-actions.js';
import { historyFromJson } from '../helpers/history-json.js';

/** A hand-made history in the standard JSON form; `ev(3, 'TIMER_STARTED', {...})` is event 3. */
function ev(eventId: number, type: string, attributes: Record<string, unknown> = {}) {
  const attributeKey = `${type
    .toLowerCase()
    .replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase())}EventAttributes`;
  return {
    eventId: String(eventId),
    eventTime: '2026-10-06T17:00:00Z',
    eventType: `EVENT_TYPE_${type}`,
    [attributeKey]: attributes,
  };
}
const workflowTask = (first: number) => [
  ev(first, 'WORKFLOW_TASK_SCHEDULED'),
  ev(first + 1, 'WORKFLOW_TASK_STARTED', { scheduledEventId: String(first) }),
  ev(first + 2, 'WORKFLOW_TASK_COMPLETED', { scheduledEventId: String(first), startedEventId: String(first + 1) }),
];
const marker = (eventId: number, markerName: string, workflowTaskCompletedEventId: number) =>
  ev(eventId, 'MARKER_RECORDED', { markerName, workflowTaskCompletedEventId: String(workflowTaskCompletedEventId) });

describe('counting Temporal actions from a history', () => {
  it('applies each rule of the cost model to a hand-made history', () => {
    const history = historyFromJson({
      events: [
        ev(1, 'WORKFLOW_EXECUTION_STARTED', { workflowType: { name: 'ballotWorkflow' } }),
        ev(2, 'WORKFLOW_EXECUTION_SIGNALED', { signalName: 'issue' }), // with the start: not counted
        ...workflowTask(3), // 3-5
        ev(6, 'ACTIVITY_TASK_SCHEDULED', { activityId: '1', workflowTaskCompletedEventId: '5' }),
        ev(7, 'ACTIVITY_TASK_STARTED', { scheduledEventId: '6', attempt: 3 }), // three attempts
        ev(8, 'ACTIVITY_TASK_COMPLETED', { scheduledEventId: '6', startedEventId: '7' }),
        ev(9, 'WORKFLOW_EXECUTION_SIGNALED', { signalName: 'scanEvent' }), // 1
        ...workflowTask(10), // 10-12
        marker(13, 'core_local_activity', 12), // two local activities, one workflow task: 1
        marker(14, 'core_local_activity', 12),
        ev(15, 'TIMER_STARTED', { timerId: '1', workflowTaskCompletedEventId: '12' }), // 1
        ev(16, 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', { workflowTaskCompletedEventId: '12' }), // 1
        ev(17, 'ACTIVITY_TASK_SCHEDULED', { activityId: '2', workflowTaskCompletedEventId: '12' }), // never started: 1
        ev(18, 'ACTIVITY_TASK_TIMED_OUT', { scheduledEventId: '17' }),
        ev(19, 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED', {
          protocolInstanceId: 'u-1',
          acceptedRequest: { meta: { updateId: 'u-1' } },
        }), // 1
        ev(20, 'WORKFLOW_EXECUTION_UPDATE_COMPLETED', { meta: { updateId: 'u-1' } }),
        ev(21, 'TIMER_FIRED', { timerId: '1', startedEventId: '15' }),
        ...workflowTask(22), // 22-24
        marker(25, 'core_local_activity', 24), // another workflow task's local activity: 1
        marker(26, 'core_patch', 24), // a patch marker is free
        ev(27, 'WORKFLOW_EXECUTION_CONTINUED_AS_NEW', { newExecutionRunId: 'run-2' }), // 1
      ],
    });

    expect(countActions(history)).toEqual({
      actions: 12,
      events: 27,
      breakdown: {
        workflowStarted: 1,
        signals: 1,
        updates: 1,
        activityAttempts: 4,
        localActivityTasks: 2,
        timers: 1,
        searchAttributeUpserts: 1,
        continueAsNew: 1,
      },
    });
  });

  it('counts a signal after a plain start, and not the start of a run continued by the workflow', () => {
    const continued = historyFromJson({
      events: [
        ev(1, 'WORKFLOW_EXECUTION_STARTED', {
          workflowType: { name: 'ballotWorkflow' },
          continuedExecutionRunId: 'run-1',
          initiator: 'CONTINUE_AS_NEW_INITIATOR_WORKFLOW',
        }),
        ev(2, 'WORKFLOW_TASK_SCHEDULED'),
        ev(3, 'WORKFLOW_EXECUTION_SIGNALED', { signalName: 'scanEvent' }),
      ],
    });
    expect(countActions(continued).breakdown).toMatchObject({ workflowStarted: 0, signals: 1 });
    expect(countActions(continued).actions).toBe(1);

    const retried = historyFromJson({
      events: [
        ev(1, 'WORKFLOW_EXECUTION_STARTED', {
          workflowType: { name: 'ballotWorkflow' },
          continuedExecutionRunId: 'run-1',
          initiator: 'CONTINUE_AS_NEW_INITIATOR_RETRY',
        }),
      ],
    });
    expect(countActions(retried).actions).toBe(1);
  });

  it('counts nothing for an empty history', () => {
    expect(countActions({ events: [] })).toMatchObject({ actions: 0, events: 0 });
  });

  it('summarises per-ballot figures as min, median and max', () => {
    expect(spread([14, 12, 13])).toEqual({ min: 12, median: 13, max: 14 });
    expect(spread([10, 14, 12, 13])).toEqual({ min: 10, median: 12.5, max: 14 });
    expect(spread([])).toEqual({ min: 0, median: 0, max: 0 });
  });
});
