/**
 * Feeds ballots the way production does: records go into PostgreSQL through the ingest functions
 * (the accepting transaction the API and the importer run), and an outbox forwarder delivers them
 * to the workflows. Tests, the history recorder and the benchmarks use it instead of signalling
 * workflows themselves.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import pino from 'pino';
import type { Sql } from '../../db/client.js';
import type { EventType } from '../../domain/ballot-status.js';
import type { ScanEvent } from '../../domain/scan-event.js';
import { ingestBallots } from '../../ingest/ballots.js';
import { OutboxForwarder } from '../../ingest/forwarder.js';
import { OPERATOR } from '../../domain/principal.js';
import { ingestScans, type ScanResult } from '../../ingest/scans.js';

let counter = 0;
/** A scan event with a unique ID (as a vendor's feed would carry). */
export function scanEvent(type: EventType, extra: Partial<ScanEvent> = {}): ScanEvent {
  counter += 1;
  return {
    eventId: `feed-${counter}-${randomUUID().slice(0, 8)}`,
    type,
    occurredAt: new Date().toISOString(),
    ...extra,
  };
}

export class Feed {
  readonly forwarder: OutboxForwarder;

  constructor(
    readonly sql: Sql,
    client: Client,
    taskQueue: string,
  ) {
    this.forwarder = new OutboxForwarder({
      sql,
      temporal: client,
      taskQueue,
      logger: pino({ level: 'silent' }),
      listen: false,
    });
  }

  /** Stores an issued ballot and forwards it. */
  async issue(
    electionId: string,
    ballotId: string,
    voterId: string,
    county = 'sacramento',
    extra: { imb?: string; issuedAt?: string } = {},
  ): Promise<void> {
    const [result] = await ingestBallots(this.sql, OPERATOR, [{ electionId, ballotId, voterId, county, ...extra }]);
    if (result?.outcome === 'invalid') throw new Error(`ballot not accepted: ${JSON.stringify(result.error)}`);
    await this.forward();
  }

  /** Stores scans for one ballot (each a type or a full event) and forwards what they changed. */
  async scan(electionId: string, ballotId: string, ...events: (EventType | ScanEvent)[]): Promise<ScanResult[]> {
    const items = events.map((event) => ({
      electionId,
      ballotId,
      ...(typeof event === 'string' ? scanEvent(event) : event),
    }));
    const results = await ingestScans(this.sql, OPERATOR, items);
    const invalid = results.find((result) => result.outcome === 'invalid');
    if (invalid) throw new Error(`scan not accepted: ${JSON.stringify(invalid.error)}`);
    await this.forward();
    return results;
  }

  /** Forwards everything pending; fails if something cannot be delivered within the timeout. */
  async forward(timeoutMs = 30_000): Promise<void> {
    const left = await this.forwarder.drain(timeoutMs);
    if (left > 0) throw new Error(`${left} outbox rows were not forwarded`);
  }
}
