import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import type { SourceRecord } from './source.js';

/** A line of an NDJSON body: the parsed value, or why it could not be read (not JSON, too long). */
export type NdjsonLine = SourceRecord;

/**
 * Reads newline-delimited JSON from a stream in bounded memory: at most one line (up to `maxLineBytes`)
 * is held at a time; a longer line is skipped up to its newline and reported. Blank lines are ignored.
 * Back-pressure comes for free: the stream is read only as fast as the consumer pulls.
 */
export async function* ndjsonLines(stream: Readable, maxLineBytes = 64 * 1024): AsyncGenerator<NdjsonLine> {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let tooLong = false;
  let line = 0;

  function* emit(text: string): Generator<NdjsonLine> {
    line += 1;
    if (tooLong) {
      tooLong = false;
      yield { line, error: { code: 'line_too_long', message: `The line is longer than ${maxLineBytes} bytes.` } };
      return;
    }
    const trimmed = text.trim();
    if (trimmed === '') return;
    try {
      yield { line, value: JSON.parse(trimmed) as unknown };
    } catch {
      yield { line, error: { code: 'invalid_json', message: 'The line is not valid JSON.' } };
    }
  }

  for await (const chunk of stream) {
    let text = decoder.write(chunk as Buffer);
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n')) {
      const piece = tooLong ? '' : partial + text.slice(0, newline);
      partial = '';
      text = text.slice(newline + 1);
      yield* emit(piece);
    }
    if (!tooLong) {
      partial += text;
      if (Buffer.byteLength(partial) > maxLineBytes) {
        tooLong = true;
        partial = '';
      }
    }
  }
  const rest = partial + decoder.end();
  if (tooLong || rest.trim() !== '') yield* emit(rest);
}
