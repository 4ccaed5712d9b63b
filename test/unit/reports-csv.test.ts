/**
 * The CSV of a report: RFC 4180 quoting, no value as an empty cell, and no cell a spreadsheet would
 * run as a formula. The download's file name carries the report, the county and the dates.
 */
import { describe, expect, it } from 'vitest';
import { REPORT_COLUMNS, REPORT_NAMES, reportFileName, toCsv } from '../../reports/reports.js';

describe('report CSV', () => {
  it('writes a header row and one line per row, CRLF, empty cells for no value', () => {
    const csv = toCsv({
      columns: ['county', 'day', 'signups', 'detail'],
      rows: [
        { county: 'sacramento', day: '2026-10-06', signups: 12, detail: null },
        { county: 'yolo', day: '2026-10-07', signups: 0, detail: 'undelivered 30003' },
      ],
    });
    expect(csv).toBe(
      'county,day,signups,detail\r\nsacramento,2026-10-06,12,\r\nyolo,2026-10-07,0,undelivered 30003\r\n',
    );
  });

  it('quotes commas, quotes and line breaks', () => {
    const csv = toCsv({
      columns: ['detail'],
      rows: [{ detail: 'contact disabled (a, "b")' }, { detail: 'two\nlines' }],
    });
    expect(csv).toBe('detail\r\n"contact disabled (a, ""b"")"\r\n"two\nlines"\r\n');
  });

  it.each(['=HYPERLINK("http://x")', '+1', '-B-1', '@SUM(A1)'])('defuses a formula-like text cell %s', (text) => {
    const [, line] = toCsv({ columns: ['ballotId'], rows: [{ ballotId: text }] }).split('\r\n');
    expect(line!.replace(/^"/, '').startsWith("'")).toBe(true);
  });

  it('leaves numbers alone, also negative ones', () => {
    expect(toCsv({ columns: ['minutes'], rows: [{ minutes: -1.5 }] })).toBe('minutes\r\n-1.5\r\n');
  });

  it('names the download by report, county (or all) and dates', () => {
    expect(reportFileName({ report: 'cure-log', county: 'sacramento', from: '2026-10-01', to: '2026-10-31' })).toBe(
      'cure-log-sacramento-2026-10-01-2026-10-31.csv',
    );
    expect(reportFileName({ report: 'notices', county: null, from: '2026-10-01', to: '2026-10-01' })).toBe(
      'notices-all-2026-10-01-2026-10-01.csv',
    );
  });

  it('every report has columns, and none names a person or a contact', () => {
    for (const name of REPORT_NAMES) {
      expect(REPORT_COLUMNS[name].length).toBeGreaterThan(0);
      expect(REPORT_COLUMNS[name].join(' ')).not.toMatch(/name|address|phone|email|birth|zip/i);
    }
  });
});
