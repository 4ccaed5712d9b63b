/**
 * The production worker (`worker/main.ts`) as a child process a benchmark can SIGKILL and restart,
 * with its output appended to a log file and its peak memory read from /proc.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Builds the production output (`npm run build`) for benchmarks that measure the compiled worker. */
export function buildForProduction(log: (line: string) => void): void {
  log('npm run build (the compiled worker) ...');
  execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * The worker's own settings from this process's environment (`WORKER_*` such as the cache size and
 * `WORKER_NODE_FLAGS`, glibc's `MALLOC_*`, `NODE_OPTIONS`), for a benchmark to pass on to its worker.
 */
export function workerSettingsFromEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => /^(WORKER_|MALLOC_|NODE_OPTIONS$)/.test(key)),
  );
}

export class WorkerProcess {
  private child?: ChildProcess;
  /** The highest peak RSS (VmHWM) of any run so far, in bytes. */
  peakRssBytes = 0;
  private exited?: Promise<number | null>;
  starts = 0;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
    /** Run the production build (`node dist/worker/main.js`, after `npm run build`) instead of the source through tsx. */
    private readonly options: { compiled?: boolean } = {},
  ) {}

  start(): void {
    this.starts += 1;
    const out = createWriteStream(this.logFile, { flags: 'a' });
    out.write(`--- worker start #${this.starts} at ${new Date().toISOString()}\n`);
    // bin/worker: the production launcher, with its memory settings.
    const entry = this.options.compiled ? ['dist/worker/main.js'] : ['--import', 'tsx', 'worker/main.ts'];
    const child = spawn(`${REPO_ROOT}bin/worker`, entry, {
      cwd: REPO_ROOT,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        out.end(`--- worker exited (code ${code}, signal ${signal}) at ${new Date().toISOString()}\n`);
        resolve(code);
      }),
    );
    this.child = child;
  }

  /** The running process's resident memory now (VmRSS), in bytes (0 when not running). */
  sampleRss(): number {
    const pid = this.child?.pid;
    if (!pid || !this.running) return 0;
    this.samplePeakRss();
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return match ? Number(match[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  }

  /** The running process's peak resident memory (VmHWM), in bytes; also kept in `peakRssBytes`. */
  samplePeakRss(): number {
    const pid = this.child?.pid;
    if (!pid || !this.running) return this.peakRssBytes;
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) this.peakRssBytes = Math.max(this.peakRssBytes, Number(match[1]) * 1024);
    } catch {
      // The process just exited.
    }
    return this.peakRssBytes;
  }

  /** SIGKILL: no grace, in-flight activities are simply gone. */
  async kill(): Promise<void> {
    this.samplePeakRss();
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and wait for a graceful exit (SIGKILL after 15 s). */
  async stop(): Promise<void> {
    this.samplePeakRss();
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }
}
