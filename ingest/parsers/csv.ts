import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { SourceRecord } from './source.js';

/**
 * CSV with a header row naming the fields (`voterId,county,...`); empty cells are omitted, so an
 * optional field may simply be left blank. Yields one record per row with the line it ended on.
 */
export async function* csvRecords(stream: Readable): AsyncGenerator<SourceRecord> {
  const parser = stream.pipe(
    parse({
      columns: (header: string[]) => header.map((name) => name.trim()),
      skip_empty_lines: true,
      trim: true,
      bom: true,
      info: true,
      relax_column_count: true,
    }),
  );
  for await (const { record, info } of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number };
  }>) {
    const value = Object.fromEntries(Object.entries(record).filter(([, cell]) => cell !== ''));
    yield { line: info.lines, value };
  }
}
