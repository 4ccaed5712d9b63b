import type { BallotTimeline } from '../../voters/contract.js';
import { BALLOT_STATUSES } from '../../domain/ballot-status.js';
import { cureInstructionsText, cureRuleText, reasonText } from '../../delivery/templates/index.js';
import { html, type SafeHtml } from '../html.js';
import { formatDateTime, translate, type Language, type MessageKey } from '../i18n.js';
import { NO_ERRORS, type FormErrors, type FormValues } from '../forms.js';
import { pageHref, layout, type PageContact } from './layout.js';
import { identityFields, lookupFormBody } from './signup.js';

export function statusName(lang: Language, status: string): string {
  const known = (BALLOT_STATUSES as readonly string[]).includes(status);
  return translate(lang, (known ? `ballot.${status}` : 'ballot.unknown') as MessageKey);
}

/** What the voter can expect or do next, for every status (a rejection before polls close: they can still vote). */
function nextStep(lang: Language, ballot: BallotTimeline): string {
  if (ballot.status === 'rejected' && ballot.canStillVote) return translate(lang, 'next.rejected_can_vote');
  const known = (BALLOT_STATUSES as readonly string[]).includes(ballot.status);
  return known ? translate(lang, `next.${ballot.status}` as MessageKey) : '';
}

/**
 * A challenged ballot: why (the reason's words from the message catalogs, or the county's own),
 * what to do (the cure instructions for the reason), the form, the deadline while it is ahead (else
 * "as soon as possible" and the county's rule), and whom to call.
 */
function cureAction(lang: Language, ballot: BallotTimeline): SafeHtml {
  const cure = ballot.cure!;
  const overrides = ballot.countyTexts?.[lang];
  const reason = ballot.reason ?? 'other';
  const rule = cure.deadline ? undefined : cureRuleText(lang, cure.deadlineRule, overrides);
  return html`<section class="action" data-action="cure" aria-labelledby="action-${ballot.ballotId}">
    <h3 id="action-${ballot.ballotId}">${translate(lang, 'status.action_heading')}</h3>
    <p data-reason="${reason}">${reasonText(lang, 'challenged', reason, overrides)}</p>
    <p>${cureInstructionsText(lang, reason, overrides)}</p>
    <p><a class="button" href="${cure.url}" data-cure-link>${translate(lang, 'status.cure_link')}</a></p>
    ${
      cure.deadline
        ? html`<p data-deadline="${cure.deadline}">
            <strong
              >${translate(lang, 'status.deadline', { deadline: formatDateTime(lang, cure.deadline, ballot.timezone) })}</strong
            >
          </p>`
        : html`<p data-deadline="none"><strong>${translate(lang, 'status.asap')}</strong></p>
            ${rule && html`<p data-deadline-rule>${rule}</p>`}`
    }
    ${
      ballot.county &&
      html`<p data-county-phone>
        ${translate(lang, 'status.call', { name: ballot.county.name, phone: ballot.county.phone })}
      </p>`
    }
  </section>`;
}

function ballotTimeline(lang: Language, ballot: BallotTimeline): SafeHtml {
  const zone = ballot.timezone;
  const next = nextStep(lang, ballot);
  return html`<section class="ballot" data-ballot="${ballot.ballotId}" data-status="${ballot.status}">
    <h2>${ballot.electionName}</h2>
    <p>${translate(lang, 'status.current', { status: statusName(lang, ballot.status) })}</p>
    ${ballot.status === 'challenged' && ballot.cure && cureAction(lang, ballot)}
    ${
      ballot.status === 'rejected' &&
      html`<p data-reason="${ballot.reason ?? 'other'}">
        ${reasonText(lang, 'rejected', ballot.reason ?? 'other', ballot.countyTexts?.[lang])}
      </p>`
    }
    ${
      next &&
      html`<h3>${translate(lang, 'status.next_heading')}</h3>
        <p data-next-step>${next}</p>`
    }
    <h3>${translate(lang, 'status.history')}</h3>
    <ol class="timeline">
      ${ballot.events.map(
        (event) =>
          html`<li data-status="${event.status}">
            <span class="status">${statusName(lang, event.status)}</span>
            <time datetime="${event.at}">${formatDateTime(lang, event.at, zone)}</time>
          </li>`,
      )}
    </ol>
  </section>`;
}

export interface StatusView {
  lang: Language;
  /** Named in the page footer (layout.ts `PageContact`). */
  county?: PageContact | undefined;
  csrfToken: string;
  values: FormValues;
  errors?: FormErrors;
  noMatch?: boolean;
  ballots?: readonly BallotTimeline[];
}

export function statusPage(view: StatusView): string {
  const { lang } = view;
  const t = (key: MessageKey) => translate(lang, key);
  if (view.ballots) {
    const body = html`${
        view.ballots.length === 0
          ? html`<p data-outcome="no_ballot">${t('status.none')}</p>`
          : view.ballots.map((ballot) => ballotTimeline(lang, ballot))
      }
      <p><a href="${pageHref({ path: '/status' }, lang)}">${t('status.again')}</a></p>`;
    // The footer names the county of the voter's latest ballot, whom they would call about it.
    const county = view.ballots.find((ballot) => ballot.county)?.county ?? view.county;
    return layout({ lang, county, title: t('status.results_title'), body, link: { path: '/status' } });
  }
  const { body, hasErrors } = lookupFormBody(view, {
    action: '/status',
    intro: t('status.intro'),
    content: identityFields(lang, view.values, view.errors ?? NO_ERRORS),
    submit: t('status.submit'),
  });
  return layout({ lang, county: view.county, title: t('status.title'), hasErrors, body, link: { path: '/status' } });
}
