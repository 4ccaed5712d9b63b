/**
 * A stand-in for our webhook endpoints while the real routes do not exist: records every POST
 * (path, headers, raw body) and answers with a configurable status. Tests point the fakes' callback
 * URLs at it and check signatures with the helpers in delivery/providers/webhooks.ts.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './common.js';

export interface RecordedWebhook {
  /** Path and query, as received (what Twilio's signature covers after the public base URL). */
  originalUrl: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  /** Form parameters (for form-encoded bodies). */
  form: Record<string, string>;
}

export class WebhookRecorder {
  readonly received: RecordedWebhook[] = [];
  /** Status answered to every POST. */
  status = 200;
  /** Body answered to every POST (e.g. TwiML for an inbound SMS). */
  responseBody = '';

  private readonly server: Server;
  private address = '';

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks);
        const form = String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')
          ? Object.fromEntries(new URLSearchParams(rawBody.toString()).entries())
          : {};
        this.received.push({ originalUrl: req.url ?? '/', headers: req.headers, rawBody, form });
        res.statusCode = this.status;
        res.end(this.responseBody);
      });
    });
  }

  static async start(): Promise<WebhookRecorder> {
    const recorder = new WebhookRecorder();
    await new Promise<void>((resolve) => recorder.server.listen(0, '127.0.0.1', resolve));
    const { port } = recorder.server.address() as AddressInfo;
    recorder.address = `http://127.0.0.1:${port}`;
    return recorder;
  }

  /** Base URL; also the "public URL" Twilio signatures are computed over in tests. */
  get url(): string {
    return this.address;
  }

  on(pathPrefix: string): RecordedWebhook[] {
    return this.received.filter((r) => r.originalUrl.startsWith(pathPrefix));
  }

  waitFor(pathPrefix: string, count: number, timeoutMs = 5_000): Promise<void> {
    return waitFor(() => this.on(pathPrefix).length >= count, timeoutMs, `${count} webhooks on ${pathPrefix}`);
  }

  clear(): void {
    this.received.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
