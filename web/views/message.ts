import { attrs, html, type SafeHtml } from '../html.js';
import { translate, type Language, type MessageKey } from '../i18n.js';
import { layout, pageHref, type PageLink, type PageContact } from './layout.js';

export interface MessageView {
  lang: Language;
  /** Named in the page footer (layout.ts `PageContact`). */
  county?: PageContact | undefined;
  titleKey: MessageKey;
  textKeys: readonly MessageKey[];
  /** Announce the text (role=status) and mark the outcome for tests and tools. */
  outcome?: string;
  /** A link back to the start (sign-up) page, with this label. */
  startLinkKey?: MessageKey;
  link?: PageLink;
}

/** A page that only says something: error pages, the unsubscribe confirmation. */
export function messagePage(view: MessageView): string {
  const { lang } = view;
  const paragraphs: SafeHtml = html`${view.textKeys.map((key) => html`<p>${translate(lang, key)}</p>`)}`;
  const content = view.outcome
    ? html`<div class="notice" role="status" ${attrs({ 'data-outcome': view.outcome })}>${paragraphs}</div>`
    : paragraphs;
  const body = html`${content}
  ${view.startLinkKey && html`<p><a href="${pageHref({ path: '/' }, lang)}">${translate(lang, view.startLinkKey)}</a></p>`}`;
  return layout({ lang, county: view.county, title: translate(lang, view.titleKey), body, link: view.link });
}
