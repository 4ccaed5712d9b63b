import { createHmac } from 'node:crypto';
import type postgres from 'postgres';
import type { NoticeLinks, Senders } from '../activities/notices.js';
import type { Sql } from '../db/client.js';
import type { CountyFallback } from '../delivery/county.js';
import { createNoticeLinks } from '../delivery/senders.js';
import { resolveLanguage } from '../delivery/templates/index.js';
import type { Logger } from '../lib/logger.js';
import { createManageToken, verifyManageToken } from '../lib/manage-token.js';
import { enqueuePlanChange } from '../db/outbox.js';
import { isInsideWindow } from '../domain/quiet-hours.js';
import { createCodeMessages, type PendingAlert, type PendingCode } from './code-messages.js';
import { CODE_LIFETIME_MS, MAX_CODE_ATTEMPTS, codeMatches, generateCode, hashCode } from './codes.js';
import { CONSENT_TEXT_VERSION } from './consent.js';
import {
  CONTACT_CHANNELS,
  SUBSCRIPTION_ID,
  type ContactChannel,
  type ContactView,
  type ManageAccessResult,
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
import { linkExpiry } from './links.js';
import { maskAddress, maskEmail } from './mask.js';
import { matchVoter, type Identity, type MatchOutcome } from './matching.js';
import { normalizeName } from './normalize.js';
import { clientAddressKey, createRateLimiter, type RateLimiter } from './rate-limit.js';
import { FALLBACK_TIME_ZONE, ballotTimelines } from './timeline.js';
import { parseIdentity, parsePreferencesPatch, parseResend, parseSignUp, parseVerify, type Parsed } from './schemas.js';

export interface VoterServiceDeps {
  sql: Sql;
  /** The same provider adapters the worker uses: codes go straight from Postgres to the provider. */
  senders: Senders;
  manageTokenSecret: string;
  /** Requests per hour: per client address (each kind of request counted apart) and per identity or subscription. */
  rateLimits: { perAddress: number; perIdentity: number };
  logger: Logger;
  /** Links in verification emails (manage page, List-Unsubscribe). */
  publicBaseUrl?: string;
  links?: NoticeLinks;
  /** The clock of code expiry, token expiry and rate limits (tests move it). */
  now?: () => number;
  rateLimiter?: RateLimiter;
  /** County details for a county without a `counties` row (`countyFallback(config)`). */
  countyFallback?: CountyFallback | undefined;
}

/**
 * Manage requests carry an HMAC token nobody can guess, and one visit to the preferences page takes
 * several requests: their per-subscription limit is this multiple of the per-identity one.
 */
const MANAGE_LIMIT_FACTOR = 5;
const DEFAULT_QUIET_HOURS = { start: '08:00', end: '21:00' };
type Tx = postgres.TransactionSql;

interface ContactRow {
  contact_id: string;
  channel: ContactChannel;
  address: string;
  verified_at: Date | null;
  opted_out_at: Date | null;
  disabled_reason: string | null;
  pending_address: string | null;
}

interface SubscriptionRow {
  subscription_id: string;
  voter_id: string;
  language: string;
  window_start: string;
  window_end: string;
  timezone: string;
  status: 'active' | 'unsubscribed';
}

export function createVoterService(deps: VoterServiceDeps): VoterService {
  const { sql, logger } = deps;
  const now = deps.now ?? Date.now;
  const limiter = deps.rateLimiter ?? createRateLimiter({ now });
  const links = deps.links ?? createNoticeLinks(deps.publicBaseUrl ?? 'http://127.0.0.1:3000', deps.manageTokenSecret);
  const secret = deps.manageTokenSecret;
  const expiryOf = (subscriptionId: string) => linkExpiry(sql, subscriptionId, now());
  const { sendCodes, sendAlerts } = createCodeMessages({
    sql,
    senders: deps.senders,
    links,
    logger,
    publicBaseUrl: deps.publicBaseUrl,
    linkExpiry: expiryOf,
    countyFallback: deps.countyFallback,
  });

  /** Per client address, each kind of request counted apart (lookup, verify, manage). */
  function limitedByAddress(kind: string, origin: RequestOrigin) {
    const hit = limiter.hit(`${kind}:address:${clientAddressKey(origin.clientAddress)}`, deps.rateLimits.perAddress);
    return hit.allowed ? undefined : { outcome: 'rate_limited' as const, retryAfterSeconds: hit.retryAfterSeconds };
  }
  /** Per looked-up identity (a keyed hash) or subscription; `factor` widens it for manage requests. */
  function limitedBySubject(kind: string, subject: string, factor = 1) {
    const hit = limiter.hit(`${kind}:subject:${subject}`, deps.rateLimits.perIdentity * factor);
    return hit.allowed ? undefined : { outcome: 'rate_limited' as const, retryAfterSeconds: hit.retryAfterSeconds };
  }

  /** The looked-up identity as a keyed hash: the limiter never holds a name or birth date. */
  function identityKey(identity: Identity): string {
    return createHmac('sha256', secret)
      .update(
        [
          'identity',
          normalizeName(identity.firstName),
          normalizeName(identity.lastName),
          identity.dateOfBirth,
          identity.zip,
        ].join('|'),
      )
      .digest('base64url');
  }

  /** Lookup shared by sign-up and the status page: limits, then the same query whatever fails. */
  async function lookUp<T extends Identity>(
    input: unknown,
    origin: RequestOrigin,
    parse: (input: unknown) => Parsed<T>,
  ): Promise<
    | { refusal: Exclude<SignUpResult, { outcome: 'subscribed' }> }
    | { data: T; match: Extract<MatchOutcome, { outcome: 'match' }> }
  > {
    const byAddress = limitedByAddress('lookup', origin);
    if (byAddress) return { refusal: byAddress };
    const parsed = parse(input);
    if (!parsed.ok) return { refusal: { outcome: 'invalid', fields: parsed.fields } };
    const byIdentity = limitedBySubject('lookup', identityKey(parsed.data));
    if (byIdentity) return { refusal: byIdentity };
    const match = await matchVoter(sql, parsed.data);
    if (match.outcome !== 'match') return { refusal: { outcome: match.outcome } };
    return { data: parsed.data, match };
  }

  /** Verify and resend share their limits (per client address, then per subscription) and checks. */
  function checkVerifyRequest<T>(
    subscriptionId: string,
    input: unknown,
    origin: RequestOrigin,
    parse: (input: unknown) => Parsed<T>,
  ): { refusal: Refusal | { outcome: 'not_found' } } | { data: T } {
    const byAddress = limitedByAddress('verify', origin);
    if (byAddress) return { refusal: byAddress };
    const parsed = parse(input);
    if (!parsed.ok) return { refusal: { outcome: 'invalid', fields: parsed.fields } };
    if (!SUBSCRIPTION_ID.test(subscriptionId)) return { refusal: { outcome: 'not_found' } };
    const bySubscription = limitedBySubject('verify', subscriptionId);
    if (bySubscription) return { refusal: bySubscription };
    return { data: parsed.data };
  }

  async function issueCode(tx: Tx, contactId: string, address: string): Promise<string> {
    const code = generateCode();
    const at = now();
    await tx`
      INSERT INTO contact_verifications (contact_id, address, code_hash, expires_at, attempts, sent_at)
      VALUES (${contactId}, ${address}, ${hashCode(secret, contactId, code)}, ${new Date(at + CODE_LIFETIME_MS)}, 0, ${new Date(at)})
      ON CONFLICT (contact_id) DO UPDATE SET address = EXCLUDED.address, code_hash = EXCLUDED.code_hash,
        expires_at = EXCLUDED.expires_at, attempts = 0, sent_at = EXCLUDED.sent_at`;
    return code;
  }

  /** The consent text version the request states (API clients) wins over the surface's own. */
  const withVersion = (origin: RequestOrigin, data: { consentTextVersion?: string | undefined }): RequestOrigin =>
    data.consentTextVersion ? { ...origin, consentTextVersion: data.consentTextVersion } : origin;

  async function recordConsent(
    tx: Tx,
    consent: {
      subscriptionId: string;
      channel: ContactChannel;
      address: string;
      language: string;
      origin: RequestOrigin;
      confirmed: boolean;
      /** One instant per request: contacts given together are told apart from later additions by it. */
      at: Date;
    },
  ) {
    const { subscriptionId, channel, address, language, origin, confirmed, at } = consent;
    await tx`
      INSERT INTO consents (subscription_id, channel, address, source, consent_text_version, language, consented_at, confirmed_at)
      VALUES (${subscriptionId}, ${channel}, ${address}, ${origin.source.slice(0, 200)},
              ${(origin.consentTextVersion ?? CONSENT_TEXT_VERSION).slice(0, 100)}, ${language}, ${at},
              ${confirmed ? at : null})`;
  }

  async function countyOf(tx: Tx, voterId: string): Promise<string | null> {
    const [voter] = await tx<{ county: string }[]>`SELECT county FROM voters WHERE voter_id = ${voterId}`;
    return voter?.county ?? null;
  }

  async function contactsOf(db: Sql | Tx, subscriptionId: string): Promise<ContactRow[]> {
    return db<ContactRow[]>`
      SELECT c.contact_id, c.channel, c.address, c.verified_at, c.opted_out_at, c.disabled_reason,
             v.address AS pending_address
      FROM contacts c LEFT JOIN contact_verifications v ON v.contact_id = c.contact_id
      WHERE c.subscription_id = ${subscriptionId}`;
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
    channel: ContactChannel,
    address: string,
    keepVerified: boolean,
  ): Promise<string | undefined> {
    if (!existing) {
      const [created] = await tx<{ contact_id: string }[]>`
        INSERT INTO contacts (subscription_id, channel, address) VALUES (${subscriptionId}, ${channel}, ${address})
        RETURNING contact_id`;
      return issueCode(tx, created!.contact_id, address);
    }
    const working = existing.verified_at !== null && !existing.opted_out_at && !existing.disabled_reason;
    // A sign-up (anyone who knows the public-record lookup fields) always gets a code, so its answer
    // never tells whether an address is the voter's confirmed one; a manage change skips it.
    if (working && existing.address === address && !keepVerified) {
      await tx`DELETE FROM contact_verifications WHERE contact_id = ${existing.contact_id}`;
      return undefined;
    }
    if (!(keepVerified && existing.verified_at !== null) && existing.address !== address) {
      await tx`UPDATE contacts SET address = ${address}, verified_at = NULL WHERE contact_id = ${existing.contact_id}`;
    }
    return issueCode(tx, existing.contact_id, address);
  }

  /** Whether a call may ring now: inside the subscription's quiet-hours window, in its zone. */
  function callAllowed(row: { window_start: string; window_end: string; timezone: string }): boolean {
    try {
      return isInsideWindow(now(), { start: row.window_start, end: row.window_end }, row.timezone);
    } catch {
      return false;
    }
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
    subscriptionId: string,
    contactId: string,
    channel: ContactChannel,
    address: string,
    sub: { language: string; window_start: string; window_end: string; timezone: string; county: string | null },
  ): Promise<PendingAlert[]> {
    const [consent] = await tx<{ given: Date | null }[]>`
      SELECT max(consented_at) AS given FROM consents
      WHERE subscription_id = ${subscriptionId} AND channel = ${channel} AND address = ${address}
        AND confirmed_at IS NULL AND withdrawn_at IS NULL`;
    const given = consent?.given ?? null;
    const previous = await tx<{ channel: ContactChannel; address: string }[]>`
      SELECT c.channel, c.address FROM contacts c
      WHERE c.subscription_id = ${subscriptionId}
        AND c.verified_at IS NOT NULL AND c.opted_out_at IS NULL AND c.disabled_reason IS NULL
        AND (c.contact_id <> ${contactId} OR c.address <> ${address})
        AND NOT (${given}::timestamptz IS NOT NULL AND c.verified_at >= ${given}::timestamptz AND EXISTS (
          SELECT 1 FROM consents k
          WHERE k.subscription_id = c.subscription_id AND k.channel = c.channel AND k.address = c.address
            AND k.consented_at = ${given}::timestamptz))`;
    const language = resolveLanguage(sub.language).language;
    const masked = channel === 'email' ? maskEmail(address) : address.slice(-4);
    return previous.map((contact) => ({
      subscriptionId,
      channel: contact.channel,
      address: contact.address,
      language,
      county: sub.county,
      callAllowed: callAllowed(sub),
      event: { kind: 'added', channel, masked },
    }));
  }

  /** The voter's open ballots hear the new plan through the outbox (in order with their scans). */
  async function planChanged(voterId: string) {
    try {
      await enqueuePlanChange(sql, voterId);
    } catch (error) {
      logger.error({ err: error }, "could not queue the voter's changed plan for their ballots");
    }
  }

  async function subscription(
    db: Sql | Tx,
    subscriptionId: string,
    lock = false,
  ): Promise<SubscriptionRow | undefined> {
    if (!SUBSCRIPTION_ID.test(subscriptionId)) return undefined;
    const [row] = lock
      ? await db<SubscriptionRow[]>`SELECT * FROM subscriptions WHERE subscription_id = ${subscriptionId} FOR UPDATE`
      : await db<SubscriptionRow[]>`SELECT * FROM subscriptions WHERE subscription_id = ${subscriptionId}`;
    return row;
  }

  function view(row: SubscriptionRow, contacts: ContactRow[]): PreferencesView {
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

  const pendingOf = (contacts: ContactRow[]) =>
    CONTACT_CHANNELS.filter((channel) => contacts.some((c) => c.channel === channel && c.pending_address !== null));

  function checkManageToken(token: string): ManageTokenResult {
    const check = verifyManageToken(secret, token, now());
    if (check.ok)
      return SUBSCRIPTION_ID.test(check.subscriptionId)
        ? { outcome: 'ok', subscriptionId: check.subscriptionId }
        : { outcome: 'invalid_token' };
    return { outcome: check.reason === 'expired' ? 'token_expired' : 'invalid_token' };
  }

  return {
    async signUp(input, origin): Promise<SignUpResult> {
      const found = await lookUp(input, origin, parseSignUp);
      if ('refusal' in found) return found.refusal;
      const { data } = found;
      const voter = found.match.voter;

      const { subscriptionId, codes } = await sql.begin(async (tx) => {
        // One sign-up per voter at a time (one active subscription per voter).
        await tx`SELECT pg_advisory_xact_lock(hashtext(${`voter-signup:${voter.voterId}`}))`;
        let [current] = await tx<SubscriptionRow[]>`
          SELECT * FROM subscriptions WHERE voter_id = ${voter.voterId} AND status = 'active' FOR UPDATE`;
        const quietHours = data.quietHours ?? DEFAULT_QUIET_HOURS;
        if (!current) {
          const [county] = await tx<
            { timezone: string }[]
          >`SELECT timezone FROM counties WHERE county = ${voter.county}`;
          [current] = await tx<SubscriptionRow[]>`
            INSERT INTO subscriptions (voter_id, language, window_start, window_end, timezone)
            VALUES (${voter.voterId}, ${data.language}, ${quietHours.start}, ${quietHours.end},
                    ${data.timezone ?? county?.timezone ?? FALLBACK_TIME_ZONE})
            RETURNING *`;
        }
        const id = current!.subscription_id;
        const existing = await contactsOf(tx, id);
        // Preferences of a subscription someone already confirmed change only through its manage link.
        if (!existing.some((contact) => contact.verified_at !== null)) {
          await tx`
            UPDATE subscriptions SET language = ${data.language}, window_start = ${quietHours.start},
              window_end = ${quietHours.end}, timezone = ${data.timezone ?? current!.timezone}, updated_at = now()
            WHERE subscription_id = ${id}`;
        }
        const pending: PendingCode[] = [];
        const at = new Date(now());
        for (const channel of CONTACT_CHANNELS) {
          const address = data.contacts[channel];
          if (!address) continue;
          const contact = existing.find((c) => c.channel === channel);
          const code = await setContact(tx, id, contact, channel, address, true);
          await recordConsent(tx, {
            subscriptionId: id,
            channel,
            address,
            language: data.language,
            origin: withVersion(origin, data),
            confirmed: code === undefined,
            at,
          });
          if (code)
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
    },

    async verify(subscriptionId, input, origin): Promise<VerifyResult> {
      const checked = checkVerifyRequest(subscriptionId, input, origin, parseVerify);
      if ('refusal' in checked) return checked.refusal;
      const { channel, code } = checked.data;

      const result = await sql.begin(
        async (tx): Promise<VerifyResult & { voterId?: string; alerts?: PendingAlert[] }> => {
          // The subscription first, as sign-up, PATCH and unsubscribe lock it: concurrent attempts
          // queue here, and each then reads the attempts and the pending address as committed.
          await tx`SELECT 1 FROM subscriptions WHERE subscription_id = ${subscriptionId} FOR UPDATE`;
          const [row] = await tx<
            {
              voter_id: string;
              status: string;
              language: string;
              window_start: string;
              window_end: string;
              timezone: string;
              county: string | null;
              contact_id: string;
              verified_at: Date | null;
              address: string | null;
              code_hash: string | null;
              expires_at: Date | null;
              attempts: number | null;
            }[]
          >`
          SELECT s.voter_id, s.status, s.language, s.window_start, s.window_end, s.timezone,
                 (SELECT county FROM voters WHERE voter_id = s.voter_id) AS county,
                 c.contact_id, c.verified_at, v.address, v.code_hash, v.expires_at, v.attempts
          FROM subscriptions s
          JOIN contacts c ON c.subscription_id = s.subscription_id AND c.channel = ${channel}
          LEFT JOIN contact_verifications v ON v.contact_id = c.contact_id
          WHERE s.subscription_id = ${subscriptionId}
          FOR UPDATE OF c`;
          if (!row || row.status !== 'active') return { outcome: 'not_found' };
          if (row.code_hash === null)
            return row.verified_at ? { outcome: 'already_verified' } : { outcome: 'code_expired' };
          if (row.attempts! >= MAX_CODE_ATTEMPTS) return { outcome: 'too_many_attempts' };
          if (new Date(row.expires_at!).getTime() <= now()) return { outcome: 'code_expired' };
          if (!codeMatches(secret, row.contact_id, code, row.code_hash)) {
            const [updated] = await tx<{ attempts: number }[]>`
            UPDATE contact_verifications SET attempts = attempts + 1 WHERE contact_id = ${row.contact_id} RETURNING attempts`;
            return { outcome: 'invalid_code', attemptsRemaining: Math.max(0, MAX_CODE_ATTEMPTS - updated!.attempts) };
          }
          const alerts = await alertsOnConfirm(tx, subscriptionId, row.contact_id, channel, row.address!, row);
          const at = new Date(now());
          await tx`
          UPDATE contacts SET address = ${row.address}, verified_at = ${at}, opted_out_at = NULL, disabled_reason = NULL
          WHERE contact_id = ${row.contact_id}`;
          await tx`DELETE FROM contact_verifications WHERE contact_id = ${row.contact_id}`;
          await tx`
          UPDATE consents SET confirmed_at = ${at}
          WHERE subscription_id = ${subscriptionId} AND channel = ${channel} AND address = ${row.address}
            AND confirmed_at IS NULL AND withdrawn_at IS NULL`;
          return { outcome: 'verified', subscriptionId, channel, manageToken: '', voterId: row.voter_id, alerts };
        },
      );
      if (result.outcome !== 'verified') return result;
      const { voterId, alerts, ...verified } = result;
      await sendAlerts(alerts ?? []);
      await planChanged(voterId!);
      return { ...verified, manageToken: await this.manageTokenFor(subscriptionId) };
    },

    async resendCode(subscriptionId, input, origin): Promise<ResendResult> {
      const checked = checkVerifyRequest(subscriptionId, input, origin, parseResend);
      if ('refusal' in checked) return checked.refusal;
      const { channel } = checked.data;
      const outcome = await sql.begin(async (tx): Promise<ResendResult | PendingCode> => {
        const current = await subscription(tx, subscriptionId, true);
        if (!current || current.status !== 'active') return { outcome: 'not_found' };
        const contact = (await contactsOf(tx, subscriptionId)).find((c) => c.channel === channel);
        if (!contact) return { outcome: 'not_found' };
        if (contact.pending_address === null && contact.verified_at !== null) return { outcome: 'already_verified' };
        const address = contact.pending_address ?? contact.address;
        const code = await issueCode(tx, contact.contact_id, address);
        return {
          subscriptionId,
          channel,
          address,
          code,
          language: resolveLanguage(current.language).language,
          county: await countyOf(tx, current.voter_id),
        };
      });
      if ('outcome' in outcome) return outcome;
      await sendCodes([outcome]);
      return { outcome: 'sent', channel };
    },

    async pendingChannels(subscriptionId) {
      const current = await subscription(sql, subscriptionId);
      if (!current) return undefined;
      return pendingOf(await contactsOf(sql, subscriptionId));
    },

    async preferences(subscriptionId): Promise<PreferencesResult> {
      const current = await subscription(sql, subscriptionId);
      if (!current) return { outcome: 'not_found' };
      return { outcome: 'ok', preferences: view(current, await contactsOf(sql, subscriptionId)) };
    },

    async updatePreferences(subscriptionId, patch, origin): Promise<UpdateResult> {
      const parsed = parsePreferencesPatch(patch);
      if (!parsed.ok) return { outcome: 'invalid', fields: parsed.fields };
      const data = parsed.data;
      const outcome = await sql.begin(async (tx) => {
        const current = await subscription(tx, subscriptionId, true);
        // An unsubscribed subscription is not brought back by a PATCH: the voter signs up again.
        if (!current || current.status !== 'active') return undefined;
        const language = data.language ?? resolveLanguage(current.language).language;
        await tx`
          UPDATE subscriptions SET language = ${language},
            window_start = ${data.quietHours?.start ?? current.window_start},
            window_end = ${data.quietHours?.end ?? current.window_end},
            timezone = ${data.timezone ?? current.timezone}, updated_at = now()
          WHERE subscription_id = ${subscriptionId}`;
        const existing = await contactsOf(tx, subscriptionId);
        const county = await countyOf(tx, current.voter_id);
        const codes: PendingCode[] = [];
        const alerts: PendingAlert[] = [];
        const at = new Date(now());
        for (const channel of CONTACT_CHANNELS) {
          const address = data.contacts?.[channel];
          if (address === undefined) continue;
          const contact = existing.find((c) => c.channel === channel);
          // A verified, working address that this change replaces or removes is told so.
          if (
            contact &&
            contact.verified_at !== null &&
            !contact.opted_out_at &&
            !contact.disabled_reason &&
            contact.address !== address
          ) {
            alerts.push({
              subscriptionId,
              channel,
              address: contact.address,
              language,
              county,
              callAllowed: callAllowed(current),
              event: { kind: 'removed' },
            });
          }
          if (address === null) {
            if (contact) await tx`DELETE FROM contacts WHERE contact_id = ${contact.contact_id}`;
            await tx`
              UPDATE consents SET withdrawn_at = ${at}
              WHERE subscription_id = ${subscriptionId} AND channel = ${channel} AND withdrawn_at IS NULL`;
            continue;
          }
          if (
            contact &&
            contact.address === address &&
            (contact.verified_at !== null || contact.pending_address === address)
          ) {
            continue;
          }
          await tx`
            UPDATE consents SET withdrawn_at = ${at}
            WHERE subscription_id = ${subscriptionId} AND channel = ${channel} AND address <> ${address} AND withdrawn_at IS NULL`;
          const code = await setContact(tx, subscriptionId, contact, channel, address, false);
          await recordConsent(tx, {
            subscriptionId,
            channel,
            address,
            language,
            origin: withVersion(origin, data),
            confirmed: code === undefined,
            at,
          });
          if (code) codes.push({ subscriptionId, channel, address, code, language, county });
        }
        return { voterId: current.voter_id, codes, alerts };
      });
      if (!outcome) return { outcome: 'not_found' };
      await sendCodes(outcome.codes);
      await sendAlerts(outcome.alerts);
      await planChanged(outcome.voterId);
      const current = await subscription(sql, subscriptionId);
      const contacts = await contactsOf(sql, subscriptionId);
      return { outcome: 'updated', preferences: view(current!, contacts), pendingVerification: pendingOf(contacts) };
    },

    async unsubscribe(subscriptionId, _origin): Promise<UnsubscribeResult> {
      const outcome = await sql.begin(async (tx) => {
        const current = await subscription(tx, subscriptionId, true);
        if (!current) return undefined;
        const alerts: PendingAlert[] = [];
        if (current.status === 'active') {
          // Whoever holds a manage token can unsubscribe (a stranger gets one by confirming a contact
          // of their own): every verified, working contact hears once that the notices stop. Only
          // here, when the status changes: a repeated unsubscribe tells nobody again.
          const working = await tx<{ channel: ContactChannel; address: string }[]>`
            SELECT channel, address FROM contacts
            WHERE subscription_id = ${subscriptionId}
              AND verified_at IS NOT NULL AND opted_out_at IS NULL AND disabled_reason IS NULL`;
          const county = await countyOf(tx, current.voter_id);
          const language = resolveLanguage(current.language).language;
          for (const contact of working) {
            alerts.push({
              subscriptionId,
              channel: contact.channel,
              address: contact.address,
              language,
              county,
              callAllowed: callAllowed(current),
              event: { kind: 'unsubscribed' },
            });
          }
          await tx`UPDATE subscriptions SET status = 'unsubscribed', updated_at = now() WHERE subscription_id = ${subscriptionId}`;
          await tx`DELETE FROM contact_verifications WHERE contact_id IN (SELECT contact_id FROM contacts WHERE subscription_id = ${subscriptionId})`;
          await tx`
            UPDATE consents SET withdrawn_at = ${new Date(now())}
            WHERE subscription_id = ${subscriptionId} AND withdrawn_at IS NULL`;
        }
        return { voterId: current.voter_id, alerts };
      });
      if (outcome === undefined) return { outcome: 'not_found' };
      await planChanged(outcome.voterId);
      // After the commit; each failure is logged without the address and never fails the unsubscribe.
      await sendAlerts(outcome.alerts);
      return { outcome: 'unsubscribed' };
    },

    async lookupStatus(input, origin): Promise<StatusLookupResult> {
      const found = await lookUp(input, origin, parseIdentity);
      if ('refusal' in found) return found.refusal;
      const ballots = await ballotTimelines(sql, found.match.voter.voterId);
      return { outcome: 'found', ballots };
    },

    checkManageToken,

    authorizeManage(token, origin): ManageAccessResult {
      const byAddress = limitedByAddress('manage', origin);
      if (byAddress) return byAddress;
      const check = checkManageToken(token);
      if (check.outcome !== 'ok') return check;
      return limitedBySubject('manage', check.subscriptionId, MANAGE_LIMIT_FACTOR) ?? check;
    },

    async manageTokenFor(subscriptionId) {
      return createManageToken(secret, subscriptionId, await expiryOf(subscriptionId));
    },
  };
}
