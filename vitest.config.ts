import { defineConfig } from 'vitest/config';

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
          include: ['test/workflow/**/*.test.ts', 'test/integration/**/*.test.ts'],
          // One Temporal dev server and one PostgreSQL for the whole run; files get their own databases.
          globalSetup: ['test/global-setup.ts'],
          setupFiles: ['test/setup-runtime.ts'],
        },
      },
    ],
  },
});
