/**
 * A tiny HTML templating helper: `html\`...\`` escapes every interpolated value unless it is already
 * `SafeHtml` (the result of another `html` call). Catalog words, voter input and database values
 * are all plain text, so nothing reaches a page unescaped by accident.
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** Markup that is already escaped. Only `html`, `attrs` and `joinHtml` make one. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** What a template accepts: `false`, `null` and `undefined` render nothing (for `cond && html\`\``). */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((v: HtmlValue) => render(v)).join('');
  if (value === null || value === undefined || value === false || value === true) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/**
 * Attributes from an object: `true` writes a boolean attribute, `false`/`undefined` leaves it out,
 * anything else is written escaped. Names come from code, never from input.
 */
export function attrs(values: Readonly<Record<string, string | number | boolean | undefined>>): SafeHtml {
  let out = '';
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === false) continue;
    out += value === true ? ` ${name}` : ` ${name}="${escapeHtml(String(value))}"`;
  }
  return new SafeHtml(out);
}
