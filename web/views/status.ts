import type { BallotTimeline } from '../../voters/contract.js';
import { BALLOT_STATUSES } from '../../domain/ballot-status.js';
import { html, type SafeHtml } from '../html.js';
import { formatDateTime, translate, type Language, type MessageKey } from '../i18n.js';
import { NO_ERRORS, type FormErrors, type FormValues } from '../forms.js';
import { pageHref, layout } from './layout.js';
import { identityFields, lookupFormBody } from './signup.js';

export function statusName(lang: Language, status: string): string {
  const known = (BALLOT_STATUSES as readonly string[]).includes(status);
  return translate(lang, (known ? `ballot.${status}` : 'ballot.unknown') as MessageKey);
}

function ballotTimeline(lang: Language, ballot: BallotTimeline): SafeHtml {
  const zone = ballot.timezone;
  return html`<section class="ballot" data-ballot="${ballot.ballotId}">
    <h2>${ballot.electionName}</h2>
    <p>${translate(lang, 'status.current', { status: statusName(lang, ballot.status) })}</p>
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
    return layout({ lang, title: t('status.results_title'), body, link: { path: '/status' } });
  }
  const { body, hasErrors } = lookupFormBody(view, {
    action: '/status',
    intro: t('status.intro'),
    content: identityFields(lang, view.values, view.errors ?? NO_ERRORS),
    submit: t('status.submit'),
  });
  return layout({ lang, title: t('status.title'), hasErrors, body, link: { path: '/status' } });
}
