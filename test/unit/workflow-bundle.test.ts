import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { domainModulesOfWorkflows, workflowBundleOptions } from '../../scripts/workflow-bundle-options.js';

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

  it('preloads the domain modules the workflows import, once for every cached workflow', async () => {
    const preloaded = domainModulesOfWorkflows().map((path) => basename(path));
    // Imported by the workflows, and by notices.ts (not by a workflow directly).
    expect(preloaded).toEqual(expect.arrayContaining(['ballot-machine.ts', 'quiet-hours.ts', 'zoned-time.ts']));
    // Only type-imported by the workflows: preloading it would bundle zod.
    expect(preloaded).not.toContain('scan-event.ts');
    const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: silent });
    const preloadBody = /exports\.preloadModules = function preloadModules\(\) \{([\s\S]*?)\n\}/.exec(code)?.[1] ?? '';
    for (const name of preloaded) expect(preloadBody).toContain(`./domain/${name}`);
    expect(code).not.toMatch(/node_modules\/(zod|i18next)\//);
  });

  it('preloaded modules declare no module-level let or var, which every workflow would share', () => {
    for (const path of domainModulesOfWorkflows()) {
      const topLevel = readFileSync(path, 'utf8').match(/^(?:export )?(?:let|var) \w+/gm);
      expect({ path, topLevel }).toEqual({ path, topLevel: null });
    }
  });
});
