/**
 * Chromium for the end-to-end browser tests: Debian's `chromium` package, driven by playwright-core
 * (which brings no browser of its own), plus small fonts for the scripts of the ten page languages, so
 * screenshots (and every page's language switcher) show text rather than empty boxes. `CHROMIUM_PATH`
 * names another Chromium or Chrome binary. Shared by the provisioning step and the tests' browser
 * helper, so both look in the same place.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ProvisionError } from './tools.js';

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/** Debian font packages (about 4 MB together), each with one of its files that stands for it. */
export const SCRIPT_FONTS: readonly { package: string; file: string; script: string }[] = [
  // Chromium's own recommendation (installed without recommends): Latin text on a bare image.
  {
    package: 'fonts-liberation',
    file: '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
    script: 'Latin',
  },
  { package: 'fonts-khmeros', file: '/usr/share/fonts/truetype/khmeros/KhmerOS.ttf', script: 'Khmer' },
  {
    package: 'fonts-droid-fallback',
    file: '/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf',
    script: 'Chinese and Japanese',
  },
  { package: 'fonts-alee', file: '/usr/share/fonts/truetype/alee/Guseul.ttf', script: 'Korean' },
  {
    package: 'fonts-lohit-deva',
    file: '/usr/share/fonts/truetype/lohit-devanagari/Lohit-Devanagari.ttf',
    script: 'Hindi',
  },
  { package: 'fonts-tlwg-loma-ttf', file: '/usr/share/fonts/truetype/tlwg/Loma.ttf', script: 'Thai' },
];

/** Where the tests look for Chromium: `CHROMIUM_PATH`, else Debian's package. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH;
}

const WHAT_TO_INSTALL =
  `The browser tests need Chromium: install the Debian packages (as root: \`apt-get install chromium ${SCRIPT_FONTS.map((font) => font.package).join(' ')}\`), ` +
  'or set CHROMIUM_PATH to a Chromium or Chrome binary.';

export interface BrowserToolFacts {
  override: string | undefined;
  exists: (path: string) => boolean;
  /** Asked only when something is missing (it runs apt-get --version). */
  canInstall: () => boolean;
}

export interface BrowserToolPlan {
  chromium: string;
  /** Debian packages to install with apt-get. */
  install: string[];
  /** Stop: the tests cannot run. */
  fail?: string;
  /** Go on, but say so: the tests pass, the screenshots are worse. */
  warn?: string;
}

/** The decision alone (pure): what is there, what to install, or what to tell the person. */
export function planBrowserTools(facts: BrowserToolFacts): BrowserToolPlan {
  const chromium = facts.override ?? DEFAULT_CHROMIUM_PATH;
  if (facts.override && !facts.exists(facts.override)) {
    return { chromium, install: [], fail: `CHROMIUM_PATH=${facts.override} does not exist. ${WHAT_TO_INSTALL}` };
  }
  const missingFonts = SCRIPT_FONTS.filter((font) => !facts.exists(font.file));
  const missing = [
    ...(facts.override || facts.exists(DEFAULT_CHROMIUM_PATH) ? [] : ['chromium']),
    ...missingFonts.map((font) => font.package),
  ];
  if (missing.length === 0 || facts.canInstall()) return { chromium, install: missing };
  if (missing.includes('chromium')) {
    return {
      chromium,
      install: [],
      fail: `${DEFAULT_CHROMIUM_PATH} not found, and installing it needs root and apt-get. ${WHAT_TO_INSTALL}`,
    };
  }
  return {
    chromium,
    install: [],
    warn:
      `${missing.join(', ')} not installed (needs root and apt-get): ` +
      `${missingFonts.map((font) => font.script).join(', ')} text will show as boxes in screenshots`,
  };
}

function aptGet(args: string[]): { ok: boolean; output: string } {
  const result = spawnSync('apt-get', args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { ok: !result.error && result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

/**
 * Installs Debian packages with apt-get. A fresh image often has no package lists yet, so a failed
 * install is retried once after `apt-get update`. Returns the error output on failure.
 */
function installPackages(packages: string[]): string | undefined {
  const install = ['install', '-y', '--no-install-recommends', ...packages];
  if (aptGet(install).ok) return undefined;
  const update = aptGet(['update']);
  if (!update.ok) return `apt-get update failed:\n${update.output}`;
  const retried = aptGet(install);
  return retried.ok ? undefined : `apt-get ${install.join(' ')} failed:\n${retried.output}`;
}

function canInstallPackages(): boolean {
  if (process.getuid?.() !== 0) return false;
  const result = spawnSync('apt-get', ['--version'], { encoding: 'utf8' });
  return !result.error && result.status === 0;
}

/** The provisioning step: two stats when everything is there; otherwise apt-get as root, or a clear stop. */
export function ensureChromium(log: (message: string) => void): string {
  const override = process.env.CHROMIUM_PATH || undefined;
  const plan = planBrowserTools({ override, exists: existsSync, canInstall: canInstallPackages });
  if (plan.fail) throw new ProvisionError(plan.fail);
  if (plan.warn) log(`warning: ${plan.warn}`);
  if (plan.install.length > 0) {
    const started = performance.now();
    log(`installing ${plan.install.join(', ')} for the browser tests with apt-get (first time: about a minute) ...`);
    const failure = installPackages(plan.install);
    if (failure !== undefined) throw new ProvisionError(`${failure}\n${WHAT_TO_INSTALL}`);
    if (!existsSync(plan.chromium)) throw new ProvisionError(`apt-get finished but ${plan.chromium} is missing`);
    log(`installed ${plan.install.join(', ')} in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  }
  log(`Chromium (browser tests): ${plan.chromium}${override ? ' from CHROMIUM_PATH' : ''}`);
  return plan.chromium;
}
