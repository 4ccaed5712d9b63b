import { attrs, html, type SafeHtml } from '../html.js';
import { LANGUAGES, LANGUAGE_NAMES, translate, type Language } from '../i18n.js';

/** One line of the error summary: a link to the field when there is one, plain text otherwise. */
export interface SummaryItem {
  fieldId?: string;
  text: string;
}

/** The box at the top of a page with errors: announced (role=alert), each item links to its field. */
export function errorSummary(lang: Language, items: readonly SummaryItem[], extra?: SafeHtml): SafeHtml {
  return html`<div class="error-summary" role="alert" aria-labelledby="error-summary-title">
    <h2 id="error-summary-title">${translate(lang, 'error.summary_heading')}</h2>
    <ul>
      ${items.map((item) => html`<li>${item.fieldId ? html`<a href="#${item.fieldId}">${item.text}</a>` : item.text}</li>`)}
    </ul>
    ${extra}
  </div>`;
}

/** A success or information message, announced politely. */
export function notice(content: SafeHtml, extraAttrs: Readonly<Record<string, string>> = {}): SafeHtml {
  return html`<div class="notice" role="status" ${attrs(extraAttrs)}>${content}</div>`;
}

interface FieldBase {
  /** Both the `name` and the `id`. */
  name: string;
  label: string;
  hint?: string;
  error?: string;
  required?: boolean;
}

export interface InputSpec extends FieldBase {
  type?: 'text' | 'email' | 'tel' | 'date' | 'time';
  value?: string;
  autocomplete?: string;
  inputmode?: string;
  maxlength?: number;
  className?: string;
  spellcheck?: boolean;
}

export interface SelectSpec extends FieldBase {
  options: readonly { value: string; label: string; lang?: string }[];
  selected?: string;
}

function describedBy(spec: FieldBase): string | undefined {
  const ids = [spec.hint ? `${spec.name}-hint` : undefined, spec.error ? `${spec.name}-error` : undefined];
  const joined = ids.filter(Boolean).join(' ');
  return joined === '' ? undefined : joined;
}

function labelAndMessages(lang: Language, spec: FieldBase): SafeHtml {
  const marker = spec.required
    ? html` <span class="req">${translate(lang, 'form.required')}</span>`
    : html` <span class="opt">${translate(lang, 'form.optional')}</span>`;
  return html`<label for="${spec.name}">${spec.label}${marker}</label>
    ${spec.hint && html`<p class="hint" id="${spec.name}-hint">${spec.hint}</p>`}
    ${spec.error && html`<p class="error-message" id="${spec.name}-error"><span class="visually-hidden">${translate(lang, 'error.prefix')}</span> ${spec.error}</p>`}`;
}

function fieldClass(spec: FieldBase): string {
  return spec.error ? 'field field--error' : 'field';
}

/** A labelled control: the label (required or optional), hint and error above it. */
function labelledField(lang: Language, spec: FieldBase, control: SafeHtml): SafeHtml {
  // Prettier formats `html` templates as HTML, which would change this markup.
  // prettier-ignore
  return html`<div class="${fieldClass(spec)}">
${labelAndMessages(lang, spec)}
${control}
</div>`;
}

/** A control's attributes: its id and name, `own` in between, then required and the ARIA state. */
function controlAttrs(spec: FieldBase, own: Readonly<Record<string, string | number | boolean | undefined>>) {
  return attrs({
    id: spec.name,
    name: spec.name,
    ...own,
    required: spec.required,
    'aria-describedby': describedBy(spec),
    'aria-invalid': spec.error ? 'true' : undefined,
  });
}

export function inputField(lang: Language, spec: InputSpec): SafeHtml {
  const own = {
    type: spec.type ?? 'text',
    value: spec.value ?? '',
    class: spec.className,
    autocomplete: spec.autocomplete,
    inputmode: spec.inputmode,
    maxlength: spec.maxlength,
    spellcheck: spec.spellcheck === false ? 'false' : undefined,
  };
  // Prettier formats `html` templates as HTML and would add a closing tag to the <input>.
  // prettier-ignore
  return labelledField(lang, spec, html`<input${controlAttrs(spec, own)}>`);
}

export function selectField(lang: Language, spec: SelectSpec): SafeHtml {
  const options = spec.options.map(
    (option) =>
      html`<option${attrs({ value: option.value, lang: option.lang, selected: option.value === spec.selected })}>${option.label}</option>`,
  );
  return labelledField(lang, spec, html`<select${controlAttrs(spec, {})}>${options}</select>`);
}

/** The start and end of the quiet-hours window (times in the voter's zone). */
export function quietHoursFields(
  lang: Language,
  values: { start: string | undefined; end: string | undefined },
  errors: { start: string | undefined; end: string | undefined },
  required?: boolean,
): SafeHtml {
  const field = (name: 'quietStart' | 'quietEnd', value: string | undefined, error: string | undefined) =>
    inputField(lang, {
      name,
      type: 'time',
      label: translate(lang, name === 'quietStart' ? 'field.quietStart' : 'field.quietEnd'),
      ...(value !== undefined ? { value } : {}),
      ...(error !== undefined ? { error } : {}),
      ...(required ? { required } : {}),
    });
  // prettier-ignore
  return html`${field('quietStart', values.start, errors.start)}
  ${field('quietEnd', values.end, errors.end)}`;
}

/** The ten languages, each named in itself. */
export function languageOptions(): SelectSpec['options'] {
  return LANGUAGES.map((code) => ({ value: code, label: LANGUAGE_NAMES[code], lang: code }));
}

export interface CheckboxSpec extends FieldBase {
  checked?: boolean;
  value?: string;
  /** Extra ids for aria-describedby (e.g. the consent text). */
  describedBy?: readonly string[];
}

export function checkboxField(lang: Language, spec: CheckboxSpec): SafeHtml {
  const described = [...(spec.describedBy ?? []), ...(describedBy(spec)?.split(' ') ?? [])].join(' ');
  const marker = spec.required ? html` <span class="req">${translate(lang, 'form.required')}</span>` : html``;
  return html`<div class="${fieldClass(spec)}">
${spec.error && html`<p class="error-message" id="${spec.name}-error"><span class="visually-hidden">${translate(lang, 'error.prefix')}</span> ${spec.error}</p>`}
<div class="checkbox">
<input${attrs({
    id: spec.name,
    name: spec.name,
    type: 'checkbox',
    value: spec.value ?? 'yes',
    checked: spec.checked,
    required: spec.required,
    'aria-describedby': described === '' ? undefined : described,
    'aria-invalid': spec.error ? 'true' : undefined,
  })}>
<label for="${spec.name}">${spec.label}${marker}</label>
</div>
</div>`;
}

export function fieldset(legend: string, content: SafeHtml, hint?: { id: string; text: string }): SafeHtml {
  return html`<fieldset${attrs({ 'aria-describedby': hint?.id })}>
<legend>${legend}</legend>
${hint && html`<p class="hint" id="${hint.id}">${hint.text}</p>`}
${content}
</fieldset>`;
}

export function hidden(name: string, value: string): SafeHtml {
  return html`<input type="hidden" name="${name}" value="${value}" />`;
}

/**
 * A POST form with the CSRF token and the page language. `novalidate`: the server checks every
 * field and answers with an error summary in the page language (browser bubbles would not be).
 */
export function postForm(options: {
  action: string;
  lang: Language;
  csrfToken: string;
  hiddenFields?: Readonly<Record<string, string>>;
  content: SafeHtml;
  submit: SafeHtml;
}): SafeHtml {
  return html`<form method="post" action="${options.action}" novalidate>
    ${hidden('_csrf', options.csrfToken)} ${hidden('lang', options.lang)}
    ${Object.entries(options.hiddenFields ?? {}).map(([name, value]) => hidden(name, value))} ${options.content}
    ${options.submit}
  </form>`;
}
