/**
 * The message spec: every message key, the variables it needs, the channels it exists on and the
 * catalog paths of its parts. Pure data and the functions that read it; the words are in
 * messages/<lang>.json, rendering is in ./render.ts.
 */
import { CHANNELS, type Channel } from '../../domain/notices.js';
import type { CalendarDate, Instant } from './dates.js';

export const CHALLENGE_REASONS = ['no_signature', 'signature_mismatch', 'more_information'] as const;
export type ChallengeReason = (typeof CHALLENGE_REASONS)[number];

export const REJECTION_REASONS = [
  'already_voted',
  'no_signature',
  'signature_mismatch',
  'ballot_missing',
  'voter_deceased',
  'received_late',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Always passed: every message names the county, and most say how to reach it. */
export interface CountyVars {
  countyName: string;
  countyPhone: string;
  countyUrl: string;
}

export interface CureVars {
  cureUrl: string;
  /** The instant the cure period ends, shown as wall time in `timeZone`. */
  cureDeadline: Instant;
  /** IANA zone of the county (e.g. America/Los_Angeles). */
  timeZone: string;
}

/** Variables each message needs beyond CountyVars. */
interface VarsByKey {
  'status.outbound': object;
  'status.outbound.with_delivery_date': { expectedDeliveryDate: CalendarDate };
  'status.undeliverable': object;
  'status.inbound': object;
  'status.received': object;
  /** `reason`: a ChallengeReason code; any other string gets the generic text. */
  'status.challenged': CureVars & { reason: ChallengeReason | (string & {}) };
  'status.cured': object;
  'status.accepted.will_be_counted': object;
  'status.accepted.was_counted': object;
  /** `reason`: a RejectionReason code; any other string gets the generic text. */
  'status.rejected': { reason: RejectionReason | (string & {}) };
  'status.voted_in_person': object;
  'status.superseded': object;
  'reminder.return': { electionDay: CalendarDate };
  'reminder.cure': CureVars;
  verification_code: { code: string };
  /**
   * Security alerts to the contacts already verified on a subscription: `maskedContact` is the
   * contact just confirmed, masked (voters/mask.ts: an email as 'j•••@e•••.org', a number as its
   * last 4 digits). SMS spells '•' as '*' (GSM-7); a call reads digits one by one.
   */
  'contact_added.email_address': { maskedContact: string };
  'contact_added.mobile_number': { maskedContact: string };
  'contact_added.phone_number': { maskedContact: string };
  /** To an address a manage-page change replaced or removed: it gets no more notices. */
  contact_removed: object;
  /**
   * To every verified, working contact once a subscription is unsubscribed (by the voter or by
   * whoever holds its manage link): no more notices follow. The email carries no manage link.
   */
  unsubscribed_confirmation: object;
  help_reply: object;
  unknown_reply: object;
  opted_out: object;
  opted_in: object;
}

export type MessageKey = keyof VarsByKey;
export type MessageVars<K extends MessageKey> = CountyVars & VarsByKey[K];
/** Email also needs the voter's manage/unsubscribe link for the footer. */
export type EmailVars<K extends MessageKey> = MessageVars<K> & { manageUrl: string };

/** Variable names a catalog text may use (after the renderer has formatted them). */
export type TemplateVar =
  | keyof CountyVars
  | 'manageUrl'
  | 'cureUrl'
  | 'cureDeadline'
  | 'expectedDeliveryDate'
  | 'electionDay'
  | 'code'
  | 'maskedContact'
  | 'reason';

interface MessageSpec {
  channels: readonly Channel[];
  vars: readonly TemplateVar[];
  reasons?: 'challenged' | 'rejected';
}

const ALL: readonly Channel[] = CHANNELS;
const SMS_ONLY: readonly Channel[] = ['sms'];
const CURE: readonly TemplateVar[] = ['cureUrl', 'cureDeadline'];

export const MESSAGE_SPECS: Readonly<Record<MessageKey, MessageSpec>> = {
  'status.outbound': { channels: ALL, vars: [] },
  'status.outbound.with_delivery_date': { channels: ALL, vars: ['expectedDeliveryDate'] },
  'status.undeliverable': { channels: ALL, vars: [] },
  'status.inbound': { channels: ALL, vars: [] },
  'status.received': { channels: ALL, vars: [] },
  'status.challenged': { channels: ALL, vars: [...CURE, 'reason'], reasons: 'challenged' },
  'status.cured': { channels: ALL, vars: [] },
  'status.accepted.will_be_counted': { channels: ALL, vars: [] },
  'status.accepted.was_counted': { channels: ALL, vars: [] },
  'status.rejected': { channels: ALL, vars: ['reason'], reasons: 'rejected' },
  'status.voted_in_person': { channels: ALL, vars: [] },
  'status.superseded': { channels: ALL, vars: [] },
  'reminder.return': { channels: ALL, vars: ['electionDay'] },
  'reminder.cure': { channels: ALL, vars: CURE },
  verification_code: { channels: ALL, vars: ['code'] },
  'contact_added.email_address': { channels: ALL, vars: ['maskedContact'] },
  'contact_added.mobile_number': { channels: ALL, vars: ['maskedContact'] },
  'contact_added.phone_number': { channels: ALL, vars: ['maskedContact'] },
  contact_removed: { channels: ALL, vars: [] },
  unsubscribed_confirmation: { channels: ALL, vars: [] },
  help_reply: { channels: SMS_ONLY, vars: [] },
  unknown_reply: { channels: SMS_ONLY, vars: [] },
  opted_out: { channels: SMS_ONLY, vars: [] },
  opted_in: { channels: SMS_ONLY, vars: [] },
};

export const MESSAGE_KEYS = Object.keys(MESSAGE_SPECS) as MessageKey[];
export type EmailKey = Exclude<MessageKey, 'help_reply' | 'unknown_reply' | 'opted_out' | 'opted_in'>;
export type VoiceKey = EmailKey;
export const EMAIL_KEYS = MESSAGE_KEYS.filter((k) => MESSAGE_SPECS[k].channels.includes('email')) as EmailKey[];
export const VOICE_KEYS = EMAIL_KEYS as readonly VoiceKey[];

/** Variables every text may use: the county is named in every message. */
const COUNTY_VARS: readonly TemplateVar[] = ['countyName', 'countyPhone', 'countyUrl'];

/** The names a catalog text for `key` on `channel` may use (for tests and translator tooling). */
export function allowedVariables(key: MessageKey, channel: Channel): readonly string[] {
  return [...COUNTY_VARS, ...MESSAGE_SPECS[key].vars, ...(channel === 'email' ? ['manageUrl'] : [])];
}

/** Catalog paths of the parts a message has on a channel (email footer is shared: `common.email.footer`). */
export function catalogParts(key: MessageKey, channel: Channel): string[] {
  if (!MESSAGE_SPECS[key].channels.includes(channel)) return [];
  if (channel === 'email') return [`${key}.email.subject`, `${key}.email.body`];
  return [`${key}.${channel}`];
}
