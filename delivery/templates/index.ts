/**
 * Voter-facing notice texts: SMS, email (subject, HTML, plain text) and voice scripts in the ten
 * notice languages.
 *
 * - ./spec.ts: every message key, its variables and channels (pure data);
 * - ./i18n.ts: the catalogs `messages/<lang>.json`, loaded into i18next;
 * - ./select.ts: which version goes out (language fallback, SMS alternative);
 * - ./render.ts: the renderers, one per channel;
 * - ./languages.ts, ./dates.ts, ./sms-segments.ts: languages, date formats, SMS segment counting.
 *
 * Which message a ballot status gets is the workflow's decision (domain/notices.ts `messageKeyFor`).
 */
export * from './spec.js';
export { CATALOGS, cureInstructionsText, cureRuleText, hasText, reasonText, type Catalog } from './i18n.js';
export {
  escapeHtml,
  renderEmail,
  renderSms,
  renderSmsAlternatives,
  renderVoice,
  type RenderedEmail,
  type RenderedSms,
  type RenderedVoice,
} from './render.js';
export { LANGUAGES, DEFAULT_LANGUAGE, INTL_LOCALE, isLanguage, resolveLanguage } from './languages.js';
export type { Language, ResolvedLanguage } from './languages.js';
export { smsSegments, MAX_SMS_SEGMENTS, SMS_LIMITS } from './sms-segments.js';
export type { SmsEncoding, SmsSegments } from './sms-segments.js';
export type { CalendarDate, Instant } from './dates.js';
export { requiredPaths } from './select.js';
export type { SmsOptions } from './render.js';
