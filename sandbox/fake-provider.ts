/**
 * What both fake providers share: listening on a port (0 in tests) and closing with every hung
 * request and pending callback, the fault queue and fault rates, the request count, and the control
 * routes every fake serves (what was accepted, fault settings, the next faults, reset). A fake adds
 * its own API routes (`routes`) and control routes (`controlRoutes`).
 */
import express, { type Express, type Router } from 'express';
import { close, listen, Pending, roll, SANDBOX_CONTROL_PATH, type Listening } from './common.js';

/** The fault settings every fake has; each adds its own. */
export interface BaseFaults {
  /** Share of requests answered 429 (0..1). */
  rateLimitRate: number;
  /** Share of requests answered 500. */
  serverErrorRate: number;
  /** Share of requests that hang for `hangMs` (set it above the client timeout). */
  timeoutRate: number;
  hangMs: number;
  /**
   * Record (accept) the message before answering 500 or hanging: the provider did take it, the
   * client cannot know. Default false: the message is not recorded.
   */
  acceptBeforeFailure: boolean;
}

/** Which fault each rate produces, in the order they are rolled. */
export interface RolledFaults<Fault> {
  rateLimit: Fault;
  serverError: Fault;
  timeout: Fault;
}

export abstract class FakeProvider<Faults extends BaseFaults, Fault, Recorded> {
  /** Everything accepted, oldest first. */
  readonly messages: Recorded[] = [];
  /** Requests received on the provider API (accepted or not). */
  requestCount = 0;
  faults: Faults;

  /** Callbacks and events scheduled or in flight (`idle()` waits for them). */
  protected readonly pending = new Pending();
  /** Hung requests, apart from callbacks so `idle()` does not wait for them. */
  protected readonly hangs = new Pending();
  protected readonly random: () => number;
  private readonly queued: Fault[] = [];
  private listening?: Listening;

  protected constructor(
    defaults: Faults,
    options: { faults?: Partial<Faults> | undefined; random?: (() => number) | undefined },
    private readonly rolled: RolledFaults<Fault>,
  ) {
    this.faults = { ...defaults, ...options.faults };
    this.random = options.random ?? Math.random;
  }

  /** Starts listening; the subclasses' `start()` calls it once constructed. */
  protected async listen(port?: number, host?: string): Promise<this> {
    this.listening = await listen(this.app(), port, host);
    return this;
  }

  /** Base URL to put in place of the provider's API host. */
  get url(): string {
    if (!this.listening) throw new Error(`${this.constructor.name} is not listening`);
    return this.listening.url;
  }

  /** The next requests fail with these faults, in order, before any rate applies. */
  failNext(...faults: Fault[]): void {
    this.queued.push(...faults);
  }

  /** Replaces fault settings (merged onto the current ones). */
  configure(faults: Partial<Faults>): void {
    this.faults = { ...this.faults, ...faults };
  }

  /** Forgets what was accepted and sent back, the queued faults and the request count. */
  reset(): void {
    this.messages.length = 0;
    this.queued.length = 0;
    this.requestCount = 0;
    this.resetDeliveries();
  }

  /** Resolves when no callback is scheduled or in flight. */
  idle(): Promise<void> {
    return this.pending.idle();
  }

  async close(): Promise<void> {
    this.hangs.clear();
    if (this.listening) await close(this.listening.server, this.pending);
  }

  /** The provider API's routes, its 404 and its error handler. */
  protected abstract routes(app: Express): void;
  /** Control routes beyond the shared ones. */
  protected abstract controlRoutes(router: Router): void;
  /** Forgets what the fake posted back (callbacks, event batches). */
  protected abstract resetDeliveries(): void;

  /** A queued fault first, then one of the rates (rate limit, server error, timeout), else none. */
  protected nextFault(): Fault | undefined {
    const queued = this.queued.shift();
    if (queued) return queued;
    if (roll(this.faults.rateLimitRate, this.random)) return this.rolled.rateLimit;
    if (roll(this.faults.serverErrorRate, this.random)) return this.rolled.serverError;
    if (roll(this.faults.timeoutRate, this.random)) return this.rolled.timeout;
    return undefined;
  }

  /** Leaves the request hanging until `hangMs` has passed, then drops the connection. */
  protected hang(res: express.Response): void {
    this.hangs.later(this.faults.hangMs, () => void res.socket?.destroy());
  }

  private app(): Express {
    const app = express();
    app.disable('x-powered-by');
    app.use(SANDBOX_CONTROL_PATH, this.control());
    this.routes(app);
    return app;
  }

  /**
   * Control routes for a fake running in its own process (dev runner, manual testing): inspect
   * what was accepted, change faults, queue faults, reset. No auth: bind the fake to loopback.
   */
  private control(): Router {
    const router = express.Router();
    router.use(express.json());
    router.get('/messages', (_req, res) => void res.json(this.messages));
    router.post('/faults', (req, res) => {
      this.configure(req.body as Partial<Faults>);
      res.json(this.faults);
    });
    router.post('/fail-next', (req, res) => {
      this.failNext(...([] as Fault[]).concat(req.body as Fault | Fault[]));
      res.status(204).end();
    });
    router.post('/reset', (_req, res) => {
      this.reset();
      res.status(204).end();
    });
    this.controlRoutes(router);
    return router;
  }
}
