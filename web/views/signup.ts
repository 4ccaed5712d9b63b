import { DEFAULT_WINDOW } from '../../domain/quiet-hours.js';
import { html, type SafeHtml } from '../html.js';
import { translate, type Language, type MessageKey } from '../i18n.js';
import { NO_ERRORS, type FormErrors, type FormValues } from '../forms.js';
import {
  checkboxField,
  errorSummary,
  fieldset,
  inputField,
  languageOptions,
  postForm,
  quietHoursFields,
  selectField,
} from './components.js';
import { layout, type PageContact } from './layout.js';

/** The identity fields shared by sign-up and status lookup. */
export function identityFields(lang: Language, values: FormValues, errors: FormErrors): SafeHtml {
  const t = (key: MessageKey) => translate(lang, key);
  const e = errors.byField;
  return html`${inputField(lang, {
    name: 'firstName',
    label: t('field.firstName'),
    hint: t('field.name.hint'),
    value: values.firstName,
    error: e.firstName,
    required: true,
    autocomplete: 'given-name',
    spellcheck: false,
    maxlength: 100,
  })}
  ${inputField(lang, {
    name: 'lastName',
    label: t('field.lastName'),
    hint: t('field.name.hint'),
    value: values.lastName,
    error: e.lastName,
    required: true,
    autocomplete: 'family-name',
    spellcheck: false,
    maxlength: 100,
  })}
  ${inputField(lang, {
    name: 'dateOfBirth',
    type: 'date',
    label: t('field.dateOfBirth'),
    hint: t('field.dateOfBirth.hint'),
    value: values.dateOfBirth,
    error: e.dateOfBirth,
    required: true,
    autocomplete: 'bday',
  })}
  ${inputField(lang, {
    name: 'zip',
    label: t('field.zip'),
    hint: t('field.zip.hint'),
    value: values.zip,
    error: e.zip,
    required: true,
    autocomplete: 'postal-code',
    inputmode: 'numeric',
    maxlength: 10,
  })}
  ${inputField(lang, {
    name: 'voterId',
    label: t('field.voterId'),
    hint: t('field.voterId.hint'),
    value: values.voterId,
    error: e.voterId,
    spellcheck: false,
    maxlength: 64,
  })}`;
}

/** The no-match explanation: which field failed is never said; advice on what usually goes wrong. */
export function noMatchAdvice(lang: Language): SafeHtml {
  return html`<p>${translate(lang, 'lookup.no_match')}</p>
    <ul>
      <li>${translate(lang, 'lookup.no_match_name')}</li>
      <li>${translate(lang, 'lookup.no_match_details')}</li>
      <li>${translate(lang, 'lookup.no_match_contact')}</li>
    </ul>`;
}

/**
 * The body of a page that looks the voter up (sign-up, status): the error summary (with the
 * no-match advice), the intro, and the form.
 */
export function lookupFormBody(
  view: { lang: Language; csrfToken: string; errors?: FormErrors | undefined; noMatch?: boolean | undefined },
  form: { action: string; intro: string; content: SafeHtml; submit: string },
): { body: SafeHtml; hasErrors: boolean } {
  const { lang } = view;
  const errors = view.errors ?? NO_ERRORS;
  const hasErrors = errors.summary.length > 0 || view.noMatch === true;
  const body = html`${hasErrors && errorSummary(lang, errors.summary, view.noMatch ? noMatchAdvice(lang) : undefined)}
    <p>${form.intro}</p>
    ${postForm({
      action: form.action,
      lang,
      csrfToken: view.csrfToken,
      content: form.content,
      submit: html`<button type="submit">${form.submit}</button>`,
    })}`;
  return { body, hasErrors };
}

export interface SignUpView {
  lang: Language;
  /** Named in the page footer (layout.ts `PageContact`). */
  county?: PageContact | undefined;
  csrfToken: string;
  values: FormValues;
  errors?: FormErrors;
  noMatch?: boolean;
  consentVersion: string;
}

export function signUpPage(view: SignUpView): string {
  const { lang, values } = view;
  const errors = view.errors ?? NO_ERRORS;
  const e = errors.byField;
  const t = (key: MessageKey) => translate(lang, key);
  const contacts = html`${inputField(lang, {
    name: 'email',
    type: 'email',
    label: t('field.email'),
    value: values.email,
    error: e.email,
    autocomplete: 'email',
    inputmode: 'email',
    spellcheck: false,
    maxlength: 254,
  })}
  ${inputField(lang, {
    name: 'sms',
    type: 'tel',
    label: t('field.sms'),
    hint: t('field.phone.hint'),
    value: values.sms,
    error: e.sms,
    autocomplete: 'tel',
    inputmode: 'tel',
    maxlength: 40,
  })}
  ${inputField(lang, {
    name: 'voice',
    type: 'tel',
    label: t('field.voice'),
    hint: t('field.phone.hint'),
    value: values.voice,
    error: e.voice,
    autocomplete: 'tel',
    inputmode: 'tel',
    maxlength: 40,
  })}
  ${selectField(lang, {
    name: 'language',
    label: t('field.language'),
    options: languageOptions(),
    selected: values.language || lang,
    error: e.language,
    required: true,
  })}`;
  const quiet = quietHoursFields(
    lang,
    { start: values.quietStart || DEFAULT_WINDOW.start, end: values.quietEnd || DEFAULT_WINDOW.end },
    { start: e.quietStart, end: e.quietEnd },
  );
  const consent = html`<p class="consent-text" id="consent-text">${t('consent.text')}</p>
    <p class="consent-version" id="consent-version">
      ${translate(lang, 'consent.version', { version: view.consentVersion })}
    </p>
    ${checkboxField(lang, {
      name: 'consent',
      label: t('field.consent'),
      checked: values.consent !== undefined && values.consent !== '',
      error: e.consent,
      required: true,
      describedBy: ['consent-text', 'consent-version'],
    })}`;
  const { body, hasErrors } = lookupFormBody(view, {
    action: '/',
    intro: t('signup.intro'),
    content: html`${fieldset(t('signup.who_legend'), identityFields(lang, values, errors))}
    ${fieldset(t('signup.contacts_legend'), contacts, { id: 'contacts-hint', text: t('signup.contacts_hint') })}
    ${fieldset(t('signup.quiet_legend'), quiet, { id: 'quiet-hint', text: t('signup.quiet_hint') })}
    ${fieldset(t('signup.consent_legend'), consent)}`,
    submit: t('signup.submit'),
  });
  return layout({ lang, county: view.county, title: t('signup.title'), hasErrors, body });
}
