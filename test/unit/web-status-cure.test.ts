/**
 * The status page when action is needed, in every language: the reason in the catalogs' words
 * (or the county's), what to do, the cure form's link, the deadline while it is ahead (else "as
 * soon as possible" and the county's rule), and the county's phone; the next step for every
 * status; the county's name and contact, and "we track the envelope, not your vote", on the page.
 */
import { describe, expect, it } from 'vitest';
import { BALLOT_STATUSES } from '../../domain/ballot-status.js';
import { cureInstructionsText, cureRuleText, LANGUAGES, reasonText } from '../../delivery/templates/index.js';
import { escapeHtml } from '../../web/html.js';
import { formatDateTime, translate, type MessageKey } from '../../web/i18n.js';
import { statusPage } from '../../web/views/status.js';
import type { BallotTimeline } from '../../voters/contract.js';

const COUNTY = { name: 'Sacramento County Elections', phone: '(916) 875-6451', url: 'https://elections.saccounty.gov' };
const CURE_URL = 'https://elections.saccounty.gov/cure/signature-verification?ballot=B-7&x=1';
const DEADLINE = '2026-12-02T01:00:00.000Z';

function ballot(extra: Partial<BallotTimeline> = {}): BallotTimeline {
  return {
    electionId: 'general-2026',
    electionName: 'General Election',
    ballotId: 'B-7',
    status: 'challenged',
    timezone: 'America/Los_Angeles',
    events: [
      { status: 'issued', at: '2026-10-05T17:00:00.000Z' },
      { status: 'received', at: '2026-10-20T17:00:00.000Z' },
      { status: 'challenged', at: '2026-10-21T17:00:00.000Z' },
    ],
    county: COUNTY,
    electionDay: '2026-11-03',
    reason: 'signature_mismatch',
    cure: { url: CURE_URL, deadline: DEADLINE },
    ...extra,
  };
}

const page = (lang: (typeof LANGUAGES)[number], ballots: BallotTimeline[]) =>
  statusPage({ lang, csrfToken: 't', values: {}, ballots });

/** Text as the page carries it (escaped). */
const shown = (text: string) => escapeHtml(text);

describe('the status page of a challenged ballot', () => {
  it.each(LANGUAGES)('%s: reason, instructions, cure link, deadline and county phone', (lang) => {
    const html = page(lang, [ballot()]);
    expect(html).toContain(shown(translate(lang, 'status.action_heading')));
    expect(html).toContain(shown(reasonText(lang, 'challenged', 'signature_mismatch')));
    expect(html).toContain(shown(cureInstructionsText(lang, 'signature_mismatch')));
    expect(html).toContain(`href="${shown(CURE_URL)}"`);
    expect(html).toContain(
      shown(translate(lang, 'status.deadline', { deadline: formatDateTime(lang, DEADLINE, 'America/Los_Angeles') })),
    );
    expect(html).toContain(shown(translate(lang, 'status.call', { name: COUNTY.name, phone: COUNTY.phone })));
    expect(html).not.toContain(shown(translate(lang, 'status.asap')));
    expect(html).toContain('data-cure-link');
  });

  it.each(LANGUAGES)('%s: without a deadline, "as soon as possible" and the county’s rule, no date', (lang) => {
    const html = page(lang, [
      ballot({ cure: { url: CURE_URL, deadlineRule: 'two_days_before_certification' }, reason: 'no_signature' }),
    ]);
    expect(html).toContain(shown(translate(lang, 'status.asap')));
    expect(html).toContain(shown(cureRuleText(lang, 'two_days_before_certification')!));
    expect(html).toContain(shown(cureInstructionsText(lang, 'no_signature')));
    expect(html).toContain('data-deadline="none"');
    expect(html).not.toContain(shown(translate(lang, 'status.deadline', { deadline: '' }).trim()));
    // Without a rule, nothing is said about one.
    const noRule = page(lang, [ballot({ cure: { url: CURE_URL } })]);
    expect(noRule).not.toContain('data-deadline-rule');
  });

  it.each(LANGUAGES)('%s: the county’s own wording replaces the catalog’s for its language', (lang) => {
    const html = page(lang, [
      ballot({
        countyTexts: {
          [lang]: {
            'reason.challenged.signature_mismatch': `County reason ${lang}`,
            'cure_instructions.signature_mismatch': `County steps ${lang}`,
          },
        },
      }),
    ]);
    expect(html).toContain(`County reason ${lang}`);
    expect(html).toContain(`County steps ${lang}`);
    expect(html).not.toContain(shown(reasonText(lang, 'challenged', 'signature_mismatch')));
  });

  it.each(LANGUAGES)('%s: the county’s name and phone, and the envelope line, are on the page', (lang) => {
    const html = page(lang, [ballot()]);
    expect(html).toContain('data-county-contact');
    expect(html).toContain(shown(translate(lang, 'footer.county', { name: COUNTY.name, phone: COUNTY.phone })));
    expect(html).toContain(shown(translate(lang, 'footer.envelope')));
    const form = statusPage({ lang, csrfToken: 't', values: {}, county: COUNTY });
    expect(form).toContain(shown(translate(lang, 'footer.county', { name: COUNTY.name, phone: COUNTY.phone })));
  });
});

describe('the next step for every status', () => {
  it.each(LANGUAGES)('%s: every status says what happens next', (lang) => {
    for (const status of BALLOT_STATUSES) {
      const html = page(lang, [ballot({ status, cure: undefined, reason: 'other' })]);
      const next = translate(lang, `next.${status}` as MessageKey);
      expect(next.trim(), `${lang}: ${status}`).not.toBe('');
      expect(html, `${lang}: ${status}`).toContain(shown(next));
    }
  });

  it.each(LANGUAGES)('%s: a rejection before polls close says what the voter can still do, and why', (lang) => {
    const early = page(lang, [
      ballot({ status: 'rejected', cure: undefined, reason: 'received_late', canStillVote: true }),
    ]);
    expect(early).toContain(shown(translate(lang, 'next.rejected_can_vote')));
    expect(early).toContain(shown(reasonText(lang, 'rejected', 'received_late')));
    const late = page(lang, [
      ballot({ status: 'rejected', cure: undefined, reason: 'received_late', canStillVote: false }),
    ]);
    expect(late).toContain(shown(translate(lang, 'next.rejected')));
    expect(late).not.toContain(shown(translate(lang, 'next.rejected_can_vote')));
  });
});
