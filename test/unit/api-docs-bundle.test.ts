/**
 * The API reference's script is served from this repository's dependencies, never a CDN: in
 * development from the installed package, in production from the copy `npm run build` puts where
 * the compiled API looks for it (the runtime image installs no dev dependency).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILT_BUNDLE, DOCS_CSP, scalarBundlePath } from '../../api/docs.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe('API reference bundle', () => {
  it('resolves to the standalone bundle of the installed package in development', () => {
    const path = scalarBundlePath();
    expect(path).toMatch(/@scalar\/api-reference\/dist\/browser\/standalone\.js$/);
    expect(existsSync(path)).toBe(true);
  });

  it('is copied by the build to where the compiled API looks for it, so production needs no package', () => {
    expect(pkg.scripts.build).toContain(`dist/${BUILT_BUNDLE}`);
    expect(pkg.scripts.build).toContain('node_modules/@scalar/api-reference/dist/browser/standalone.js');
    expect(pkg.devDependencies['@scalar/api-reference']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.dependencies['@scalar/api-reference']).toBeUndefined();
  });

  it('runs under a policy that allows scripts and requests to this origin only', () => {
    expect(DOCS_CSP).toContain("script-src 'self'");
    expect(DOCS_CSP).toContain("connect-src 'self'");
    expect(DOCS_CSP).toContain("default-src 'none'");
    expect(DOCS_CSP).not.toMatch(/https?:|unsafe-eval/);
  });
});
