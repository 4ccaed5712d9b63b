/**
 * The Delivery fault test at CI scale (the 2,000-ballot version is `npm run bench:faults`): ballots
 * through the real workflow and provider SDKs, the sandbox fakes failing 20% of requests (429 with
 * Retry-After, 500, hangs past PROVIDER_TIMEOUT; half of the 500s and hangs accepted first), the
 * production worker in a child process SIGKILLed once while sends are in flight and restarted.
 *
 * Runtime (about 85 s alone) is bounded below by the workflow's send activity `startToCloseTimeout`
 * (1 minute, no heartbeat): a send in flight on the killed worker is retried only when it times out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { formatFaultReport, runFaultScenario, tail } from '../helpers/fault-harness.js';
import { uniqueTaskQueue } from '../helpers/temporal.js';

describe('delivery under provider faults and a worker crash', () => {
  let db: TestDatabase;
  let connection: Connection;
  let client: Client;
  const logDir = mkdtempSync(join(tmpdir(), 'ballot-delivery-faults-'));
  const workerLogFile = join(logDir, 'worker.log');

  beforeAll(async () => {
    db = await createTestDatabase();
    connection = await Connection.connect({ address: inject('temporalAddress') });
    client = new Client({ connection, namespace: 'default' });
  });

  afterAll(async () => {
    await connection?.close();
    await db?.drop();
    rmSync(logDir, { recursive: true, force: true });
  });

  it('sends every notice exactly once in the ledger, never twice where the provider answered, and counts unknown outcomes', async () => {
    const lines: string[] = [];
    const report = await runFaultScenario({
      ballots: 60,
      temporalAddress: inject('temporalAddress'),
      taskQueue: uniqueTaskQueue('delivery-faults'),
      databaseUrl: db.url,
      sql: db.sql,
      client,
      faultRate: 0.2,
      killAt: [0.3],
      // A notice that meets 5 faults in a row waits 155 s for its 6th attempt (backoff doubling from
      // 5 s); about 1 run in 16 of this size would meet such a streak somewhere. Capped.
      maxFaultsPerNotice: 3,
      timeoutMs: 200_000,
      workerLogFile,
      log: (line) => lines.push(line),
    });
    // The figures, for the CI log (what `npm run bench:faults` prints at scale).
    console.info(`delivery fault test, ${report.ballots} ballots:\n${formatFaultReport(report)}`);
    const context = `${formatFaultReport(report)}\n\nprogress:\n${lines.join('\n')}\n\nworker log:\n${tail(workerLogFile)}`;

    expect(report.kills, context).toHaveLength(1);
    // Every expected notice is `sent`, and the ledger holds one row per notice and no other.
    expect(report.missing, context).toBe(0);
    expect(report.sent, context).toBe(report.expected);
    expect(report.unexpectedRows, context).toBe(0);
    // Every provider message belongs to a ledger row; none was sent again after an answer.
    expect(report.orphanMessages, context).toBe(0);
    expect(report.duplicatesAnswered, context).toBe(0);
    expect(report.recorded.total, context).toBe(
      report.expected +
        report.duplicatesAfterUnknownOutcome +
        report.duplicatesAfterLateAnswer +
        report.duplicatesAfterCrash,
    );
    // Every kind of fault was injected, and every message accepted without an answer surfaced as an unknown
    // outcome on its ledger row; every resend is counted there.
    expect(report.faultsInjected.rateLimit, context).toBeGreaterThan(0);
    expect(report.faultsInjected.serverError, context).toBeGreaterThan(0);
    expect(report.faultsInjected.timeout, context).toBeGreaterThan(0);
    expect(report.acceptedUnanswered, context).toBeGreaterThan(0);
    expect(report.unknownOutcomes, context).toBeGreaterThanOrEqual(report.acceptedUnanswered);
    expect(report.uncountedResends, context).toBe(0);
    expect(report.retried, context).toBeGreaterThan(0);
    expect(report.problems, context).toEqual([]);
  }, 240_000);
});
