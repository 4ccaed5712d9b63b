import { createHmac } from 'node:crypto';
import { FALLBACK_TIME_ZONE } from '../config/env.js';
import type { Sql, Tx } from '../db/client.js';
import { enqueuePlanChange } from '../db/outbox.js';
import { countyOffer, countyTimeZone } from '../db/counties.js';
import { voterCounty } from '../db/voter-roll.js';
import { LINK_LIFETIME_DAYS, manageLinkExpiry } from '../domain/manage-links.js';
import type { Channel } from '../domain/notices.js';
import { DEFAULT_WINDOW, nextAllowedInstant, type DailyWindow } from '../domain/quiet-hours.js';
import { resolveCountyDetails, type CountyFallback } from '../delivery/county.js';
import { createNoticeLinks, type NoticeLinks, type Senders } from '../delivery/senders.js';
import { isLanguage, resolveLanguage, type Language } from '../delivery/templates/index.js';
import type { Logger } from '../lib/logger.js';
import { createManageToken, verifyManageToken } from '../lib/manage-token.js';
import { alertsTo, callAllowedAt, createCodeMessages, type PendingAlert, type PendingCode } from './code-messages.js';
import { CODE_LIFETIME_MS, MAX_CODE_ATTEMPTS, codeMatches, generateCode, hashCode } from './codes.js';
import {
  CONTACT_CHANNELS,
  SUBSCRIPTION_ID,
  type ContactView,
  type ManageAccessResult,
  type ManageScope,
  type FieldProblems,
  type ManageTokenResult,
  type PreferencesResult,
  type PreferencesView,
  type Refusal,
  type RequestOrigin,
  type ResendResult,
  type SignUpResult,
  type StatusLookupResult,
  type UnsubscribeResult,
  type UpdateResult,
  type VerifyResult,
  type VoterService,
} from './contract.js';
import { maskAddress, maskEmail } from './mask.js';
import { matchVoter, type Identity, type MatchOutcome } from './matching.js';
import { createVoterLimits, type RateLimiter } from './rate-limit.js';
import { createPostgresRateLimiter } from '../lib/rate-limiter.js';
import { ballotTimelines } from './timeline.js';
import { parseIdentity, parsePreferencesPatch, parseResend, parseSignUp, parseVerify, type Parsed } from './schemas.js';
import * as store from './voters-store.js';
import type { ContactRow, SubscriptionRow } from './voters-store.js';

export interface VoterServiceDeps {
  sql: Sql;
  /** The same provider adapters the worker uses: codes go straight from Postgres to the provider. */
  senders: Senders;
  manageTokenSecret: string;
  /**
   * Requests per hour: per client address (each kind of request counted apart) and per identity or
   * subscription; verification codes per destination (default 5).
   */
  rateLimits: { perAddress: number; perIdentity: number; codesPerDestination?: number };
  logger: Logger;
  /** PUBLIC_BASE_URL: links in messages (manage page, List-Unsubscribe, sign-up page). */
  publicBaseUrl: string;
  links?: NoticeLinks;
  /** The clock of code expiry, token expiry and the voice-code hours (tests move it). */
  now?: () => number;
  /** Hourly limits; PostgreSQL shared by every API process unless given (tests may pass a memory one). */
  rateLimiter?: RateLimiter;
  /** Daily limits (codes per destination); PostgreSQL unless given. */
  dailyRateLimiter?: RateLimiter;
  /** When calls with a code may ring, in the county's zone (default 08:00-21:00; tests widen it). */
  voiceCodeHours?: DailyWindow;
  /** County details for a county without a `counties` row (`countyFallback(config)`). */
  countyFallback?: CountyFallback | undefined;
  /** DEFAULT_TIME_ZONE: new subscriptions and the status page, when the county names no zone. */
  defaultTimeZone?: string | undefined;
}

/**
 * Manage requests carry an HMAC token nobody can guess, and one visit to the preferences page takes
 * several requests: their per-subscription limit is this multiple of the per-identity one.
 */
const MANAGE_LIMIT_FACTOR = 5;

/**
 * The voter service: sign-up, verification, preferences, unsubscribing and the status page, the
 * same for the JSON API and the web pages. Each use case checks its limits and input, runs its
 * statements (./voters-store.ts) in one transaction, and only after the commit sends codes and
 * alerts and queues the voter's changed plan for their ballots.
 */
export function createVoterService(deps: VoterServiceDeps): VoterService {
  const { sql, logger } = deps;
  const now = deps.now ?? Date.now;
  const secret = deps.manageTokenSecret;
  const defaultTimeZone = deps.defaultTimeZone ?? FALLBACK_TIME_ZONE;
  const limits = createVoterLimits({
    limiter: deps.rateLimiter ?? createPostgresRateLimiter(sql, { windowMs: HOUR_MS }),
    dailyLimiter:
      deps.dailyRateLimiter ?? deps.rateLimiter ?? createPostgresRateLimiter(sql, { windowMs: 24 * HOUR_MS }),
    rateLimits: deps.rateLimits,
    secret,
  });
  const linkExpiry = async (subscriptionId: string) =>
    manageLinkExpiry(await store.latestElectionEnd(sql, subscriptionId, LINK_LIFETIME_DAYS), now());
  const tokenVersion = async (subscriptionId: string) =>
    (await store.subscriptionById(sql, subscriptionId))?.token_version ?? 0;
  const { sendCodes, sendAlerts } = createCodeMessages({
    sql,
    senders: deps.senders,
    links: deps.links ?? createNoticeLinks(deps.publicBaseUrl, secret),
    logger,
    publicBaseUrl: deps.publicBaseUrl,
    linkExpiry,
    tokenVersion,
    countyFallback: deps.countyFallback,
  });

  // The use cases, each below in this order; then what they share.
  return {
    signUp,
    verify,
    resendCode,
    pendingChannels,
    preferences,
    updatePreferences,
    unsubscribe,
    lookupStatus,
    checkManageToken,
    authorizeManage,
    manageTokenFor,
  };

  async function signUp(input: unknown, origin: RequestOrigin): Promise<SignUpResult> {
    const found = await lookUp(input, origin, parseSignUp);
    if ('refusal' in found) return found.refusal;
    const { data } = found;
    const voter = found.match.voter;
    const window = data.quietHours ?? DEFAULT_WINDOW;
    for (const channel of CONTACT_CHANNELS) {
      const address = data.contacts[channel];
      const limited = address === undefined ? undefined : await limits.byDestination(address);
      if (limited) return limited;
    }
    // Calls ring in the county's daytime, whatever zone the request names (the caller chooses that).
    const countyZone = (await countyTimeZone(sql, voter.county)) ?? defaultTimeZone;

    const { subscriptionId, codes } = await sql.begin(async (tx) => {
      // One sign-up per voter at a time (one active subscription per voter).
      await store.lockVoterSignUp(tx, voter.voterId);
      const current =
        (await store.activeSubscriptionForUpdate(tx, voter.voterId)) ??
        (await store.insertSubscription(tx, voter.voterId, {
          language: data.language,
          window,
          timezone: data.timezone ?? (await countyTimeZone(tx, voter.county)) ?? defaultTimeZone,
        }));
      const id = current.subscription_id;
      const existing = await store.contactsOf(tx, id);
      // Preferences of a subscription someone already confirmed change only through its manage link.
      if (!existing.some((contact) => contact.verified_at !== null)) {
        await store.updatePreferences(tx, id, {
          language: data.language,
          window,
          timezone: data.timezone ?? current.timezone,
        });
      }
      const pending: PendingCode[] = [];
      const at = new Date(now());
      for (const channel of CONTACT_CHANNELS) {
        const address = data.contacts[channel];
        if (!address) continue;
        const contact = existing.find((c) => c.channel === channel);
        // A sign-up never replaces an address the voter confirmed and still receives notices at:
        // anyone who knows the public-record lookup fields can sign up. Changing it takes the manage
        // link that only that address (and the voter's other confirmed ones) receives.
        if (contact && isWorking(contact) && contact.address !== address) {
          logger.info(
            { subscriptionId: id, channel },
            'sign-up named another address for a confirmed channel: left as it is',
          );
          continue;
        }
        const code = await setContact(tx, id, contact, channel, address, true);
        await store.insertConsent(tx, {
          subscriptionId: id,
          channel,
          address,
          language: data.language,
          origin: withVersion(origin, data),
          confirmed: code === undefined,
          at,
          addressHash: consentAddressHash(secret, address),
        });
        if (code && (channel !== 'voice' || voiceCodeAllowed(countyZone)))
          pending.push({ subscriptionId: id, channel, address, code, language: data.language, county: voter.county });
      }
      return { subscriptionId: id, codes: pending };
    });
    await sendCodes(codes);
    return {
      outcome: 'subscribed',
      subscriptionId,
      // This request's channels only: the voter's other pending changes are not a stranger's business.
      pendingVerification: CONTACT_CHANNELS.filter((channel) => data.contacts[channel]),
    };
  }

  async function verify(subscriptionId: string, input: unknown, origin: RequestOrigin): Promise<VerifyResult> {
    const checked = await checkVerifyRequest(subscriptionId, input, origin, parseVerify);
    if ('refusal' in checked) return checked.refusal;
    const { channel, code } = checked.data;

    const result = await sql.begin(
      async (tx): Promise<VerifyResult & { voterId?: string; alerts?: PendingAlert[]; contactId?: string }> => {
        const row = await store.codeCheckForUpdate(tx, subscriptionId, channel);
        if (!row || row.status !== 'active') return { outcome: 'not_found' };
        if (row.code_hash === null)
          return row.verified_at ? { outcome: 'already_verified' } : { outcome: 'code_expired' };
        if (row.attempts! >= MAX_CODE_ATTEMPTS) return { outcome: 'too_many_attempts' };
        if (new Date(row.expires_at!).getTime() <= now()) return { outcome: 'code_expired' };
        if (!codeMatches(secret, row.contact_id, code, row.code_hash)) {
          const attempts = await store.countFailedAttempt(tx, row.contact_id);
          return { outcome: 'invalid_code', attemptsRemaining: Math.max(0, MAX_CODE_ATTEMPTS - attempts) };
        }
        const address = row.address!;
        const alerts = await alertsOnConfirm(tx, { subscriptionId, contactId: row.contact_id, channel, address }, row);
        if (channel === 'sms') {
          // CTIA: a number that opts in is told the program, frequency, rates, HELP and STOP.
          const context = {
            subscriptionId,
            language: resolveLanguage(row.language).language,
            county: row.county,
            callAllowed: false,
          };
          alerts.push(...alertsTo([{ channel, address }], context, { kind: 'sms_opt_in' }));
        }
        await store.confirmContact(tx, {
          subscriptionId,
          contactId: row.contact_id,
          channel,
          address,
          at: new Date(now()),
        });
        return {
          outcome: 'verified',
          subscriptionId,
          channel,
          manageToken: '',
          voterId: row.voter_id,
          alerts,
          contactId: row.contact_id,
        };
      },
    );
    if (result.outcome !== 'verified') return result;
    const { voterId, alerts, contactId, ...verified } = result;
    await sendAlerts(alerts ?? []);
    await planChanged(voterId!);
    // The token is scoped to the contact just confirmed: it cannot touch contacts confirmed before it.
    return { ...verified, manageToken: await manageTokenFor(subscriptionId, contactId) };
  }

  async function resendCode(subscriptionId: string, input: unknown, origin: RequestOrigin): Promise<ResendResult> {
    const checked = await checkVerifyRequest(subscriptionId, input, origin, parseResend);
    if ('refusal' in checked) return checked.refusal;
    const { channel } = checked.data;
    const outcome = await sql.begin(async (tx): Promise<ResendResult | PendingCode> => {
      const current = await store.subscriptionById(tx, subscriptionId, true);
      if (!current || current.status !== 'active') return { outcome: 'not_found' };
      const contact = (await store.contactsOf(tx, subscriptionId)).find((c) => c.channel === channel);
      if (!contact) return { outcome: 'not_found' };
      if (contact.pending_address === null && contact.verified_at !== null) return { outcome: 'already_verified' };
      const address = contact.pending_address ?? contact.address;
      const limited = await limits.byDestination(address);
      if (limited) return limited;
      if (channel === 'voice') {
        const zone = (await countyTimeZone(tx, (await voterCounty(tx, current.voter_id)) ?? '')) ?? defaultTimeZone;
        const wait = voiceCodeWait(zone);
        if (wait > 0) return { outcome: 'rate_limited', retryAfterSeconds: wait };
      }
      return {
        subscriptionId,
        channel,
        address,
        code: await issueCode(tx, contact.contact_id, address),
        language: resolveLanguage(current.language).language,
        county: await voterCounty(tx, current.voter_id),
      };
    });
    if ('outcome' in outcome) return outcome;
    await sendCodes([outcome]);
    return { outcome: 'sent', channel };
  }

  async function pendingChannels(subscriptionId: string): Promise<Channel[] | undefined> {
    if (!(await subscription(sql, subscriptionId))) return undefined;
    return pendingOf(await store.contactsOf(sql, subscriptionId));
  }

  async function preferences(subscriptionId: string): Promise<PreferencesResult> {
    const current = await subscription(sql, subscriptionId);
    if (!current) return { outcome: 'not_found' };
    const county = await voterCounty(sql, current.voter_id);
    const offer = county ? await countyOffer(sql, county) : undefined;
    const contact = resolveCountyDetails(offer, deps.countyFallback);
    const languages = offer?.languages?.filter(isLanguage);
    return {
      outcome: 'ok',
      preferences: {
        ...view(current, await store.contactsOf(sql, subscriptionId)),
        ...(languages ? { languages } : {}),
        ...(contact ? { county: contact } : {}),
      },
    };
  }

  /** The languages the voter's county offers (its record), or undefined: every catalog language. */
  async function offeredLanguages(db: Sql | Tx, county: string | undefined): Promise<Language[] | undefined> {
    const offer = county ? await countyOffer(db, county) : undefined;
    return offer?.languages?.filter(isLanguage);
  }

  async function updatePreferences(
    subscriptionId: string,
    patch: unknown,
    origin: RequestOrigin,
    scope: ManageScope = {},
  ): Promise<UpdateResult> {
    const parsed = parsePreferencesPatch(patch);
    if (!parsed.ok) return { outcome: 'invalid', fields: parsed.fields };
    const data = parsed.data;
    const outcome = await sql.begin(async (tx) => {
      const current = await subscription(tx, subscriptionId, true);
      // An unsubscribed subscription is not brought back by a PATCH: the voter signs up again.
      if (!current || current.status !== 'active') return undefined;
      const before = await store.contactsOf(tx, subscriptionId);
      const protectedChannels = protectedFrom(before, scope.contactId).filter(
        (channel) => data.contacts?.[channel] !== undefined && data.contacts[channel] !== addressOf(before, channel),
      );
      if (protectedChannels.length > 0) {
        const fields: FieldProblems = Object.fromEntries(
          protectedChannels.map((channel) => [
            channel,
            {
              code: 'contact_protected',
              message:
                'This address was confirmed before the one this link was sent to: change it from a link sent to it.',
            },
          ]),
        );
        return { refusal: { outcome: 'invalid' as const, fields } };
      }
      const county = await voterCounty(tx, current.voter_id);
      const offered = data.language === undefined ? undefined : await offeredLanguages(tx, county ?? undefined);
      if (offered && data.language !== undefined && !offered.includes(data.language)) {
        const fields: FieldProblems = {
          language: {
            code: 'language_not_offered',
            message: `Your county offers ${offered.join(', ')}.`,
          },
        };
        return { refusal: { outcome: 'invalid' as const, fields } };
      }
      const language = data.language ?? resolveLanguage(current.language).language;
      await store.updatePreferences(tx, subscriptionId, {
        language,
        window: data.quietHours ?? { start: current.window_start, end: current.window_end },
        timezone: data.timezone ?? current.timezone,
      });
      const existing = await store.contactsOf(tx, subscriptionId);
      const codes: PendingCode[] = [];
      const alerts: PendingAlert[] = [];
      const at = new Date(now());
      let contactsChanged = false;
      for (const channel of CONTACT_CHANNELS) {
        const address = data.contacts?.[channel];
        if (address === undefined) continue;
        const contact = existing.find((c) => c.channel === channel);
        // A verified, working address that this change replaces or removes is told so.
        if (contact && isWorking(contact) && contact.address !== address) {
          const context = { subscriptionId, language, county, callAllowed: callAllowed(current) };
          alerts.push(...alertsTo([contact], context, { kind: 'removed' }));
        }
        if (address === null) {
          if (contact) await store.deleteContact(tx, contact.contact_id);
          await store.withdrawConsents(tx, subscriptionId, { channel }, at);
          if (contact?.verified_at) contactsChanged = true;
          continue;
        }
        if (
          contact &&
          contact.address === address &&
          (contact.verified_at !== null || contact.pending_address === address)
        ) {
          continue;
        }
        const limited = await limits.byDestination(address);
        if (limited) return { refusal: limited };
        await store.withdrawConsents(tx, subscriptionId, { channel, keepAddress: address }, at);
        if (contact?.verified_at && contact.address !== address) contactsChanged = true;
        const code = await setContact(tx, subscriptionId, contact, channel, address, false);
        await store.insertConsent(tx, {
          subscriptionId,
          channel,
          address,
          language,
          origin: withVersion(origin, data),
          confirmed: code === undefined,
          at,
          addressHash: consentAddressHash(secret, address),
        });
        if (code && (channel !== 'voice' || voiceCodeAllowed(current.timezone)))
          codes.push({ subscriptionId, channel, address, code, language, county });
      }
      // A confirmed address replaced or removed: every token made before stops working (the holder
      // of this one gets a new token in the answer).
      if (contactsChanged) await store.bumpTokenVersion(tx, subscriptionId);
      return { voterId: current.voter_id, codes, alerts };
    });
    if (!outcome) return { outcome: 'not_found' };
    if ('refusal' in outcome) return outcome.refusal!;
    await sendCodes(outcome.codes);
    await sendAlerts(outcome.alerts);
    await planChanged(outcome.voterId);
    const current = await subscription(sql, subscriptionId);
    const contacts = await store.contactsOf(sql, subscriptionId);
    return {
      outcome: 'updated',
      preferences: view(current!, contacts),
      pendingVerification: pendingOf(contacts),
      // Scoped as the request's token was (a holder that removed its own contact gets a dead token).
      manageToken: await manageTokenFor(subscriptionId, scope.contactId),
    };
  }

  async function unsubscribe(
    subscriptionId: string,
    _origin: RequestOrigin,
    scope: ManageScope = {},
  ): Promise<UnsubscribeResult> {
    const outcome = await sql.begin(async (tx) => {
      const current = await subscription(tx, subscriptionId, true);
      if (!current) return undefined;
      let alerts: PendingAlert[] = [];
      const own = (await store.contactsOf(tx, subscriptionId)).find((c) => c.contact_id === scope.contactId);
      // A one-click link stops only the contact it was sent to (which hears it once); the subscription
      // ends with its last working contact.
      if (current.status === 'active' && own && scope.onlyContact) {
        const at = new Date(now());
        const context = {
          subscriptionId,
          language: resolveLanguage(current.language).language,
          county: await voterCounty(tx, current.voter_id),
          callAllowed: callAllowed(current),
        };
        if (isWorking(own)) alerts = alertsTo([own], context, { kind: 'unsubscribed' });
        await store.optOutContact(tx, subscriptionId, own.contact_id, at);
        await store.bumpTokenVersion(tx, subscriptionId);
        if ((await store.workingContacts(tx, subscriptionId)).length > 0) {
          return { voterId: current.voter_id, alerts, scope: 'contact' as const };
        }
        await store.markUnsubscribed(tx, subscriptionId, at);
        return { voterId: current.voter_id, alerts, scope: 'subscription' as const };
      }
      if (current.status === 'active') {
        // Whoever holds a manage token can unsubscribe (a stranger gets one by confirming a contact
        // of their own): every verified, working contact hears once that the notices stop. Only
        // here, when the status changes: a repeated unsubscribe tells nobody again.
        const context = {
          subscriptionId,
          language: resolveLanguage(current.language).language,
          county: await voterCounty(tx, current.voter_id),
          callAllowed: callAllowed(current),
        };
        alerts = alertsTo(await store.workingContacts(tx, subscriptionId), context, { kind: 'unsubscribed' });
        await store.markUnsubscribed(tx, subscriptionId, new Date(now()));
      }
      return { voterId: current.voter_id, alerts, scope: 'subscription' as const };
    });
    if (outcome === undefined) return { outcome: 'not_found' };
    await planChanged(outcome.voterId);
    // After the commit; each failure is logged without the address and never fails the unsubscribe.
    await sendAlerts(outcome.alerts);
    return { outcome: 'unsubscribed', scope: outcome.scope };
  }

  async function lookupStatus(input: unknown, origin: RequestOrigin): Promise<StatusLookupResult> {
    const found = await lookUp(input, origin, parseIdentity);
    if ('refusal' in found) return found.refusal;
    const ballots = await ballotTimelines(
      { sql, defaultTimeZone, countyFallback: deps.countyFallback, now },
      found.match.voter.voterId,
    );
    return { outcome: 'found', ballots };
  }

  async function checkManageToken(token: string): Promise<ManageTokenResult> {
    const check = verifyManageToken(secret, token, now());
    if (!check.ok) return { outcome: check.reason === 'expired' ? 'token_expired' : 'invalid_token' };
    const { subscriptionId, contactId } = check;
    if (!SUBSCRIPTION_ID.test(subscriptionId) || (contactId !== undefined && !SUBSCRIPTION_ID.test(contactId)))
      return { outcome: 'invalid_token' };
    // Revoked: made before the last unsubscribe or change of contacts, or its contact was removed.
    const state = await store.tokenState(sql, subscriptionId, contactId);
    if (state && (state.token_version !== check.version || (contactId !== undefined && !state.contact_exists)))
      return { outcome: 'invalid_token' };
    return { outcome: 'ok', subscriptionId, contactId };
  }

  async function authorizeManage(token: string, origin: RequestOrigin): Promise<ManageAccessResult> {
    const byAddress = await limits.byAddress('manage', origin.clientAddress);
    if (byAddress) return byAddress;
    const check = await checkManageToken(token);
    if (check.outcome !== 'ok') return check;
    return (await limits.bySubject('manage', check.subscriptionId, MANAGE_LIMIT_FACTOR)) ?? check;
  }

  async function manageTokenFor(subscriptionId: string, contactId?: string): Promise<string> {
    return createManageToken(secret, subscriptionId, await linkExpiry(subscriptionId), {
      version: await tokenVersion(subscriptionId),
      contactId,
    });
  }

  // What the use cases share.

  /** Lookup shared by sign-up and the status page: limits, then the same query whatever fails. */
  async function lookUp<T extends Identity>(
    input: unknown,
    origin: RequestOrigin,
    parse: (input: unknown) => Parsed<T>,
  ): Promise<
    | { refusal: Exclude<SignUpResult, { outcome: 'subscribed' }> }
    | { data: T; match: Extract<MatchOutcome, { outcome: 'match' }> }
  > {
    const byAddress = await limits.byAddress('lookup', origin.clientAddress);
    if (byAddress) return { refusal: byAddress };
    const parsed = parse(input);
    if (!parsed.ok) return { refusal: { outcome: 'invalid', fields: parsed.fields } };
    const byIdentity = await limits.bySubject('lookup', limits.identityKey(parsed.data));
    if (byIdentity) return { refusal: byIdentity };
    const match = await matchVoter(sql, parsed.data);
    if (match.outcome !== 'match') return { refusal: { outcome: match.outcome } };
    return { data: parsed.data, match };
  }

  /** Verify and resend share their limits (per client address, then per subscription) and checks. */
  async function checkVerifyRequest<T>(
    subscriptionId: string,
    input: unknown,
    origin: RequestOrigin,
    parse: (input: unknown) => Parsed<T>,
  ): Promise<{ refusal: Refusal | { outcome: 'not_found' } } | { data: T }> {
    const byAddress = await limits.byAddress('verify', origin.clientAddress);
    if (byAddress) return { refusal: byAddress };
    const parsed = parse(input);
    if (!parsed.ok) return { refusal: { outcome: 'invalid', fields: parsed.fields } };
    if (!SUBSCRIPTION_ID.test(subscriptionId)) return { refusal: { outcome: 'not_found' } };
    const bySubscription = await limits.bySubject('verify', subscriptionId);
    if (bySubscription) return { refusal: bySubscription };
    return { data: parsed.data };
  }

  /** A subscription by an ID from a request: anything but a UUID is not found without asking. */
  function subscription(db: Sql | Tx, subscriptionId: string, lock = false): Promise<SubscriptionRow | undefined> {
    if (!SUBSCRIPTION_ID.test(subscriptionId)) return Promise.resolve(undefined);
    return store.subscriptionById(db, subscriptionId, lock);
  }

  /** A new code for the contact (the previous one stops working); only its HMAC is stored. */
  async function issueCode(tx: Tx, contactId: string, address: string): Promise<string> {
    const code = generateCode();
    const at = now();
    await store.upsertCode(tx, {
      contactId,
      address,
      codeHash: hashCode(secret, contactId, code),
      expiresAt: new Date(at + CODE_LIFETIME_MS),
      sentAt: new Date(at),
    });
    return code;
  }

  /**
   * Adds or changes one channel's address. A verified contact keeps working at its old address until
   * the new one is confirmed when `keepVerified` (sign-up); a PATCH replaces it at once. Returns the
   * code to send, or undefined when a manage change keeps the verified address.
   */
  async function setContact(
    tx: Tx,
    subscriptionId: string,
    existing: ContactRow | undefined,
    channel: Channel,
    address: string,
    keepVerified: boolean,
  ): Promise<string | undefined> {
    if (!existing) {
      const contactId = await store.insertContact(tx, subscriptionId, channel, address);
      return issueCode(tx, contactId, address);
    }
    // A sign-up (anyone who knows the public-record lookup fields) always gets a code, so its answer
    // never tells whether an address is the voter's confirmed one; a manage change skips it.
    if (isWorking(existing) && existing.address === address && !keepVerified) {
      await store.deleteCode(tx, existing.contact_id);
      return undefined;
    }
    if (!(keepVerified && existing.verified_at !== null) && existing.address !== address) {
      await store.changeContactAddress(tx, existing.contact_id, address);
    }
    return issueCode(tx, existing.contact_id, address);
  }

  /**
   * The alerts owed when a contact is confirmed (inside the verify transaction, before it is
   * updated): every other verified, working contact of the subscription, and the channel's
   * previous address when the confirmed one replaces it, hears that a contact was added. A sign-up
   * or PATCH can be looked up by anyone who knows a voter's public-record identity, so the voter's
   * own contacts must learn of it. Contacts given in the same request as this one and confirmed
   * since are left out (one sign-up with a number and an email alerts nobody); a contact that was
   * verified before that request is never left out.
   */
  async function alertsOnConfirm(
    tx: Tx,
    confirmed: { subscriptionId: string; contactId: string; channel: Channel; address: string },
    sub: { language: string; window_start: string; window_end: string; timezone: string; county: string | null },
  ): Promise<PendingAlert[]> {
    const { subscriptionId, channel, address } = confirmed;
    const requestedAt = await store.openConsentTime(tx, subscriptionId, channel, address);
    const recipients = await store.contactsToAlert(tx, { ...confirmed, requestedAt });
    const context = {
      subscriptionId,
      language: resolveLanguage(sub.language).language,
      county: sub.county,
      callAllowed: callAllowed(sub),
    };
    const masked = channel === 'email' ? maskEmail(address) : address.slice(-4);
    return alertsTo(recipients, context, { kind: 'added', channel, masked });
  }

  /** Whether a call may ring now: inside the subscription's quiet-hours window, in its zone. */
  function callAllowed(row: { window_start: string; window_end: string; timezone: string }): boolean {
    return callAllowedAt(now(), { start: row.window_start, end: row.window_end }, row.timezone);
  }

  /** Whether a call with a code may ring now: daytime (08:00-21:00) in `timeZone`. */
  function voiceCodeAllowed(timeZone: string): boolean {
    return callAllowedAt(now(), deps.voiceCodeHours ?? VOICE_CODE_HOURS, timeZone);
  }

  /** Seconds until a code call may ring in `timeZone` (0: now). */
  function voiceCodeWait(timeZone: string): number {
    if (voiceCodeAllowed(timeZone)) return 0;
    try {
      const hours = deps.voiceCodeHours ?? VOICE_CODE_HOURS;
      return Math.max(1, Math.ceil((nextAllowedInstant(now(), hours, timeZone) - now()) / 1000));
    } catch {
      return 3_600;
    }
  }

  /** The voter's open ballots hear the new plan through the outbox (in order with their scans). */
  async function planChanged(voterId: string) {
    try {
      await enqueuePlanChange(sql, voterId);
    } catch (error) {
      logger.error({ err: error }, "could not queue the voter's changed plan for their ballots");
    }
  }
}

/** The consent text version the request states (API clients) wins over the surface's own. */
function withVersion(origin: RequestOrigin, data: { consentTextVersion?: string | undefined }): RequestOrigin {
  return data.consentTextVersion ? { ...origin, consentTextVersion: data.consentTextVersion } : origin;
}

/** Calls that carry a code ring only in the daytime (the TCPA window), never at night. */
const VOICE_CODE_HOURS = { start: '08:00', end: '21:00' };

const HOUR_MS = 3_600_000;

/** The address's keyed hash (case-insensitive), kept as consent evidence once the address is purged. */
export function consentAddressHash(secret: string, address: string): string {
  const key = createHmac('sha256', secret).update('consent-address').digest();
  return createHmac('sha256', key).update(address.toLowerCase()).digest('hex');
}

function addressOf(contacts: readonly ContactRow[], channel: Channel): string | undefined {
  return contacts.find((c) => c.channel === channel)?.address;
}

/**
 * The channels whose confirmed contact the holder of `contactId`'s token may not change: those
 * confirmed before its own (every confirmed one while its own waits for a code). A token that names
 * no contact (made before tokens were scoped) protects nothing from its holder.
 */
function protectedFrom(contacts: readonly ContactRow[], contactId: string | undefined): Channel[] {
  if (contactId === undefined) return [];
  const own = contacts.find((c) => c.contact_id === contactId);
  const since = own?.verified_at ? own.verified_at.getTime() : Number.POSITIVE_INFINITY;
  return contacts
    .filter((c) => c.contact_id !== contactId && c.verified_at !== null && c.verified_at.getTime() < since)
    .map((c) => c.channel);
}

/** Verified and neither opted out nor disabled: notices reach it. */
function isWorking(contact: ContactRow): boolean {
  return contact.verified_at !== null && !contact.opted_out_at && !contact.disabled_reason;
}

function pendingOf(contacts: readonly ContactRow[]): Channel[] {
  return CONTACT_CHANNELS.filter((channel) =>
    contacts.some((c) => c.channel === channel && c.pending_address !== null),
  );
}

function view(row: SubscriptionRow, contacts: readonly ContactRow[]): PreferencesView {
  const byChannel = new Map(contacts.map((contact) => [contact.channel, contact]));
  return {
    subscriptionId: row.subscription_id,
    status: row.status,
    language: resolveLanguage(row.language).language,
    quietHours: { start: row.window_start, end: row.window_end },
    timezone: row.timezone,
    contacts: CONTACT_CHANNELS.flatMap((channel): ContactView[] => {
      const contact = byChannel.get(channel);
      if (!contact) return [];
      return [
        {
          channel,
          address: maskAddress(channel, contact.address),
          verified: contact.verified_at !== null,
          pendingVerification: contact.pending_address !== null,
          optedOut: contact.opted_out_at !== null,
        },
      ];
    }),
  };
}
