import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

describe('workflow bundle', () => {
  it('bundles the project workflows without any Node built-in or I/O module', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
      logger: silent,
    });
    expect(code).toContain('smokeTestWorkflow');
    expect(code).not.toMatch(/require\(["'](postgres|pino|express)["']\)/);
  });

  it('keeps schema libraries out: every cached workflow instantiates each module it bundles', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
      logger: silent,
    });
    expect(code).toContain('ballotLifecycle');
    expect(code).not.toMatch(/node_modules\/(zod|i18next)\//);
  });

  it('rejects a workflow that imports a Node built-in through a helper module', async () => {
    const messages: string[] = [];
    const collecting = {
      ...silent,
      error: (message: string) => messages.push(message),
      warn: (message: string) => messages.push(message),
    };
    await expect(
      bundleWorkflowCode({
        workflowsPath: fileURLToPath(new URL('../fixtures/nondeterministic-workflows/index.ts', import.meta.url)),
        logger: collecting,
      }),
    ).rejects.toThrow(/Webpack finished with errors/);
    expect(messages.join('\n')).toMatch(/node:crypto/);
  });
});
