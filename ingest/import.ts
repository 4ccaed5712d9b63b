import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ballotsByTrackingCode } from '../db/ballots.js';
import type { Sql } from '../db/client.js';
import { ingestBallots } from './ballots.js';
import { csvRecords } from './parsers/csv.js';
import { isImbHeader, parseImbRow, type OperationTable } from './parsers/imb.js';
import { ndjsonLines } from './parsers/ndjson.js';
import { ivmtrDelimitedRecords, ivmtrJsonRecords } from './parsers/ivmtr.js';
import { ingestIvmtr, type UspsEffect } from './usps.js';
import type { SourceRecord } from './parsers/source.js';
import { OPERATOR, type Principal } from '../domain/principal.js';
import { ingestScans } from './scans.js';
import type { ItemResult, Outcome } from './schemas.js';
import { ingestVoters } from './voters.js';

export type ImportKind = 'voters' | 'ballots' | 'scans' | 'ivmtr';
export type ImportFormat = 'csv' | 'ndjson' | 'imb' | 'json' | 'pipe';

export interface ImportProblem {
  line: number;
  outcome: Outcome;
  code?: string;
  message?: string;
}

export interface ImportSummary {
  accepted: number;
  duplicate: number;
  invalid: number;
  /** IMb rows whose operation the table maps to `ignore`. */
  skipped: number;
  lines: number;
  /** IV-MTR: accepted scans by what they did (applied, stale, pending, recorded, ignored, capped). */
  effects?: Partial<Record<UspsEffect, number>>;
}

/** IV-MTR files: `.json` is the JSON document, anything else the pipe-delimited file with a header. */
export function ivmtrFormatFor(file: string, explicit?: string): 'json' | 'pipe' {
  if (explicit === 'json' || explicit === 'pipe') return explicit;
  if (explicit) throw new Error(`unknown IV-MTR format ${explicit}; use json or pipe`);
  return /\.json$/i.test(file) ? 'json' : 'pipe';
}

/** The records of an IV-MTR JSON file, numbered from 1 (reported as the `line`). */
function* ivmtrJsonFile(file: string): Generator<SourceRecord> {
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    yield { line: 1, error: { code: 'invalid_json', message: `not JSON: ${(error as Error).message}` } };
    return;
  }
  const records = ivmtrJsonRecords(document);
  if (!records) {
    yield { line: 1, error: { code: 'invalid_json', message: 'expected {"events": [...]} or an array of records' } };
    return;
  }
  for (const [i, value] of records.entries()) yield { line: i + 1, value };
}

export function formatFor(file: string, explicit?: string): ImportFormat {
  if (explicit === 'csv' || explicit === 'ndjson' || explicit === 'imb') return explicit;
  if (explicit) throw new Error(`unknown format ${explicit}; use csv, ndjson or imb`);
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(ndjson|jsonl)$/i.test(file)) return 'ndjson';
  if (/\.(txt|dat|imb)$/i.test(file)) return 'imb';
  throw new Error(`cannot tell the format of ${file} from its name; pass --format csv|ndjson|imb`);
}

/**
 * IMb rows become scan items: the 20-digit tracking code finds the ballot through `ballots.imb` or
 * `ballots.return_imb` (pieces match on the first 20 digits; an open election's ballot first). A barcode no issued ballot carries is `invalid`
 * (`unknown_barcode`): import the mailing file, then run the scan file again (safe: every scan has a
 * deterministic event ID, so rows already taken come back `duplicate`).
 */
async function* imbRecords(
  stream: Readable,
  sql: Sql,
  table: OperationTable,
  skipped: (line: number) => void,
): AsyncGenerator<SourceRecord> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  let pending: { line: number; scan: Extract<ReturnType<typeof parseImbRow>, { ok: true }>['scan'] }[] = [];
  async function* resolve(): AsyncGenerator<SourceRecord> {
    const ballots = await ballotsByTrackingCode(sql, [...new Set(pending.map((p) => p.scan.trackingCode))]);
    for (const { line: at, scan } of pending) {
      const ballot = ballots.get(scan.trackingCode);
      if (!ballot) {
        yield {
          line: at,
          error: { code: 'unknown_barcode', message: `no issued ballot carries barcode ${scan.trackingCode}` },
        };
        continue;
      }
      yield {
        line: at,
        value: {
          eventId: scan.eventId,
          electionId: ballot.electionId,
          ballotId: ballot.ballotId,
          type: scan.type,
          occurredAt: scan.occurredAt,
          facilityZip: scan.facilityZip,
          source: `usps-op-${scan.operationCode}`,
        },
      };
    }
    pending = [];
  }
  for await (const text of lines) {
    line += 1;
    if (text.trim() === '' || (line === 1 && isImbHeader(text))) continue;
    const parsed = parseImbRow(text, table);
    if (!parsed.ok) {
      yield { line, error: { code: parsed.code, message: parsed.message } };
    } else if (parsed.scan.type === 'ignore') {
      skipped(line);
    } else {
      pending.push({ line, scan: parsed.scan });
      if (pending.length >= 500) yield* resolve();
    }
  }
  if (pending.length > 0) yield* resolve();
}

/**
 * Imports a file through the same services as the API (same validation, same duplicate rules, same
 * outbox), in chunks so memory stays bounded. Reports every duplicate and invalid line through
 * `onProblem` as it goes, and the bytes read through `onProgress`.
 */
export async function importFile(options: {
  sql: Sql;
  kind: ImportKind;
  file: string;
  format: ImportFormat;
  operations?: OperationTable;
  /** IV-MTR: the election the scans belong to. */
  electionId?: string;
  principal?: Principal;
  chunkSize?: number;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  onProblem?: (problem: ImportProblem) => void;
}): Promise<ImportSummary> {
  const { sql, kind, file, format } = options;
  const principal = options.principal ?? OPERATOR;
  const chunkSize = options.chunkSize ?? 500;
  const total = statSync(file).size;
  const stream = createReadStream(file);
  let bytesRead = 0;
  stream.on('data', (chunk) => {
    bytesRead += chunk.length;
    options.onProgress?.(bytesRead, total);
  });
  const summary: ImportSummary = { accepted: 0, duplicate: 0, invalid: 0, skipped: 0, lines: 0 };

  if (kind === 'ivmtr') {
    const { electionId, operations } = options;
    if (!electionId) throw new Error('IV-MTR scans need the election (--election ID)');
    if (!operations) throw new Error('IV-MTR scans need an operation table');
    if (format !== 'json' && format !== 'pipe') throw new Error('IV-MTR files are json or pipe');
    const records = format === 'json' ? ivmtrJsonFile(file) : ivmtrDelimitedRecords(stream);
    const effects: Partial<Record<UspsEffect, number>> = {};
    const chunks = ingestInChunks(
      (async function* () {
        yield* records;
      })(),
      chunkSize,
      (items, lines) => ingestIvmtr(sql, principal, electionId, items, operations, lines),
    );
    for await (const results of chunks) {
      for (const result of results) {
        summary.lines = Math.max(summary.lines, result.line!);
        summary[result.outcome] += 1;
        const effect = (result as { effect?: UspsEffect }).effect;
        if (result.outcome === 'accepted' && effect) effects[effect] = (effects[effect] ?? 0) + 1;
        if (effect === 'ignored') summary.skipped += 1;
        if (result.outcome !== 'accepted') {
          options.onProblem?.({
            line: result.line ?? 0,
            outcome: result.outcome,
            ...(result.error ? { code: result.error.code, message: result.error.message } : {}),
          });
        }
      }
    }
    stream.destroy();
    options.onProgress?.(total, total);
    return { ...summary, effects };
  }

  if (format === 'imb' && kind !== 'scans') throw new Error('the IMb tracing format holds scans only');
  if (format === 'imb' && !options.operations)
    throw new Error('the IMb format needs an operation table (--operations FILE)');
  const records =
    format === 'csv'
      ? csvRecords(stream)
      : format === 'ndjson'
        ? ndjsonLines(stream)
        : imbRecords(stream, sql, options.operations!, () => (summary.skipped += 1));

  const ingest = { voters: ingestVoters, ballots: ingestBallots, scans: ingestScans }[kind];
  const chunks = ingestInChunks(records, chunkSize, (items, lines) => ingest(sql, principal, items, lines));
  for await (const results of chunks) {
    for (const result of results) {
      summary.lines = Math.max(summary.lines, result.line!);
      summary[result.outcome] += 1;
      if (result.outcome !== 'accepted') {
        options.onProblem?.({
          line: result.line ?? 0,
          outcome: result.outcome,
          ...(result.error ? { code: result.error.code, message: result.error.message } : {}),
        });
      }
    }
  }
  options.onProgress?.(total, total);
  return summary;
}

/**
 * Hands the readable records to `ingest` in chunks of up to `chunkSize` lines and yields each chunk's
 * results, unreadable lines included as `invalid` (index -1), in line order. Always yields at least
 * once (the last chunk may be empty).
 */
export async function* ingestInChunks<R extends ItemResult>(
  records: AsyncIterable<SourceRecord>,
  chunkSize: number,
  ingest: (items: unknown[], lines: number[]) => Promise<R[]>,
): AsyncGenerator<ItemResult[]> {
  let items: unknown[] = [];
  let lines: number[] = [];
  let unreadable: ItemResult[] = [];
  const flush = async () => {
    const results = items.length > 0 ? await ingest(items, lines) : [];
    const merged = [...results, ...unreadable].sort((a, b) => a.line! - b.line!);
    items = [];
    lines = [];
    unreadable = [];
    return merged;
  };
  for await (const record of records) {
    if (record.error) {
      unreadable.push({ index: -1, line: record.line, outcome: 'invalid', error: record.error });
    } else {
      items.push(record.value);
      lines.push(record.line);
    }
    if (items.length + unreadable.length >= chunkSize) yield await flush();
  }
  yield await flush();
}
