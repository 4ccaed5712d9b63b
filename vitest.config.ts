import { configDefaults, defineConfig } from 'vitest/config';

const HISTORY_AUDIT = 'test/integration/no-personal-data-in-histories.test.ts';

export default defineConfig({
  test: {
    // The Temporal native bridge has crashed under worker threads; separate processes are safe.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The JSON report is what .ci/run counts; the default reporter is what a person reads.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'system',
          // test/e2e drives Chromium against the whole stack (test/helpers/e2e-stack.ts).
          include: ['test/workflow/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          exclude: [...configDefaults.exclude, HISTORY_AUDIT],
          // One Temporal dev server and one PostgreSQL for the whole run; files get their own databases.
          globalSetup: ['test/global-setup.ts'],
          setupFiles: ['test/setup-runtime.ts'],
        },
      },
      {
        extends: true,
        test: {
          // Replays of recorded histories and the history helpers' own tests: no server needed.
          name: 'replay',
          include: ['test/replay/**/*.test.ts'],
          setupFiles: ['test/setup-runtime.ts'],
        },
      },
      {
        extends: true,
        test: {
          // Walks every history the system tests left on their dev server: so it runs after them
          // (groups run in ascending order; the others are group 0) and borrows that server.
          name: 'audit',
          include: [HISTORY_AUDIT],
          sequence: { groupOrder: 1 },
          globalSetup: ['test/helpers/history-audit-setup.ts'],
          setupFiles: ['test/setup-runtime.ts'],
        },
      },
    ],
  },
});
