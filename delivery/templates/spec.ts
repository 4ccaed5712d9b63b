/**
 * The message spec: every message key, the variables it needs, the channels it exists on and the
 * catalog paths of its parts. Pure data and the functions that read it; the words are in
 * messages/<lang>.json, rendering is in ./render.ts.
 */
import { CHANNELS, type Channel } from '../../domain/notices.js';
import {
  CHALLENGE_REASONS,
  CURE_DEADLINE_RULES,
  REJECTION_REASONS,
  type ChallengeReason,
  type RejectionReason,
} from '../../domain/reasons.js';
import type { CalendarDate, Instant } from './dates.js';

export { CHALLENGE_REASONS, CURE_DEADLINE_RULES, REJECTION_REASONS };
export type { ChallengeReason, RejectionReason };

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

/**
 * A challenge without a deadline (none given, or already past when the notice goes out): the voter
 * is asked to act as soon as possible, and told the county's rule when it has one.
 */
export interface OpenCureVars {
  cureUrl: string;
  /** A code of CURE_DEADLINE_RULES (worded by `cure_rule.<code>`), or unset: no rule is said. */
  cureDeadlineRule?: string | undefined;
}

/** What a challenge notice says about the reason: its code, and the instructions for that code. */
interface ChallengeReasonVars {
  /** `reason`: a ChallengeReason code; any other string gets the generic text. */
  reason: ChallengeReason | (string & {});
}

/**
 * Every ballot notice (status.* and reminder.*) may name the voter's first initial, for a household
 * that shares one phone (a county option): `voterInitial` such as "J". Unset: not named.
 */
export interface BallotNoticeVars {
  voterInitial?: string | undefined;
}

/**
 * The county's own words for catalog texts in the message's language (`reason.<kind>.<code>`,
 * `cure_instructions.<code>`, `cure_rule`), used instead of the catalog's (county_texts).
 */
export interface CountyOverrides {
  overrides?: Readonly<Record<string, string>> | undefined;
}

/** Variables each message needs beyond CountyVars. */
interface VarsByKey {
  'status.outbound': BallotNoticeVars;
  'status.outbound.with_delivery_date': BallotNoticeVars & { expectedDeliveryDate: CalendarDate };
  'status.undeliverable': BallotNoticeVars;
  'status.inbound': BallotNoticeVars;
  /** A drop-box return the county collected (it is on its way to the office). */
  'status.collected': BallotNoticeVars;
  'status.received': BallotNoticeVars;
  /** A challenge with a deadline still ahead: "respond by". */
  'status.challenged': BallotNoticeVars & CountyOverrides & CureVars & ChallengeReasonVars;
  /** A challenge without a deadline, or past it: "as soon as possible", and the county's rule. */
  'status.challenged.no_deadline': BallotNoticeVars & CountyOverrides & OpenCureVars & ChallengeReasonVars;
  'status.cured': BallotNoticeVars;
  'status.accepted.will_be_counted': BallotNoticeVars;
  'status.accepted.was_counted': BallotNoticeVars;
  /** `reason`: a RejectionReason code; any other string gets the generic text. */
  'status.rejected': BallotNoticeVars & CountyOverrides & { reason: RejectionReason | (string & {}) };
  /** Rejected while the voter can still vote (before polls close on Election Day): what they can do. */
  'status.rejected.can_still_vote': BallotNoticeVars &
    CountyOverrides & { reason: RejectionReason | (string & {}); electionDay: CalendarDate };
  'status.voted_in_person': BallotNoticeVars;
  'status.superseded': BallotNoticeVars;
  'reminder.return': BallotNoticeVars & { electionDay: CalendarDate };
  'reminder.cure': BallotNoticeVars & CountyOverrides & CureVars & Partial<ChallengeReasonVars>;
  'reminder.cure.no_deadline': BallotNoticeVars & CountyOverrides & OpenCureVars & Partial<ChallengeReasonVars>;
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
  /**
   * CTIA opt-in confirmation, once a mobile number is confirmed or opted back in: the program, how
   * often, "Msg & data rates may apply", HELP and STOP, and that the service tracks the envelope.
   */
  sms_opt_in: object;
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
  | 'cureDeadlineRule'
  | 'cureInstructions'
  | 'expectedDeliveryDate'
  | 'electionDay'
  | 'code'
  | 'maskedContact'
  | 'reason'
  | 'voterInitial';

interface MessageSpec {
  channels: readonly Channel[];
  vars: readonly TemplateVar[];
  /**
   * Variables that may be empty: the renderer leaves them out, with the space before them, and an
   * email paragraph that is only such a variable is dropped.
   */
  optional?: readonly TemplateVar[];
  reasons?: 'challenged' | 'rejected';
  /** A ballot notice: may name the voter's initial, and its SMS may carry the opt-out hint. */
  ballotNotice?: true;
}

const ALL: readonly Channel[] = CHANNELS;
const SMS_ONLY: readonly Channel[] = ['sms'];
const CURE: readonly TemplateVar[] = ['cureUrl', 'cureDeadline', 'cureInstructions'];
const OPEN_CURE: readonly TemplateVar[] = ['cureUrl', 'cureDeadlineRule', 'cureInstructions'];

const notice = (vars: readonly TemplateVar[] = [], extra: Partial<MessageSpec> = {}): MessageSpec => ({
  channels: ALL,
  vars,
  ballotNotice: true,
  ...extra,
});

export const MESSAGE_SPECS: Readonly<Record<MessageKey, MessageSpec>> = {
  'status.outbound': notice(),
  'status.outbound.with_delivery_date': notice(['expectedDeliveryDate']),
  'status.undeliverable': notice(),
  'status.inbound': notice(),
  'status.collected': notice(),
  'status.received': notice(),
  'status.challenged': notice([...CURE, 'reason'], { reasons: 'challenged' }),
  'status.challenged.no_deadline': notice([...OPEN_CURE, 'reason'], {
    reasons: 'challenged',
    optional: ['cureDeadlineRule'],
  }),
  'status.cured': notice(),
  'status.accepted.will_be_counted': notice(),
  'status.accepted.was_counted': notice(),
  'status.rejected': notice(['reason'], { reasons: 'rejected' }),
  'status.rejected.can_still_vote': notice(['reason', 'electionDay'], { reasons: 'rejected' }),
  'status.voted_in_person': notice(),
  'status.superseded': notice(),
  'reminder.return': notice(['electionDay']),
  'reminder.cure': notice([...CURE], { reasons: 'challenged' }),
  'reminder.cure.no_deadline': notice([...OPEN_CURE], { reasons: 'challenged', optional: ['cureDeadlineRule'] }),
  verification_code: { channels: ALL, vars: ['code'] },
  'contact_added.email_address': { channels: ALL, vars: ['maskedContact'] },
  'contact_added.mobile_number': { channels: ALL, vars: ['maskedContact'] },
  'contact_added.phone_number': { channels: ALL, vars: ['maskedContact'] },
  contact_removed: { channels: ALL, vars: [] },
  unsubscribed_confirmation: { channels: ALL, vars: [] },
  sms_opt_in: { channels: SMS_ONLY, vars: [] },
  help_reply: { channels: SMS_ONLY, vars: [] },
  unknown_reply: { channels: SMS_ONLY, vars: [] },
  opted_out: { channels: SMS_ONLY, vars: [] },
  opted_in: { channels: SMS_ONLY, vars: [] },
};

export const MESSAGE_KEYS = Object.keys(MESSAGE_SPECS) as MessageKey[];
export type SmsOnlyKey = 'help_reply' | 'unknown_reply' | 'opted_out' | 'opted_in' | 'sms_opt_in';
export type EmailKey = Exclude<MessageKey, SmsOnlyKey>;
export type VoiceKey = EmailKey;
export const EMAIL_KEYS = MESSAGE_KEYS.filter((k) => MESSAGE_SPECS[k].channels.includes('email')) as EmailKey[];
export const VOICE_KEYS = EMAIL_KEYS as readonly VoiceKey[];

/** Variables every text may use: the county is named in every message. */
const COUNTY_VARS: readonly TemplateVar[] = ['countyName', 'countyPhone', 'countyUrl'];

/** The names a catalog text for `key` on `channel` may use (for tests and translator tooling). */
export function allowedVariables(key: MessageKey, channel: Channel): readonly string[] {
  return [...COUNTY_VARS, ...MESSAGE_SPECS[key].vars, ...(channel === 'email' ? ['manageUrl'] : [])];
}

/** Ballot notices (status.* and reminder.*): the ones the workflow sends about a ballot. */
export const BALLOT_NOTICE_KEYS = MESSAGE_KEYS.filter((key) => MESSAGE_SPECS[key].ballotNotice);

/**
 * Catalog texts outside the messages that a message may use, by what they are for:
 * - `common.email.footer`: under every email;
 * - `common.whose_ballot` (email, first paragraph) / `common.voice.whose_ballot` (voice, last
 *   sentence) / `common.sms.voter_tag` (SMS, right after the county name): the voter's initial;
 * - `common.sms.opt_out_hint`: appended to the first SMS notice to a number, and monthly after;
 * - `cure_instructions.<reason>`, `cure_rule.<rule>`: what a challenge notice asks and the county's rule.
 */
export const SHARED_TEXTS = {
  emailFooter: 'common.email.footer',
  whoseBallot: 'common.whose_ballot',
  voiceWhoseBallot: 'common.voice.whose_ballot',
  smsVoterTag: 'common.sms.voter_tag',
  smsOptOutHint: 'common.sms.opt_out_hint',
} as const;

/** Placeholders each shared text may use. */
export const SHARED_TEXT_VARS: Readonly<Record<string, readonly string[]>> = {
  [SHARED_TEXTS.emailFooter]: ['countyName', 'countyPhone', 'countyUrl', 'manageUrl'],
  [SHARED_TEXTS.whoseBallot]: ['voterInitial'],
  [SHARED_TEXTS.voiceWhoseBallot]: ['voterInitial'],
  [SHARED_TEXTS.smsVoterTag]: ['voterInitial'],
  [SHARED_TEXTS.smsOptOutHint]: [],
};

/** Catalog paths of the parts a message has on a channel (email footer is shared: `common.email.footer`). */
export function catalogParts(key: MessageKey, channel: Channel): string[] {
  if (!MESSAGE_SPECS[key].channels.includes(channel)) return [];
  if (channel === 'email') return [`${key}.email.subject`, `${key}.email.body`];
  return [`${key}.${channel}`];
}
