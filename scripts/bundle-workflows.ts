/**
 * `npm run build` step (and the worker's from-source start): bundles the workflows so workers start
 * without webpack. `--out FILE` (default dist/workflow-bundle.js); the file appears whole or not at
 * all (written beside, then renamed), so processes building the same bundle at once never read half.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ROOT } from './tools.js';
import { workflowBundleOptions } from './workflow-bundle-options.js';

const { values } = parseArgs({
  options: { out: { type: 'string', default: join(ROOT, 'dist', 'workflow-bundle.js') } },
});
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: silent });
mkdirSync(dirname(values.out), { recursive: true });
const partial = `${values.out}.${process.pid}.tmp`;
writeFileSync(partial, code);
renameSync(partial, values.out);
process.stderr.write(`workflow bundle: ${values.out} (${(code.length / 1024).toFixed(0)} KiB)\n`);
