import type { Channel } from '../../domain/notices.js';
import { html } from '../html.js';
import { translate, type Language, type MessageKey } from '../i18n.js';
import { NO_ERRORS, verifyCodeField, type FormErrors, type FormValues } from '../forms.js';
import { errorSummary, hidden, inputField, notice, postForm } from './components.js';
import { layout, type PageContact } from './layout.js';

export interface VerifyView {
  lang: Language;
  /** Named in the page footer (layout.ts `PageContact`). */
  county?: PageContact | undefined;
  csrfToken: string;
  subscriptionId: string;
  /** Channels still waiting for a code; empty means there is nothing left to confirm. */
  pending: readonly Channel[];
  values?: FormValues;
  errors?: FormErrors;
  /** Channels confirmed by the form just sent (the others are still pending). */
  confirmed?: readonly Channel[];
  resent?: boolean;
}

export function verifyPage(view: VerifyView): string {
  const { lang } = view;
  const t = (key: MessageKey) => translate(lang, key);
  const errors = view.errors ?? NO_ERRORS;
  const hasErrors = errors.summary.length > 0;
  const link = { path: '/verify', params: { subscription: view.subscriptionId } };
  if (view.pending.length === 0) {
    const body = notice(html`<p>${t('verify.nothing_pending')}</p>`);
    return layout({ lang, county: view.county, title: t('verify.title'), body, link });
  }
  const confirmed = view.confirmed ?? [];
  const status =
    confirmed.length > 0 || view.resent
      ? notice(
          html`${confirmed.length > 0 && html`<p>${translate(lang, 'verify.confirmed', { channels: confirmed.map((c) => translate(lang, `channel.${c}`)).join(', ') })}</p>`}
          ${view.resent && html`<p>${t('verify.resent')}</p>`}`,
        )
      : undefined;
  const codes = view.pending.map((channel) => {
    const name = verifyCodeField(channel);
    return inputField(lang, {
      name,
      label: translate(lang, `field.${name}` as MessageKey),
      hint: t('verify.code_hint'),
      value: view.values?.[name],
      error: errors.byField[name],
      required: true,
      autocomplete: 'one-time-code',
      inputmode: 'numeric',
      maxlength: 10,
      className: 'code',
    });
  });
  const resend = view.pending.map(
    (channel) =>
      html`<form method="post" action="/verify/resend" novalidate>
        ${hidden('_csrf', view.csrfToken)} ${hidden('lang', lang)} ${hidden('subscription', view.subscriptionId)}
        ${hidden('channel', channel)}
        <p><button type="submit" class="secondary">${translate(lang, `verify.resend_${channel}`)}</button></p>
      </form>`,
  );
  const body = html`${hasErrors && errorSummary(lang, errors.summary)} ${status}
    <p>${t('verify.intro')}</p>
    ${postForm({
      action: '/verify',
      lang,
      csrfToken: view.csrfToken,
      hiddenFields: { subscription: view.subscriptionId },
      content: html`${codes}`,
      submit: html`<button type="submit">${t('verify.submit')}</button>`,
    })}
    <section class="section" aria-labelledby="resend-heading">
      <h2 id="resend-heading">${t('verify.resend_heading')}</h2>
      <p>${t('verify.resend_intro')}</p>
      ${resend}
    </section>`;
  return layout({ lang, county: view.county, title: t('verify.title'), hasErrors, body, link });
}
