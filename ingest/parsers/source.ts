/** One record of an import file: the parsed value, or why the line could not be read. */
export interface SourceRecord {
  /** 1-based line number in the file. */
  line: number;
  value?: unknown;
  error?: { code: string; message: string };
}
