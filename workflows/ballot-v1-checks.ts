/**
 * The v1 ballot workflow's checks of its signals, written by hand with the rules of the scan-event
 * schema (`domain/scan-event.ts`) so that no schema library is instantiated in every cached
 * workflow. They accept exactly what the API accepts; v1 ballots only ever receive such events.
 */
import { EVENT_TYPES } from '../domain/ballot-status.js';
import {
  checked,
  date,
  instant,
  instantOrDate,
  oneOf,
  optional,
  record,
  text,
  type Checked,
} from '../domain/checks.js';
import { ID_PATTERN } from '../domain/ids.js';
import type { Issuance, ScanEvent } from '../domain/scan-event.js';

const PRINTABLE = /^[\x21-\x7e]+$/;

export function checkScanEvent(value: unknown): Checked<ScanEvent> {
  return checked(() => {
    const source = record(value, 'event');
    return {
      eventId: text(source.eventId, 'eventId', { pattern: PRINTABLE }),
      type: oneOf(source.type, EVENT_TYPES, 'type'),
      occurredAt: instant(source.occurredAt, 'occurredAt'),
      ...optional(source, 'source', (v, path) => text(v, path, { max: 64 })),
      ...optional(source, 'reason', (v, path) => text(v, path, { max: 500 })),
      ...optional(source, 'cureDeadline', instantOrDate),
      ...optional(source, 'expectedDeliveryDate', date),
      ...optional(source, 'facilityZip', (v, path) => text(v, path, { pattern: /^\d{5}$/ })),
    };
  });
}

export function checkIssuance(value: unknown): Checked<Issuance> {
  return checked(() => {
    const source = record(value, 'issuance');
    return {
      voterId: text(source.voterId, 'voterId', { pattern: ID_PATTERN }),
      county: text(source.county, 'county', { max: 64 }),
      ...optional(source, 'imb', (v, path) => text(v, path, { pattern: /^\d{20,31}$/ })),
    };
  });
}
