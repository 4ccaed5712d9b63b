/**
 * The development outbox: every SMS, call and email the sandbox fakes accepted, as JSON
 * (GET /dev/outbox.json) and as a plain page (GET /dev/outbox). Mount it only in development: it
 * shows phone numbers, addresses and message texts.
 */
import { Router } from 'express';
import type { Channel } from '../domain/notices.js';
import { CUSTOM_ARG_PREFIX, correlationFromUrl } from '../delivery/providers/index.js';
import { escapeHtml, resolveLanguage, type Language } from '../delivery/templates/index.js';
import type { RecordedEmail, RecordedTwilioMessage } from '../sandbox/index.js';

/** What the outbox reads: the fakes' recorded messages (a started Sandbox fits). */
export interface OutboxSource {
  twilio: { readonly messages: readonly RecordedTwilioMessage[] };
  sendgrid: { readonly messages: readonly RecordedEmail[] };
}

export interface OutboxEntry {
  id: string;
  channel: Channel;
  to: string;
  language: Language;
  subject?: string;
  /** SMS text, the script a call speaks, or the email's plain-text body. */
  body: string;
  /** ISO 8601. */
  at: string;
}

/** Correlation keys the sender may use for the message language. */
const LANGUAGE_KEYS = ['lang', 'language'];

function languageOf(values: Readonly<Record<string, string | undefined>>): Language | undefined {
  for (const key of LANGUAGE_KEYS) {
    const value = values[key];
    if (value) {
      const resolved = resolveLanguage(value);
      if (!resolved.fellBack) return resolved.language;
    }
  }
  return undefined;
}

function statusCallbackLanguage(message: RecordedTwilioMessage): Language | undefined {
  if (!message.statusCallback) return undefined;
  try {
    return languageOf(correlationFromUrl(message.statusCallback));
  } catch {
    return undefined;
  }
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return XML_ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

/**
 * The spoken text of a call's TwiML (each distinct <Say> once: the script is said twice) and the
 * language attribute of its first <Say>.
 */
export function voiceScript(twiml: string): { text: string; language?: string } {
  const says = [...twiml.matchAll(/<Say\b([^>]*)>([\s\S]*?)<\/Say>/g)];
  const texts = [...new Set(says.map((m) => unescapeXml(m[2] ?? '').trim()))].filter((t) => t !== '');
  const language = /\blanguage="([^"]*)"/.exec(says[0]?.[1] ?? '')?.[1];
  return { text: texts.join('\n'), ...(language ? { language: unescapeXml(language) } : {}) };
}

function iso(at: Date | string): string {
  const date = at instanceof Date ? at : new Date(at);
  return Number.isNaN(date.getTime()) ? String(at) : date.toISOString();
}

function fromTwilio(message: RecordedTwilioMessage): OutboxEntry {
  const correlated = statusCallbackLanguage(message);
  if (message.channel === 'voice') {
    const script = voiceScript(message.twiml ?? '');
    const spoken = script.language ? resolveLanguage(script.language) : undefined;
    return {
      id: message.sid,
      channel: 'voice',
      to: message.to,
      language: correlated ?? (spoken && !spoken.fellBack ? spoken.language : 'en'),
      body: script.text,
      at: iso(message.at),
    };
  }
  return {
    id: message.sid,
    channel: 'sms',
    to: message.to,
    language: correlated ?? 'en',
    body: message.body ?? '',
    at: iso(message.at),
  };
}

function fromSendGrid(email: RecordedEmail): OutboxEntry {
  const args = email.customArgs ?? {};
  const unprefixed = Object.fromEntries(
    Object.entries(args).map(([key, value]) => [
      key.startsWith(CUSTOM_ARG_PREFIX) ? key.slice(CUSTOM_ARG_PREFIX.length) : key,
      value,
    ]),
  );
  const htmlLang = /<html\b[^>]*\blang="([^"]+)"/i.exec(email.html ?? '')?.[1];
  const fromHtml = htmlLang ? resolveLanguage(htmlLang) : undefined;
  return {
    id: email.messageId,
    channel: 'email',
    to: email.to.join(', '),
    language: languageOf(unprefixed) ?? (fromHtml && !fromHtml.fellBack ? fromHtml.language : 'en'),
    subject: email.subject,
    body: email.text ?? '',
    at: iso(email.at),
  };
}

/** Every recorded message, oldest first (newest last). */
export function outboxEntries(source: OutboxSource): OutboxEntry[] {
  const entries = [...source.twilio.messages.map(fromTwilio), ...source.sendgrid.messages.map(fromSendGrid)];
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.at.localeCompare(b.entry.at) || a.index - b.index)
    .map(({ entry }) => entry);
}

const CHANNEL_NAMES: Record<OutboxEntry['channel'], string> = { sms: 'SMS', voice: 'Voice call', email: 'Email' };

/** A plain, accessible page: headings per message, the text in its own language, everything escaped. */
export function outboxPage(entries: readonly OutboxEntry[]): string {
  const items = [...entries]
    .reverse()
    .map((e) =>
      [
        '<li>',
        '<article>',
        `<h2>${escapeHtml(CHANNEL_NAMES[e.channel])} to ${escapeHtml(e.to)}</h2>`,
        '<dl>',
        `<dt>Sent</dt><dd><time datetime="${escapeHtml(e.at)}">${escapeHtml(e.at)}</time></dd>`,
        `<dt>Language</dt><dd>${escapeHtml(e.language)}</dd>`,
        `<dt>ID</dt><dd><code>${escapeHtml(e.id)}</code></dd>`,
        ...(e.subject === undefined
          ? []
          : [`<dt>Subject</dt><dd lang="${escapeHtml(e.language)}">${escapeHtml(e.subject)}</dd>`]),
        '</dl>',
        `<p class="body" lang="${escapeHtml(e.language)}">${escapeHtml(e.body)}</p>`,
        '</article>',
        '</li>',
      ].join('\n'),
    );
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Development outbox</title>',
    '<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}',
    'ol{list-style:none;padding:0}article{border-top:1px solid #767676;padding:0.5rem 0}',
    'dl{display:grid;grid-template-columns:max-content 1fr;gap:0 1rem}dt{font-weight:bold}dd{margin:0}',
    '.body{white-space:pre-wrap}</style>',
    '</head>',
    '<body>',
    '<main>',
    '<h1>Development outbox</h1>',
    `<p>${entries.length === 1 ? '1 message' : `${entries.length} messages`} recorded by the sandbox providers, newest first. ` +
      'Nothing here reached a real phone or mailbox. <a href="outbox.json">JSON</a></p>',
    entries.length === 0 ? '<p>No messages yet.</p>' : `<ol reversed>\n${items.join('\n')}\n</ol>`,
    '</main>',
    '</body>',
    '</html>',
  ].join('\n');
}

/** GET /dev/outbox.json and GET /dev/outbox; mount at the root, in development only. */
export function createDevOutboxRouter({ sandbox }: { sandbox: OutboxSource }): Router {
  const router = Router();
  router.get('/dev/outbox.json', (_req, res) => {
    res.set('Cache-Control', 'no-store').json(outboxEntries(sandbox));
  });
  router.get('/dev/outbox', (_req, res) => {
    res
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(outboxPage(outboxEntries(sandbox)));
  });
  return router;
}
