import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LAYERS } from '../../eslint.config.js';

const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
/** What is not the project's: dependencies, tool caches, build and test output. */
const NOT_OURS = new Set(['.git', 'node_modules', '.tools', '.data', 'dist', 'coverage', 'test-results']);

/** The rows of the README's Layout table: layer ('—' outside the layers) and folder. */
function layoutRows(): { layer: string; folder: string }[] {
  const section = readme.slice(readme.indexOf('## Layout'), readme.indexOf('\n## ', readme.indexOf('## Layout') + 1));
  return [...section.matchAll(/^\| (\d+|—) +\| `([^`]+)\/` +\|/gm)].map((m) => ({ layer: m[1]!, folder: m[2]! }));
}

describe('README, Layout', () => {
  it('lists every top-level folder of the repository, once', () => {
    const folders = readdirSync(root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !NOT_OURS.has(entry.name))
      .map((entry) => entry.name);
    const listed = layoutRows().map((row) => row.folder);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual([...folders].sort());
  });

  it('lists the layered folders in the order and layers the import rule enforces', () => {
    const layered = layoutRows().filter((row) => row.layer !== '—');
    expect(layered).toEqual(
      LAYERS.flatMap((layer, index) => layer.map((folder) => ({ layer: String(index), folder }))),
    );
  });
});
