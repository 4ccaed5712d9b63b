import { describe, expect, it } from 'vitest';
import {
  chromiumPath,
  DEFAULT_CHROMIUM_PATH,
  planBrowserTools,
  SCRIPT_FONTS,
  type BrowserToolFacts,
} from '../../scripts/chromium.js';
import { stringMatching } from '../helpers/matchers.js';

const FONT_FILES = SCRIPT_FONTS.map((font) => font.file);
const FONT_PACKAGES = SCRIPT_FONTS.map((font) => font.package);

function facts(present: string[], options: { override?: string; canInstall?: boolean } = {}): BrowserToolFacts {
  return {
    override: options.override,
    exists: (path) => present.includes(path),
    canInstall: () => {
      if (options.canInstall === undefined) throw new Error('asked whether it can install, with nothing missing');
      return options.canInstall;
    },
  };
}

describe('provisioning Chromium for the browser tests', () => {
  it('when Chromium and the fonts are there, then it installs nothing and asks nothing more', () => {
    expect(planBrowserTools(facts([DEFAULT_CHROMIUM_PATH, ...FONT_FILES]))).toEqual({
      chromium: DEFAULT_CHROMIUM_PATH,
      install: [],
    });
  });

  it('when all are missing and apt-get may run as root, then it installs Chromium and every font package', () => {
    expect(planBrowserTools(facts([], { canInstall: true }))).toEqual({
      chromium: DEFAULT_CHROMIUM_PATH,
      install: ['chromium', ...FONT_PACKAGES],
    });
    expect(FONT_PACKAGES).toContain('fonts-khmeros');
  });

  it('when Chromium is missing and nothing can be installed, then it stops and says what to install', () => {
    const plan = planBrowserTools(facts(FONT_FILES, { canInstall: false }));
    expect(plan.fail).toMatch(/apt-get install chromium/);
    expect(plan.fail).toMatch(/CHROMIUM_PATH/);
  });

  it('when only a font is missing and cannot be installed, then it goes on with a warning naming the script', () => {
    const withoutKhmer = FONT_FILES.filter((file) => !file.includes('khmeros'));
    const plan = planBrowserTools(facts([DEFAULT_CHROMIUM_PATH, ...withoutKhmer], { canInstall: false }));
    expect(plan).toMatchObject({
      install: [],
      warn: stringMatching(/^fonts-khmeros not installed.*Khmer text/),
    });
    expect(plan.fail).toBeUndefined();
  });

  it('when CHROMIUM_PATH names a browser, then it is used and the Debian package is not needed', () => {
    const plan = planBrowserTools(facts(['/opt/chrome/chrome', ...FONT_FILES], { override: '/opt/chrome/chrome' }));
    expect(plan).toEqual({ chromium: '/opt/chrome/chrome', install: [] });
    expect(chromiumPath({ CHROMIUM_PATH: '/opt/chrome/chrome' })).toBe('/opt/chrome/chrome');
    expect(chromiumPath({})).toBe(DEFAULT_CHROMIUM_PATH);
  });

  it('when CHROMIUM_PATH names nothing, then it stops rather than falling back silently', () => {
    const plan = planBrowserTools(facts([DEFAULT_CHROMIUM_PATH, ...FONT_FILES], { override: '/nope' }));
    expect(plan.fail).toMatch(/CHROMIUM_PATH=\/nope does not exist/);
  });
});
