import type { Language } from '../delivery/templates/index.js';
import type { Channel } from '../domain/notices.js';

/**
 * What the voter-facing surfaces (the JSON API under /v1/subscriptions and the server-rendered pages)
 * ask of the voter service. Both call the same service, so matching, verification, consent and rate
 * limits behave the same whichever surface a voter uses. Outcomes are plain values, never exceptions:
 * each surface maps them to its own answer (HTTP status + JSON, or a page in the voter's language).
 */

/** The order voter pages and answers list channels in (every channel of domain/notices.ts, email first). */
export const CONTACT_CHANNELS: readonly Channel[] = ['email', 'sms', 'voice'];

/** The form of a subscription ID (a UUID): anything else is not found without asking the database. */
export const SUBSCRIPTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The four facts a voter gives to find themselves on the roll, plus the voter ID when asked for it. */
export interface VoterIdentityInput {
  firstName: string;
  lastName: string;
  /** YYYY-MM-DD */
  dateOfBirth: string;
  zip: string;
  voterId?: string;
}

export interface SignUpInput extends VoterIdentityInput {
  contacts: Partial<Record<Channel, string>>;
  language: Language;
  /** HH:MM local time; default DEFAULT_WINDOW (domain/quiet-hours.ts). */
  quietHours?: { start: string; end: string };
  /** IANA zone; default: the voter's county. */
  timezone?: string;
}

/** Who is asking and from where: rate limits and the consent record use it. Never logged. */
export interface RequestOrigin {
  /** The client's address (rate limits only; not stored). */
  clientAddress: string;
  /** Where consent was given, e.g. 'web:/' or 'api:POST /v1/subscriptions'. */
  source: string;
  /** Version of the consent text the voter was shown (the web form's, or the API client's). */
  consentTextVersion?: string;
}

/** A field's problem: a stable code (web pages translate it) and an English message (the API's). */
export interface FieldProblem {
  code: string;
  message: string;
}

/** Keys are field paths as the JSON body spells them: 'firstName', 'contacts.sms', 'quietHours.start'. */
export type FieldProblems = Record<string, FieldProblem>;

export type Refusal =
  { outcome: 'invalid'; fields: FieldProblems } | { outcome: 'rate_limited'; retryAfterSeconds: number };

export type LookupRefusal = Refusal | { outcome: 'no_match' } | { outcome: 'multiple_matches' };

export type SignUpResult =
  { outcome: 'subscribed'; subscriptionId: string; pendingVerification: Channel[] } | LookupRefusal;

export type VerifyResult =
  | { outcome: 'verified'; subscriptionId: string; channel: Channel; manageToken: string }
  | { outcome: 'invalid_code'; attemptsRemaining: number }
  | { outcome: 'code_expired' }
  | { outcome: 'too_many_attempts' }
  | { outcome: 'already_verified' }
  | { outcome: 'not_found' }
  | Refusal;

export type ResendResult =
  { outcome: 'sent'; channel: Channel } | { outcome: 'already_verified' } | { outcome: 'not_found' } | Refusal;

export interface ContactView {
  channel: Channel;
  /** Masked: '•••-•••-4567', 'j•••@e•••.org'. */
  address: string;
  verified: boolean;
  /** A code was sent and not yet confirmed (a new contact, or a changed address). */
  pendingVerification: boolean;
  optedOut: boolean;
}

export interface PreferencesView {
  subscriptionId: string;
  status: 'active' | 'unsubscribed';
  language: Language;
  quietHours: { start: string; end: string };
  timezone: string;
  contacts: ContactView[];
  /** The languages the voter's county offers (its record); absent: every catalog language. */
  languages?: Language[];
  /** Whom the voter contacts: the voter's county (its record, else the deployment's default). */
  county?: { name: string; phone: string; url: string };
}

/** PATCH body: contacts given replace that channel's address (null removes the channel). */
export interface PreferencesPatch {
  contacts?: Partial<Record<Channel, string | null>>;
  language?: Language;
  quietHours?: { start: string; end: string };
  timezone?: string;
}

export type PreferencesResult = { outcome: 'ok'; preferences: PreferencesView } | { outcome: 'not_found' };

export type UpdateResult =
  | {
      outcome: 'updated';
      preferences: PreferencesView;
      pendingVerification: Channel[];
      /** A current token for the same holder (a change of contacts revokes the one the request carried). */
      manageToken: string;
    }
  | { outcome: 'not_found' }
  | Refusal;

/** `contact`: only the token's own contact was stopped (the subscription goes on for the others). */
export type UnsubscribeResult =
  { outcome: 'unsubscribed'; scope: 'subscription' | 'contact' } | { outcome: 'not_found' };

/**
 * Who a manage request acts for: the contact its token was sent to (or confirmed), when the token
 * names one. Such a holder may not change or remove a contact confirmed before its own, and its
 * unsubscribe stops only its own contact unless it is the subscription's first confirmed contact.
 */
export interface ManageScope {
  contactId?: string | undefined;
  /** One-click unsubscribe (RFC 8058): always only the link's contact. */
  onlyContact?: boolean;
}

/** One ballot's story for the status page: no personal data, statuses and times only. */
export interface BallotTimeline {
  electionId: string;
  electionName: string;
  ballotId: string;
  status: string;
  /** IANA zone the times are shown in: the voter's county, else the election's. */
  timezone: string;
  events: { status: string; at: string }[];
  /** Who to contact about this ballot (the county's record, else the deployment's default). */
  county?: { name: string; phone: string; url: string };
  /** YYYY-MM-DD, when the election is stored. */
  electionDay?: string;
  /** Whether polls are still open (before 8 p.m. on Election Day): a rejected voter can still vote. */
  canStillVote?: boolean;
  /** The reason code of a challenged or rejected ballot (worded by the page from the catalogs). */
  reason?: string;
  /** A challenged ballot: where and by when to fix it. */
  cure?: {
    url: string;
    /** ISO instant, only while it is still ahead. */
    deadline?: string;
    /** A code of CURE_DEADLINE_RULES, when the county names one. */
    deadlineRule?: string;
  };
  /** The county's own wording of reason texts, cure instructions and its rule, by language and catalog path. */
  countyTexts?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export type StatusLookupResult = { outcome: 'found'; ballots: BallotTimeline[] } | LookupRefusal;

export type ManageTokenResult =
  | { outcome: 'ok'; subscriptionId: string; contactId?: string | undefined }
  | { outcome: 'invalid_token' }
  | { outcome: 'token_expired' };

/** A manage request's token check together with the manage rate limits (client address, subscription). */
export type ManageAccessResult = ManageTokenResult | { outcome: 'rate_limited'; retryAfterSeconds: number };

export interface VoterService {
  signUp(input: unknown, origin: RequestOrigin): Promise<SignUpResult>;
  verify(subscriptionId: string, input: unknown, origin: RequestOrigin): Promise<VerifyResult>;
  resendCode(subscriptionId: string, input: unknown, origin: RequestOrigin): Promise<ResendResult>;
  /** The channels of a subscription still waiting for a code (the /verify page lists them). */
  pendingChannels(subscriptionId: string): Promise<Channel[] | undefined>;
  preferences(subscriptionId: string): Promise<PreferencesResult>;
  updatePreferences(
    subscriptionId: string,
    patch: unknown,
    origin: RequestOrigin,
    scope?: ManageScope,
  ): Promise<UpdateResult>;
  unsubscribe(subscriptionId: string, origin: RequestOrigin, scope?: ManageScope): Promise<UnsubscribeResult>;
  lookupStatus(input: unknown, origin: RequestOrigin): Promise<StatusLookupResult>;
  /**
   * Checks a manage token: signature, expiry, the subscription's current token version, and that the
   * contact it names still works. The caller compares the subscription ID.
   */
  checkManageToken(token: string): Promise<ManageTokenResult>;
  /**
   * `checkManageToken` plus the manage rate limits (per client address, per subscription): call it
   * once per manage request (read, change, unsubscribe) instead of `checkManageToken`.
   */
  authorizeManage(token: string, origin: RequestOrigin): Promise<ManageAccessResult>;
  /** A current token for the subscription (scoped to `contactId`), expiring with its voter's latest election. */
  manageTokenFor(subscriptionId: string, contactId?: string): Promise<string>;
}
