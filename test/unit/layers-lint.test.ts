import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The import-direction rule of eslint.config.js, run through ESLint's Node API on the fixtures in
 * test/fixtures/layers/ (a small tree laid out like the repository: domain/, voters/, workflows/,
 * activities/), linted with the project's own configuration as if that tree were the root.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('../fixtures/layers', import.meta.url));

describe('layer rule (eslint.config.js)', () => {
  let eslint: ESLint;
  beforeAll(() => {
    eslint = new ESLint({ cwd: fixtures, overrideConfigFile: `${root}/eslint.config.js` });
  });

  const layerErrors = async (file: string) => {
    const [result] = await eslint.lintFiles([file]);
    return result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports');
  };

  it('fails domain code that imports a voter module (an upward import)', async () => {
    const errors = await layerErrors('domain/upward.ts');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('Layers: domain/ may import nothing else of ours');
  });

  it('passes a voter module that imports domain (a downward import)', async () => {
    expect(await layerErrors('voters/downward.ts')).toEqual([]);
  });

  it('lets a workflow import activities as types, never as values', async () => {
    expect(await layerErrors('workflows/types-only.ts')).toEqual([]);
    const errors = await layerErrors('workflows/value-import.ts');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('Workflows import activities as types only');
  });
});
