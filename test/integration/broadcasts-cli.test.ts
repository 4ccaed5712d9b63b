/** `npm run cli -- broadcast ...` as an operator runs it: a child process configured by the environment. */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { election, eventually, startApiHarness, type ApiHarness } from './api-harness.js';
import { runCliProcess } from '../helpers/cli-process.js';

describe('operator CLI: broadcasts', () => {
  let h: ApiHarness;

  const cli = (...args: string[]) =>
    runCliProcess(args, {
      DATABASE_URL: h.db.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: h.taskQueue,
    });

  beforeAll(async () => {
    h = await startApiHarness({ temporalAddress: inject('temporalAddress') });
    const electionDay = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
    expect((await h.call('PUT', '/v1/elections/cli-bc', { body: election({ electionDay }) })).status).toBe(201);
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('creates, previews, dry-runs, is approved by a second key, runs, reports and stops', async () => {
    const created = await cli('broadcast', 'create', '--election', 'cli-bc', '--counties', 'sacramento', '--json');
    expect(created.code, created.stderr).toBe(0);
    const { broadcastId } = JSON.parse(created.stdout) as { broadcastId: number };
    const id = String(broadcastId);

    const self = await cli('broadcast', 'approve', id);
    expect(self.code).toBe(1);
    expect(self.stderr.trim().split('\n')).toHaveLength(1);
    expect(self.stderr).toMatch(/second_key_required/);

    const preview = await cli('broadcast', 'preview', id);
    expect(preview.stdout).toMatch(new RegExp(`broadcast ${id}: 0 ballots \\(reminder.return\\)`));
    const dry = await cli('broadcast', 'dry-run', id);
    expect(dry.stdout).toMatch(/nothing was sent/);

    const approved = await cli('broadcast', 'approve', id, '--key', await h.key({ scopes: ['broadcasts:approve'] }));
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(/approved/);

    const started = await cli('broadcast', 'start', id);
    expect(started.code, started.stderr).toBe(0);
    await eventually(async () => {
      const shown = await cli('broadcast', 'status', id, '--json');
      return (JSON.parse(shown.stdout) as { broadcast: { state: string } }).broadcast.state === 'done'
        ? true
        : undefined;
    }, 60_000);
    const status = await cli('broadcast', 'status', id);
    expect(status.stdout).toMatch(/selected 0 {2}signalled 0 {2}sent 0/);

    const stopped = await cli('broadcast', 'stop', id);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toMatch(/stopped/);
    const unknown = await cli('broadcast', 'status', '999999');
    expect(unknown.stderr.trim()).toBe('error: not_found: No broadcast 999999.');
  });
});
