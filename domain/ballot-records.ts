/**
 * What a ballot's workflow is told by the rest of the system: the contract between PostgreSQL (the
 * record of what happened, read by the outbox forwarder) and the ballot state machine. IDs, types,
 * dates and preferences only; names, addresses, barcodes and free text stay in PostgreSQL.
 */
import { z } from 'zod';
import { EVENT_TYPES } from './ballot-status.js';
import { CHANNELS, type DeliveryPlan } from './notices.js';
import { isValidClockTime } from './quiet-hours.js';
import { ID_PATTERN } from './scan-event.js';

const isoInstant = z.iso.datetime({ offset: true });
const isoDate = z.iso.date();

/** A status-changing scan as PostgreSQL accepted it. Reasons, sources and facility data stay there. */
export const ballotEventRecordSchema = z.object({
  eventId: z.string().min(1).max(128),
  type: z.enum(EVENT_TYPES),
  occurredAt: isoInstant,
  /** Challenged only: the cure deadline the scan named (an instant, or a date meaning 17:00 local). */
  cureDeadline: z.union([isoInstant, isoDate]).optional(),
});
export type BallotEventRecord = z.output<typeof ballotEventRecordSchema>;

/** Who the ballot belongs to, by ID. */
export const ballotIssuanceSchema = z.object({
  voterId: z.string().regex(ID_PATTERN),
  county: z.string().min(1).max(64),
});
export type BallotIssuance = z.output<typeof ballotIssuanceSchema>;

/** The election's dates a ballot needs to word and time its notices. */
export const electionFactsSchema = z.object({
  electionDay: isoDate,
  timeZone: z.string().min(1),
  /** The election's cure deadline, used when a challenge names none. */
  cureDeadline: z.union([isoInstant, isoDate]).optional(),
  cureReminderDaysBefore: z.array(z.number().int().min(0).max(60)).max(10),
  /** When the election closes: a ballot that learns of it late (started after the sweep) closes itself. */
  closesAt: isoInstant.optional(),
});
export type ElectionFacts = z.output<typeof electionFactsSchema>;

const windowTime = z.string().refine((value) => isValidClockTime(value, true), 'HH:MM');
export const deliveryPlanSchema = z.object({
  channels: z.array(z.enum(CHANNELS)),
  optedOut: z.array(z.enum(CHANNELS)).optional(),
  language: z.string().min(2).max(16),
  window: z.object({ start: windowTime, end: windowTime }),
  timeZone: z.string().min(1),
}) satisfies z.ZodType<DeliveryPlan>;

/**
 * One delivery from the outbox: everything PostgreSQL has for the ballot that the workflow has not
 * necessarily seen. Every part is optional and idempotent (events are deduplicated by ID, the first
 * issuance wins, the latest plan and facts replace the earlier ones), so a redelivered or
 * overlapping batch changes nothing.
 */
export const ballotRecordsSchema = z.object({
  issuance: ballotIssuanceSchema.optional(),
  /** Status-changing events in the order PostgreSQL applied them. */
  events: z.array(ballotEventRecordSchema).max(100).optional(),
  /** The voter's current delivery plan; `null` when nobody is subscribed (no activity, no timer). */
  plan: deliveryPlanSchema.nullable().optional(),
  election: electionFactsSchema.optional(),
  /** An operator resumed delivery after a configuration failure paused it. */
  resumed: z.boolean().optional(),
});
export type BallotRecords = z.output<typeof ballotRecordsSchema>;

/** Sent by the election's sweep: a return reminder, valid until Election Day begins. */
export interface ReturnReminderDue {
  /** Epoch milliseconds: the reminder is refused (or dropped while it waits) from this instant on. */
  expiresAt: number;
}
