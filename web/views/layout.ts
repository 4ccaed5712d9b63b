import { SITE_CSS_PATH, SITE_CSS_VERSION } from '../assets.js';
import { html, type SafeHtml } from '../html.js';
import { LANGUAGES, LANGUAGE_NAMES, translate, type Language } from '../i18n.js';

/** Where the language switcher points: the same page with its (non-personal) query parameters. */
export interface PageLink {
  path: string;
  params?: Readonly<Record<string, string>>;
}

export function pageHref(link: PageLink, lang: Language): string {
  const query = new URLSearchParams({ ...link.params, lang });
  return `${link.path}?${query.toString()}`;
}

/** Whom a voter contacts: the ballot's county on its status page, else the deployment's default county. */
export interface PageContact {
  name: string;
  phone: string;
  url: string;
}

export interface PageOptions {
  lang: Language;
  /** Named in the footer of every page; omitted when the deployment has no default county. */
  county?: PageContact | undefined;
  /** The h1 text; also the page title (prefixed "Error:" when the page shows errors). */
  title: string;
  hasErrors?: boolean;
  /** Where each language link goes; the sign-up page when omitted. */
  link?: PageLink;
  body: SafeHtml;
}

function languageSwitcher(lang: Language, link: PageLink): SafeHtml {
  const t = (key: Parameters<typeof translate>[1]) => translate(lang, key);
  return html`<nav class="languages" aria-label="${t('nav.languages')}">
    <ul>
      ${LANGUAGES.map(
        (code) =>
          html`<li>
            <a
              href="${pageHref(link, code)}"
              lang="${code}"
              hreflang="${code}"
              ${code === lang ? html` aria-current="true"` : ''}
              >${LANGUAGE_NAMES[code]}</a
            >
          </li>`,
      )}
    </ul>
  </nav>`;
}

/** A whole page: one h1, skip link, header/main/footer landmarks, language switcher. */
export function layout(options: PageOptions): string {
  const { lang, title } = options;
  const t = (key: Parameters<typeof translate>[1]) => translate(lang, key);
  const link = options.link ?? { path: '/' };
  const documentTitle = `${options.hasErrors ? translate(lang, 'error.title', { title }) : title} – ${t('site.name')}`;
  return `<!doctype html>\n${
    html`<html lang="${lang}" dir="ltr">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${documentTitle}</title>
        <link rel="stylesheet" href="${SITE_CSS_PATH}?v=${SITE_CSS_VERSION}" />
      </head>
      <body>
        <a class="skip-link" href="#main">${t('nav.skip')}</a>
        <header class="site-header">
          <p class="site-name"><a href="${pageHref({ path: '/' }, lang)}">${t('site.name')}</a></p>
          <p class="site-tagline">${t('site.tagline')}</p>
          <nav class="site-nav" aria-label="${t('nav.main')}">
            <ul>
              <li><a href="${pageHref({ path: '/' }, lang)}">${t('nav.signup')}</a></li>
              <li><a href="${pageHref({ path: '/status' }, lang)}">${t('nav.status')}</a></li>
            </ul>
          </nav>
          ${languageSwitcher(lang, link)}
        </header>
        <main id="main" tabindex="-1">
          <h1>${title}</h1>
          ${options.body}
        </main>
        <footer class="site-footer">
          ${
            options.county &&
            html`<p class="county-contact" data-county-contact>
              ${translate(lang, 'footer.county', { name: options.county.name, phone: options.county.phone })}
              <a href="${options.county.url}">${options.county.url.replace(/^https?:\/\//, '')}</a>
            </p>`
          }
          <p>${t('footer.envelope')}</p>
          <p>${t('footer.privacy')}</p>
        </footer>
      </body>
    </html>`.value
  }\n`;
}
