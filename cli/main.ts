/** Operator CLI: `npm run cli -- <command>` in development, `node dist/cli/main.js <command>` in production. */
import { entryEnvironment } from '../config/env.js';
import { defaultDevStackFile } from '../lib/dev-stack.js';
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2), {
  // Production when compiled (`dist/cli/main.js`) unless NODE_ENV says otherwise.
  env: entryEnvironment(import.meta.url),
  // Where `npm start` announces itself; read only when DATABASE_URL is not set, never in production.
  devStackFile: process.env.DEV_STACK_FILE || defaultDevStackFile(),
});
