/**
 * Runs after every `system` test (vitest project `audit`, a later `sequence.groupOrder`) on the same
 * Temporal dev server (test/helpers/history-audit-setup.ts), and walks EVERY workflow history on it,
 * in every namespace: none may contain a name, birth date, phone number or email address from the
 * PII fixtures (test/helpers/history-pii-fixtures.ts), which is everything the tests seed into
 * PostgreSQL. Workflows must carry IDs only; search attributes and workflow IDs are never encrypted.
 *
 * So that the check is never vacuous, it seeds voters from every fixture person and runs ballots for
 * them through the real worker and activities first, and it plants one workflow whose memo holds a
 * fixture email: the same walk must flag that one (it is then terminated and left out of the verdict).
 */
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createActivities } from '../../activities/index.js';
import type { ScanEvent } from '../../domain/scan-event.js';
import { createSmsWorker, workflowSource } from '../../worker/worker.js';
import { workflowIdFor } from '../../workflows/ballot.js';
import { Feed } from '../helpers/feed.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { seedCounty, startTestDelivery, type TestDelivery } from '../helpers/delivery.js';
import { findPersonalData, type PiiFinding } from '../helpers/history-pii.js';
import { FIXTURE_PEOPLE, FREE_TEXT_CANARIES, seedFixtureVoter } from '../helpers/history-pii-fixtures.js';
import { devServerEnvironment, uniqueTaskQueue } from '../helpers/temporal.js';

interface Audited {
  namespaces: string[];
  histories: number;
  workflowIds: Set<string>;
  findings: (PiiFinding & { namespace: string; workflowId: string; runId: string })[];
}

/** Lists every workflow execution of every user namespace and scans each run's full history. */
async function auditAllHistories(env: TestWorkflowEnvironment, concurrency = 16): Promise<Audited> {
  const { connection } = env.client;
  const { namespaces: described = [] } = await connection.workflowService.listNamespaces({ pageSize: 100 });
  const namespaces = described
    .map((entry) => entry.namespaceInfo?.name ?? '')
    .filter((name) => name && name !== 'temporal-system');
  const audited: Audited = { namespaces, histories: 0, workflowIds: new Set(), findings: [] };
  for (const namespace of namespaces) {
    const client = new Client({ connection, namespace });
    const runs: { workflowId: string; runId: string }[] = [];
    for await (const execution of client.workflow.list()) {
      runs.push({ workflowId: execution.workflowId, runId: execution.runId });
    }
    let next = 0;
    const lanes = Array.from({ length: concurrency }, async () => {
      while (next < runs.length) {
        const { workflowId, runId } = runs[next++]!;
        const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
        audited.histories += 1;
        audited.workflowIds.add(workflowId);
        for (const finding of findPersonalData(history)) {
          audited.findings.push({ ...finding, namespace, workflowId, runId });
        }
      }
    });
    await Promise.all(lanes);
  }
  return audited;
}

describe('workflow histories on the shared dev server', () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  let delivery: TestDelivery;
  let worker: Worker | undefined;
  let smsWorker: Worker | undefined;
  let running: Promise<void> | undefined;
  const taskQueue = uniqueTaskQueue('audit');
  const electionId = `e-audit-${randomUUID().slice(0, 8)}`;
  const seededBallots: string[] = [];
  const canaryId = `audit-canary-${randomUUID()}`;

  let counter = 0;
  const scan = (type: ScanEvent['type']): ScanEvent => ({
    eventId: `audit-${(counter += 1)}`,
    type,
    occurredAt: new Date().toISOString(),
  });

  beforeAll(async () => {
    [env, db, delivery] = await Promise.all([devServerEnvironment(), createTestDatabase(), startTestDelivery()]);
    await seedCounty(db.sql, 'sacramento');
    const activities = createActivities({ sql: db.sql, temporal: env.client, ...delivery });
    const feed = new Feed(db.sql, env.client, taskQueue);
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue, ...workflowSource(), activities });
    smsWorker = await createSmsWorker({ taskQueue, messagesPerSecond: 100 }, env.nativeConnection, activities);
    running = Promise.all([worker.run(), smsWorker.run()]).then(() => undefined);

    // Every fixture person in PostgreSQL, every channel, and a ballot that reads their delivery plan.
    await db.sql`INSERT INTO elections (election_id, name, election_day, timezone)
                 VALUES (${electionId}, 'Audit', ${new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10)}, 'UTC')`;
    await Promise.all(
      FIXTURE_PEOPLE.map(async (person, index) => {
        const voterId = `audit-voter-${index}`;
        const target = { electionId, ballotId: `audit-${index}` };
        await seedFixtureVoter(db.sql, { voterId, person, channels: ['sms', 'email', 'voice'] });
        // The barcode and the scans' reason and source stay in PostgreSQL (the record): the audit
        // looks for each person's IMb and for the planted source.
        await feed.issue(electionId, target.ballotId, voterId, 'sacramento', { imb: person.imb! });
        await feed.scan(
          electionId,
          target.ballotId,
          { ...scan('outbound'), source: FREE_TEXT_CANARIES[0]!, facilityZip: person.zipPlus4!.slice(0, 5) },
          scan('accepted'),
        );
        await env.client.workflow.getHandle(workflowIdFor(electionId, target.ballotId)).result();
        seededBallots.push(workflowIdFor(electionId, target.ballotId));
      }),
    );

    // The planted value: a fixture email in a memo (a payload, base64 in JSON, bytes when fetched).
    // No worker polls this task queue; the workflow only has to exist.
    await env.client.workflow.start('historyAuditCanary', {
      taskQueue: uniqueTaskQueue('audit-canary'),
      workflowId: canaryId,
      memo: { note: `call back at ${FIXTURE_PEOPLE[1]!.email}` },
    });
    await vi.waitFor(
      async () => {
        if ((await env.client.workflow.count(`WorkflowId = '${canaryId}'`)).count !== 1)
          throw new Error('not listed yet');
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  afterAll(async () => {
    await env?.client.workflow
      .getHandle(canaryId)
      .terminate('history audit canary')
      .catch(() => {});
    worker?.shutdown();
    smsWorker?.shutdown();
    await running;
    await env?.teardown();
    await db?.drop();
    await delivery?.close();
  });

  it('hold no name, birth date, ZIP+4, phone number, email address or IMb of any fixture person, nor planted free text', async () => {
    const audited = await auditAllHistories(env);
    const scope = inject('historyAuditScope');
    console.info(
      `history audit (${scope}): ${audited.histories} histories of ${audited.workflowIds.size} workflows in ` +
        `namespace(s) ${audited.namespaces.join(', ')}`,
    );

    // Not vacuous: it saw this file's own ballots, and it caught the planted value.
    expect(audited.histories).toBeGreaterThan(0);
    for (const id of seededBallots) expect(audited.workflowIds).toContain(id);
    const planted = audited.findings.filter((finding) => finding.workflowId === canaryId);
    expect(planted.map((finding) => [finding.kind, finding.value, finding.path])).toContainEqual([
      'email',
      FIXTURE_PEOPLE[1]!.email,
      'events[0].workflowExecutionStartedEventAttributes.memo.fields.note.data',
    ]);

    const leaks = audited.findings
      .filter((finding) => finding.workflowId !== canaryId)
      .map(
        (finding) =>
          `${finding.namespace}/${finding.workflowId} (${finding.kind} "${finding.value}") at ${finding.path}`,
      );
    expect(leaks).toEqual([]);
  });
});
