import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, parseDuration, requiredVariables } from '../../config/env.js';

/**
 * Guards the deployment files against drifting from config/env.ts: a variable that gains no default
 * must be set for every app process, and the values compose passes must parse as a Config.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: (string | { source?: string; target?: string })[];
  stop_grace_period?: string;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
}

// merge: true resolves `<<: *anchor`, as Compose does, so the test sees each service's final values.
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
const dockerfilePath = path.join(root, 'Dockerfile');

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

/** The service's `environment:` in either form; a bare `NAME` list entry (taken from the host) counts as unset. */
function environmentOf(svc: ComposeService): Record<string, string | undefined> {
  const env = svc.environment;
  if (env === undefined) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const eq = entry.indexOf('=');
        return eq === -1 ? [entry, undefined] : [entry.slice(0, eq), entry.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => [name, value === null ? undefined : String(value)]),
  );
}

/**
 * Compose interpolation with the host environment `host` (empty by default): `${VAR:-default}` and
 * `${VAR-default}` take their default, `${VAR:?message}` is required (compose refuses to start
 * without it: so does this), `${VAR}` and `$VAR` become empty, `$$` is a literal `$`. Anything else
 * (nesting) is rejected so the test never passes on a value it did not understand.
 */
function interpolate(value: string, host: Record<string, string> = {}): string {
  const result = value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}$]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match: string, braced?: string, operator?: string, fallback?: string, bare?: string) => {
      if (match === '$$') return '\u0000';
      const name = braced ?? bare ?? '';
      if (host[name]) return host[name];
      if (operator === ':?' || operator === '?') throw new Error(`required: ${name} (${fallback ?? ''})`);
      return operator ? (fallback ?? '') : '';
    },
  );
  if (result.includes('$')) throw new Error(`unsupported interpolation in ${JSON.stringify(value)}`);
  return result.replaceAll('\u0000', '$');
}

/** What an operator must put in the host environment (or .env): compose refuses to start without it. */
const DEPLOYMENT_ENV = {
  PUBLIC_BASE_URL: 'https://ballots.county.example.gov',
  MANAGE_TOKEN_SECRET: 'q7Vd9sK2mX4pL8nR1tB6wY3zH5jC0fGaE',
  TRUST_PROXY: '1',
  OPS_TOKEN: 'm3Rk8vQ1zT6yW2pN9sD4fH7jL0bX5cGa',
};

function resolvedEnvironment(
  svc: ComposeService,
  host: Record<string, string> = DEPLOYMENT_ENV,
): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(environmentOf(svc)).map(([name, value]) => [
      name,
      value === undefined ? undefined : interpolate(value, host),
    ]),
  );
}

function commandOf(svc: ComposeService): string {
  return Array.isArray(svc.command) ? svc.command.join(' ') : (svc.command ?? '');
}

/** Absolute path of the Dockerfile a service builds from, or undefined when it only names an image. */
function dockerfileOf(svc: ComposeService): string | undefined {
  if (svc.build === undefined) return undefined;
  const build = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
  return path.resolve(root, build.context ?? '.', build.dockerfile ?? 'Dockerfile');
}

/** Compose durations such as 45s, 1m30s or 1500ms, in milliseconds. */
function composeDuration(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(us|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text)
    throw new Error(`not a compose duration: ${text}`);
  const unit = { us: 0.001, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
  return parts.reduce((sum, [, amount, u]) => sum + Number(amount) * unit[u as keyof typeof unit], 0);
}

/** The lines of the Dockerfile's last stage (the one that runs), with `\` continuations joined. */
function runtimeStage(): string[] {
  const lines = readFileSync(dockerfilePath, 'utf8')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const lastFrom = lines.findLastIndex((line) => /^FROM\s/i.test(line));
  expect(lastFrom, 'Dockerfile has no FROM').toBeGreaterThanOrEqual(0);
  return lines.slice(lastFrom);
}

describe('interpolate (test helper)', () => {
  it('substitutes defaults the way compose does with nothing set', () => {
    expect(interpolate('postgres://u:${PW:-secret}@db:5432/x')).toBe('postgres://u:secret@db:5432/x');
    expect(interpolate('${A-x}${B}$C$$')).toBe('x$');
    expect(() => interpolate('${PW:?must be set}')).toThrow(/required: PW/);
    expect(interpolate('${PW:?must be set}', { PW: 'x' })).toBe('x');
    expect(() => interpolate('${A:-${B}}')).toThrow(/unsupported/);
  });
});

describe('docker-compose.yml', () => {
  it('defines the deployment services', () => {
    for (const name of ['postgres', 'temporal', 'temporal-ui', 'migrate', 'api', 'worker']) {
      expect(compose.services, `service ${name}`).toHaveProperty([name]);
    }
  });

  it.each(['api', 'worker', 'migrate'])('%s runs the image built from the Dockerfile', (name) => {
    const svc = service(name);
    const builtFrom = dockerfileOf(svc);
    if (builtFrom !== undefined) {
      expect(builtFrom).toBe(dockerfilePath);
      return;
    }
    // Otherwise it must reuse the image another service builds from the Dockerfile.
    const builders = Object.values(compose.services).filter((other) => dockerfileOf(other) === dockerfilePath);
    expect(svc.image, `${name} neither builds nor names an image`).toBeDefined();
    expect(builders.map((b) => b.image)).toContain(svc.image);
  });

  describe.each(['api', 'worker'])('%s environment', (name) => {
    const env = resolvedEnvironment(service(name));

    it('sets every variable that config/env.ts requires', () => {
      for (const variable of requiredVariables()) {
        expect(environmentOf(service(name)), `${variable} missing from ${name}`).toHaveProperty([variable]);
        expect(env[variable], `${variable} is empty in ${name}`).toBeTruthy();
      }
    });

    it('has no default for the secret, the public URL or the proxy decision: compose refuses to start without them', () => {
      for (const variable of Object.keys(DEPLOYMENT_ENV)) {
        const { [variable]: _omitted, ...rest } = DEPLOYMENT_ENV as Record<string, string>;
        expect(() => resolvedEnvironment(service(name), rest), variable).toThrow(new RegExp(`required: ${variable}`));
      }
    });

    it('parses with loadConfig() as a production configuration', () => {
      const config = loadConfig(env);
      expect(config.NODE_ENV).toBe('production');
      expect(config.LOG_LEVEL).toBe('info');
      expect(config.TEMPORAL_NAMESPACE).toBe('default');
    });

    it('points TEMPORAL_ADDRESS at the temporal service', () => {
      expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
      expect(service('temporal').image).toMatch(/^temporalio\//);
    });

    it('points DATABASE_URL at the postgres service and the app database', () => {
      const url = new URL(env.DATABASE_URL ?? '');
      expect(url.hostname).toBe('postgres');
      expect(url.pathname).toBe('/ballot_tracker');
      expect(service('postgres').image).toMatch(/^postgres:/);
    });
  });

  it('runs the worker, the API and the migration with their entry points', () => {
    // bin/worker is the launcher: node dist/worker/main.js with the worker's memory settings.
    expect(commandOf(service('worker'))).toMatch(/^bin\/worker$/);
    const launcher = readFileSync(path.join(root, 'bin', 'worker'), 'utf8');
    expect(launcher).toMatch(/^exec node .* "\$@"$/m);
    expect(launcher).toContain('set -- dist/worker/main.js');
    // No command means the Dockerfile's CMD, which is the API.
    expect(commandOf(service('api'))).toMatch(/^(node dist\/api\/main\.js\b|$)/);
    expect(commandOf(service('migrate'))).toMatch(/^node dist\/cli\/main\.js migrate\b/);
  });

  it('gives the worker longer to stop than its own shutdown grace time', () => {
    const worker = service('worker');
    const grace = loadConfig(resolvedEnvironment(worker)).WORKER_SHUTDOWN_GRACE_TIME;
    // Docker's default is 10s; after it the container is killed mid-activity.
    const stopAfter = composeDuration(worker.stop_grace_period ?? '10s');
    expect(stopAfter).toBeGreaterThan(grace);
    expect(grace).toBe(parseDuration('30s'));
  });

  it('creates the app database through a mounted init script that exists', () => {
    const mounts = (service('postgres').volumes ?? []).map((v) =>
      typeof v === 'string' ? v : `${v.source}:${v.target}`,
    );
    const init = mounts.find((m) => m.split(':')[1]?.startsWith('/docker-entrypoint-initdb.d/'));
    expect(init, 'no init script mounted into /docker-entrypoint-initdb.d').toBeDefined();
    const source = path.resolve(root, init?.split(':')[0] ?? '');
    expect(existsSync(source), `${source} does not exist`).toBe(true);
    expect(readFileSync(source, 'utf8')).toMatch(/CREATE DATABASE ballot_tracker\b/);
  });
});

describe('Dockerfile', () => {
  it('exists', () => {
    expect(existsSync(dockerfilePath)).toBe(true);
  });

  it('runtime stage sets NODE_ENV=production and runs as a non-root user', () => {
    const stage = runtimeStage();
    expect(
      stage.some(
        (line) =>
          /^ENV\s+(.*\s)?NODE_ENV=("?)production\2(\s|$)/i.test(line) || /^ENV\s+NODE_ENV\s+production$/i.test(line),
      ),
    ).toBe(true);
    const user = stage.findLast((line) => /^USER\s/i.test(line));
    expect(user, 'runtime stage has no USER').toBeDefined();
    expect(user).not.toMatch(/^USER\s+(root|0)(:|\s|$)/i);
  });

  it('runtime stage installs production dependencies only and ships dist/ and the migrations', () => {
    const stage = runtimeStage().join('\n');
    expect(stage).toMatch(/npm ci\b[^\n]*--omit=dev/);
    expect(stage).toMatch(/^COPY\s.*\bdist\b/m);
    expect(stage).toMatch(/^COPY\s+db\/migrations\b/m);
    expect(stage).toMatch(/^COPY\s+bin\b/m);
  });
});
