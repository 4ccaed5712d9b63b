/**
 * How the workflow bundle is built, for `npm run build`, the worker's from-source bundle and the tests.
 *
 * With a reused V8 context (the SDK's default), a module the bundle loads before any workflow exists
 * is shared by every workflow; any other module is evaluated again for each workflow the worker
 * caches. So the SDK's API and the pure domain modules the workflows import (functions and constant
 * tables, no per-workflow state) are preloaded: 500 cached workflows then share one copy of them.
 * The workflows' own modules are not: they are what the SDK evaluates per workflow.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BundleOptions } from '@temporalio/worker';
import { ROOT } from './tools.js';

/** Domain modules the workflows import at run time (type-only imports are erased), with their own imports. */
export function domainModulesOfWorkflows(): string[] {
  const found = new Set<string>();
  const visit = (file: string, fromDomain: boolean) => {
    const imports = readFileSync(file, 'utf8').matchAll(
      /^(?:import|export) (?!type )[^;]*? from '(\.\.\/domain|\.)\/([a-z-]+)\.js'/gm,
    );
    for (const [, folder, name] of imports) {
      if (folder === '.' && !fromDomain) continue;
      const path = join(ROOT, 'domain', `${name}.ts`);
      if (found.has(path)) continue;
      found.add(path);
      visit(path, true);
    }
  };
  for (const name of readdirSync(join(ROOT, 'workflows'))) {
    if (name.endsWith('.ts')) visit(join(ROOT, 'workflows', name), false);
  }
  return [...found].sort();
}

export function workflowBundleOptions(): Pick<BundleOptions, 'workflowsPath' | 'preloadModules'> {
  return {
    workflowsPath: join(ROOT, 'workflows', 'index.ts'),
    preloadModules: ['@temporalio/workflow', ...domainModulesOfWorkflows()],
  };
}
