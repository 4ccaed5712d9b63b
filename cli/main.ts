/** Operator CLI: `npm run cli -- <command>` in development, `node dist/cli/main.js <command>` in production. */
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/env.js';
import { createSql } from '../db/client.js';
import { migrate } from '../db/migrate.js';

const program = new Command()
  .name('ballot-tracker')
  .description('Ballot Tracker operator commands (configuration from the environment, as for the api and worker)');

program
  .command('migrate')
  .description('apply pending database migrations (safe to run while other processes start)')
  .action(async () => {
    const sql = createSql(loadConfig());
    try {
      const applied = await migrate(sql);
      console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'database is up to date');
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

try {
  await program.parseAsync();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exitCode = 78;
}
