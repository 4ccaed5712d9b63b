import type { Channel } from '../../domain/notices.js';
import { CONTACT_CHANNELS, type ContactView, type PreferencesView } from '../../voters/contract.js';
import { html, type SafeHtml } from '../html.js';
import { timeZoneLabel, translate, type Language, type MessageKey } from '../i18n.js';
import { NO_ERRORS, type FormErrors, type FormValues } from '../forms.js';
import {
  checkboxField,
  errorSummary,
  fieldset,
  hidden,
  inputField,
  quietHoursFields,
  languageOptions,
  notice,
  postForm,
  selectField,
} from './components.js';
import { layout, pageHref, type PageContact } from './layout.js';

/** The US zones offered; the voter's current zone is added when it is not one of them. */
export const TIMEZONES = [
  'America/Los_Angeles',
  'America/Denver',
  'America/Phoenix',
  'America/Chicago',
  'America/New_York',
  'America/Anchorage',
  'Pacific/Honolulu',
  'America/Puerto_Rico',
  'Pacific/Guam',
] as const;

export interface ManageView {
  lang: Language;
  /** Named in the page footer (layout.ts `PageContact`). */
  county?: PageContact | undefined;
  csrfToken: string;
  token: string;
  preferences: PreferencesView;
  values?: FormValues;
  errors?: FormErrors;
  /** Arrived from /verify with every contact confirmed. */
  verified?: boolean;
  saved?: boolean;
  /** Channels that got a code after this save. */
  pendingVerification?: readonly Channel[];
}

function contactState(lang: Language, contact: ContactView): string {
  if (contact.optedOut) return translate(lang, 'manage.state_opted_out');
  if (contact.pendingVerification || !contact.verified) return translate(lang, 'manage.state_pending');
  return translate(lang, 'manage.state_verified');
}

const LABEL_KEYS: Readonly<Record<Channel, MessageKey>> = {
  email: 'field.email',
  sms: 'field.sms',
  voice: 'field.voice',
};

function contactFields(lang: Language, view: ManageView, errors: FormErrors): SafeHtml {
  return html`${CONTACT_CHANNELS.map((channel) => {
    const current = view.preferences.contacts.find((c) => c.channel === channel);
    const hint = current
      ? translate(lang, 'manage.current', { address: current.address, state: contactState(lang, current) })
      : translate(lang, 'manage.none');
    const field = inputField(lang, {
      name: channel,
      type: channel === 'email' ? 'email' : 'tel',
      label: translate(lang, LABEL_KEYS[channel]),
      hint,
      value: view.values?.[channel],
      error: errors.byField[channel],
      autocomplete: channel === 'email' ? 'email' : 'tel',
      inputmode: channel === 'email' ? 'email' : 'tel',
      maxlength: channel === 'email' ? 254 : 40,
    });
    const remove =
      current &&
      checkboxField(lang, {
        name: `remove_${channel}`,
        label: `${translate(lang, 'manage.remove')} (${translate(lang, `channel.${channel}`)})`,
      });
    return html`${field}${remove}`;
  })}`;
}

export function managePage(view: ManageView): string {
  const { lang, preferences } = view;
  const t = (key: MessageKey) => translate(lang, key);
  const errors = view.errors ?? NO_ERRORS;
  const hasErrors = errors.summary.length > 0;
  const link = { path: '/manage', params: { token: view.token } };
  if (preferences.status === 'unsubscribed') {
    const body = html`${notice(html`<p>${t('manage.inactive')}</p>`, { 'data-outcome': 'unsubscribed' })}
      <p><a href="${pageHref({ path: '/' }, lang)}">${t('unsubscribed.again')}</a></p>`;
    return layout({ lang, county: preferences.county ?? view.county, title: t('manage.title'), body, link });
  }
  const values: FormValues = {
    language: preferences.language,
    quietStart: preferences.quietHours.start,
    quietEnd: preferences.quietHours.end,
    timezone: preferences.timezone,
    ...view.values,
  };
  const zones: string[] = [...TIMEZONES];
  if (values.timezone && !zones.includes(values.timezone)) zones.unshift(values.timezone);
  const pending = view.pendingVerification ?? [];
  const messages: SafeHtml[] = [];
  if (view.verified) messages.push(html`<p>${t('manage.verified')}</p>`);
  if (view.saved) messages.push(html`<p>${t('manage.saved')}</p>`);
  if (pending.length > 0) {
    const verifyHref = pageHref({ path: '/verify', params: { subscription: preferences.subscriptionId } }, lang);
    messages.push(html`<p>${t('manage.pending')} <a href="${verifyHref}">${t('manage.pending_link')}</a></p>`);
  }
  const outcome = view.verified ? 'verified' : view.saved ? 'saved' : undefined;
  const settings = html`${selectField(lang, {
    name: 'language',
    label: t('field.language'),
    // The languages the voter's county offers (and the voter's own, should the county have dropped it).
    options: languageOptions().filter(
      (option) =>
        !preferences.languages ||
        preferences.languages.includes(option.value as Language) ||
        option.value === preferences.language,
    ),
    selected: values.language,
    error: errors.byField.language,
    required: true,
  })}
  ${selectField(lang, {
    name: 'timezone',
    label: t('field.timezone'),
    options: zones.map((zone) => ({ value: zone, label: timeZoneLabel(lang, zone) })),
    selected: values.timezone,
    error: errors.byField.timezone,
    required: true,
  })}`;
  const quiet = quietHoursFields(
    lang,
    { start: values.quietStart, end: values.quietEnd },
    { start: errors.byField.quietStart, end: errors.byField.quietEnd },
    true,
  );
  const body = html`${hasErrors && errorSummary(lang, errors.summary)}
    ${messages.length > 0 && notice(html`${messages}`, outcome ? { 'data-outcome': outcome } : {})}
    ${postForm({
      action: '/manage',
      lang,
      csrfToken: view.csrfToken,
      hiddenFields: { token: view.token },
      content: html`${fieldset(t('manage.settings_legend'), settings)}
      ${fieldset(t('signup.quiet_legend'), quiet, { id: 'quiet-hint', text: t('signup.quiet_hint') })}
      ${fieldset(t('manage.contacts_legend'), contactFields(lang, view, errors), { id: 'contacts-hint', text: t('manage.contacts_hint') })}`,
      submit: html`<button type="submit">${t('manage.submit')}</button>`,
    })}
    <section class="section" aria-labelledby="unsubscribe-heading">
      <h2 id="unsubscribe-heading">${t('manage.unsubscribe_heading')}</h2>
      <p>${t('manage.unsubscribe_text')}</p>
      <form method="post" action="/manage/unsubscribe" novalidate>
        ${hidden('_csrf', view.csrfToken)} ${hidden('lang', lang)} ${hidden('token', view.token)}
        <button type="submit" class="warning" name="unsubscribe" value="yes">${t('manage.unsubscribe')}</button>
      </form>
    </section>`;
  return layout({ lang, county: preferences.county ?? view.county, title: t('manage.title'), hasErrors, body, link });
}
