/**
 * Where the worker loads its workflow code from. In production, the bundle `npm run build` wrote
 * beside the compiled worker. From source (`npm start`, tests, benchmarks), a bundle built once per
 * version of the workflow sources and kept under `.data/workflow-bundles/`: webpack runs in a short
 * child process, so the worker itself never carries the bundler's memory, and a restart or a second
 * test file reuses the bundle instead of building it again.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerOptions } from '@temporalio/worker';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Workflow code may import only these folders of ours (the lint rule and the bundle test hold it to that). */
const SOURCES = ['workflows', 'domain'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return sourceFiles(path);
      return /\.ts$/.test(name) ? [path] : [];
    })
    .sort();
}

/** A hash of every workflow source, of how the bundle is built and of the SDK's workflow package version. */
function sourcesHash(): string {
  const hash = createHash('sha256');
  const bundler = ['scripts/bundle-workflows.ts', 'scripts/workflow-bundle-options.ts'].map((file) => join(ROOT, file));
  for (const file of [...SOURCES.flatMap((folder) => sourceFiles(join(ROOT, folder))), ...bundler]) {
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  const sdk = JSON.parse(readFileSync(join(ROOT, 'node_modules/@temporalio/workflow/package.json'), 'utf8')) as {
    version: string;
  };
  return hash.update(sdk.version).digest('hex').slice(0, 16);
}

export function workflowSource(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const prebuilt = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));
  if (existsSync(prebuilt)) return { workflowBundle: { codePath: prebuilt } };
  const compiled = fileURLToPath(new URL('../workflows/index.js', import.meta.url));
  if (existsSync(compiled)) return { workflowsPath: compiled };
  const cached = join(ROOT, '.data', 'workflow-bundles', `${sourcesHash()}.js`);
  if (!existsSync(cached)) {
    execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'bundle-workflows.ts'), '--out', cached], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return { workflowBundle: { codePath: cached } };
}
