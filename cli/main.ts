/** Operator CLI: `npm run cli -- <command>` in development, `node dist/cli/main.js <command>` in production. */
import { defaultDevStackFile } from '../lib/dev-stack.js';
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  // Where `npm start` announces itself; read only when DATABASE_URL is not set, never in production.
  devStackFile: process.env.DEV_STACK_FILE || defaultDevStackFile(),
});
