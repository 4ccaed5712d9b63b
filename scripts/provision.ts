/**
 * `npm run provision [-- --test]`: installs or verifies every tool the stack needs. The run command
 * calls it without `--test`; the test command adds the Java time-skipping test server and Chromium.
 */
import { ensureChromium } from './chromium.js';
import { ensureJavaTestServer, ensurePostgres, ensureTemporalCli, ProvisionError } from './tools.js';

const started = performance.now();
try {
  await ensureTemporalCli();
  await ensurePostgres();
  if (process.argv.includes('--test')) {
    await ensureJavaTestServer();
    ensureChromium((message) => process.stderr.write(`[provision] ${message}\n`));
  }
  process.stderr.write(`[provision] all tools ready in ${((performance.now() - started) / 1000).toFixed(1)}s\n`);
} catch (error) {
  if (!(error instanceof ProvisionError)) throw error;
  process.stderr.write(`[provision] ${error.message}\n`);
  process.exit(1);
}
