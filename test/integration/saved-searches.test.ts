/**
 * The README's saved searches for the Temporal Web UI are valid List Filter queries on a real server
 * (the search attributes exist and the syntax parses), and each finds the ballot it is meant for.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ballotLifecycle, recordsSignal, workflowIdFor } from '../../workflows/ballot.js';
import { registerSearchAttributes } from '../../lib/temporal.js';
import { County, ElectionId, BallotStatus, NeedsAttention } from '../../workflows/search-attributes.js';
import { eventually } from '../helpers/eventually.js';
import { devServerEnvironment, uniqueTaskQueue } from '../helpers/temporal.js';

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

/** The List Filter queries of the README's table, by view. */
function savedSearches(): Record<string, string> {
  const rows = [
    ...README.matchAll(/^\| (needs attention|delivery problems|one county's open ballots) +\| `([^`]+)` +\|$/gm),
  ];
  return Object.fromEntries(rows.map((row) => [row[1]!, row[2]!]));
}

describe('README saved searches', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await devServerEnvironment();
    await registerSearchAttributes(env.client.connection, 'default');
  });

  afterAll(async () => {
    await env?.teardown();
  });

  it('lists the three views', () => {
    expect(Object.keys(savedSearches()).sort()).toEqual([
      'delivery problems',
      'needs attention',
      "one county's open ballots",
    ]);
  });

  it('each query parses on the server and finds a running ballot it describes', async () => {
    // A ballot workflow started with the attributes the forwarder sets; no worker needed to list it.
    const electionId = 'gen-2026';
    const ballotId = `b-${randomUUID().slice(0, 8)}`;
    const handle = await env.client.workflow.signalWithStart(ballotLifecycle, {
      taskQueue: uniqueTaskQueue('saved-searches'),
      workflowId: workflowIdFor(electionId, ballotId),
      args: [{ electionId, ballotId }],
      signal: recordsSignal,
      signalArgs: [{}],
      typedSearchAttributes: [
        { key: ElectionId, value: electionId },
        { key: County, value: 'sacramento' },
        { key: BallotStatus, value: 'challenged' },
        { key: NeedsAttention, value: true },
      ],
    });
    try {
      const searches = savedSearches();
      for (const view of ['needs attention', "one county's open ballots"]) {
        const ids = await eventually(async () => {
          const found: string[] = [];
          for await (const execution of env.client.workflow.list({ query: searches[view]! }))
            found.push(execution.workflowId);
          return found.includes(handle.workflowId) ? found : undefined;
        });
        expect(ids, view).toContain(handle.workflowId);
      }
      // Parses (nobody has a delivery problem here).
      for await (const execution of env.client.workflow.list({ query: searches['delivery problems']! })) {
        expect(execution.workflowId).not.toBe(handle.workflowId);
      }
    } finally {
      await handle.terminate('test over');
    }
  });
});
