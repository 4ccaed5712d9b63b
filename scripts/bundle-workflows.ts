/** `npm run build` step: prebundles the workflows so production workers start without webpack. */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ROOT } from './tools.js';

const { code } = await bundleWorkflowCode({ workflowsPath: join(ROOT, 'workflows', 'index.ts') });
mkdirSync(join(ROOT, 'dist'), { recursive: true });
writeFileSync(join(ROOT, 'dist', 'workflow-bundle.js'), code);
process.stderr.write(`workflow bundle: dist/workflow-bundle.js (${(code.length / 1024).toFixed(0)} KiB)\n`);
