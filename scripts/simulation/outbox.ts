/**
 * Reading the development outbox as a voter's phone or mailbox would: which message is it (a
 * verification code, a "contact added" alert, the notice of which ballot status, a reminder) and in
 * which language, recognised from the message catalogs themselves (every catalog text becomes a
 * pattern, its placeholders wildcards), so a wrong language or a wrong message shows as such.
 */
import type { OutboxEntry } from '../../api/dev-outbox.js';
import { CATALOGS } from '../../delivery/templates/i18n.js';
import { LANGUAGES, type Language } from '../../delivery/templates/languages.js';
import { voiceFor } from '../../delivery/providers/voices.js';
import { SHARED_TEXTS } from '../../delivery/templates/spec.js';
import type { BallotStatus } from '../../domain/ballot-status.js';
import type { Channel } from '../../domain/notices.js';

export type { OutboxEntry };

export type MessageKind = 'notice' | 'reminder' | 'code' | 'alert' | 'opt_in' | 'other';

export interface Recognised {
  kind: MessageKind;
  /** Catalog key without the channel: `status.accepted.will_be_counted`, `verification_code`, ... */
  key: string;
  /** The ballot status a notice tells (`notice` only). */
  status?: BallotStatus;
  /** Languages whose catalog text matches (almost always one). */
  languages: Language[];
}

interface Pattern {
  channel: Channel;
  key: string;
  kind: MessageKind;
  status?: BallotStatus;
  language: Language;
  regex: RegExp;
  /** Characters outside placeholders: the more, the more specific. */
  literal: number;
}

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function patternOf(template: string): { regex: RegExp; literal: number } {
  const parts = squash(template).split(/(\{\{\s*\w+\s*\}\})/);
  let source = '';
  let literal = 0;
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      source += '([\\s\\S]*?)';
      return;
    }
    // A value ending in a period before a template period gives one period (render.ts).
    const text = i > 0 && part.startsWith('.') ? part.slice(1) : part;
    // An empty value leaves its two surrounding spaces as one (squash): spaces match loosely.
    source += (i > 0 && part.startsWith('.') ? '\\.?' : '') + escapeRegex(text).replace(/ /g, ' ?');
    literal += part.length;
  });
  return { regex: new RegExp(`^${source}$`), literal };
}

function kindOf(key: string): { kind: MessageKind; status?: BallotStatus } {
  if (key.startsWith('status.')) return { kind: 'notice', status: key.split('.')[1] as BallotStatus };
  if (key.startsWith('reminder.')) return { kind: 'reminder' };
  if (key.startsWith('verification_code')) return { kind: 'code' };
  if (key.startsWith('contact_added')) return { kind: 'alert' };
  if (key.startsWith('sms_opt_in')) return { kind: 'opt_in' };
  return { kind: 'other' };
}

function collect(
  node: unknown,
  path: string[],
  language: Language,
  out: Pattern[],
  channelAt: (path: string[]) => { channel: Channel; key: string } | undefined,
): void {
  if (typeof node === 'string' || (Array.isArray(node) && node.every((v) => typeof v === 'string'))) {
    const found = channelAt(path);
    if (!found) return;
    for (const text of typeof node === 'string' ? [node] : node) {
      out.push({ ...found, ...kindOf(found.key), language, ...patternOf(text) });
    }
    return;
  }
  if (node && typeof node === 'object') {
    for (const [name, child] of Object.entries(node)) collect(child, [...path, name], language, out, channelAt);
  }
}

/** The channel a catalog leaf is sent on, and its message key: `.sms`, `.voice`, `.email.subject`. */
function channelAt(path: string[]): { channel: Channel; key: string } | undefined {
  const last = path.at(-1);
  if (last === 'sms' || last === 'voice') return { channel: last, key: path.slice(0, -1).join('.') };
  if (last === 'subject' && path.at(-2) === 'email') return { channel: 'email', key: path.slice(0, -2).join('.') };
  return undefined;
}

function catalogString(language: Language, path: string): string {
  const found = path
    .split('.')
    .reduce<unknown>((node, name) => (node as Record<string, unknown>)?.[name], CATALOGS[language]);
  return typeof found === 'string' ? found : '';
}

/**
 * What a ballot notice's SMS may carry besides its catalog text (render.ts): the voter's initial
 * after the county name and the opt-out hint at the end. Returns the text with either, both or
 * neither taken off, so the catalog patterns match it.
 */
function smsWithoutExtras(): (text: string) => string[] {
  const hints = [...new Set(LANGUAGES.map((l) => squash(catalogString(l, SHARED_TEXTS.smsOptOutHint))))].filter(
    Boolean,
  );
  const tags = [...new Set(LANGUAGES.map((l) => catalogString(l, SHARED_TEXTS.smsVoterTag)))].filter(Boolean).map(
    (tag) =>
      new RegExp(
        squash(tag)
          .split(/\{\{\s*\w+\s*\}\}/)
          .map(escapeRegex)
          .join('[^\\s]{1,3}'),
      ),
  );
  return (text) => {
    const withoutHint = hints.filter((h) => text.endsWith(` ${h}`)).map((h) => text.slice(0, -h.length - 1));
    const bases = [text, ...withoutHint];
    return [...bases, ...bases.flatMap((base) => tags.filter((t) => t.test(base)).map((t) => base.replace(t, '')))];
  };
}

/** Recognises outbox entries; one instance caches what it has seen. */
export function createRecogniser() {
  const smsTexts = smsWithoutExtras();
  const patterns: Pattern[] = [];
  for (const language of LANGUAGES) collect(CATALOGS[language], [], language, patterns, channelAt);
  const byChannel = new Map<Channel, Pattern[]>();
  for (const pattern of patterns) byChannel.set(pattern.channel, [...(byChannel.get(pattern.channel) ?? []), pattern]);
  const cache = new Map<string, Recognised | undefined>();

  return (entry: Pick<OutboxEntry, 'channel' | 'body' | 'subject'>): Recognised | undefined => {
    const texts =
      entry.channel === 'email'
        ? [squash(entry.subject ?? '')]
        : entry.channel === 'voice'
          ? entry.body.split('\n').map(squash)
          : smsTexts(squash(entry.body));
    const cacheKey = `${entry.channel}\u0000${texts.join('\u0000')}`;
    if (cache.has(cacheKey)) return cache.get(cacheKey);
    const matches = (byChannel.get(entry.channel) ?? []).filter((p) => texts.some((text) => p.regex.test(text)));
    let result: Recognised | undefined;
    if (matches.length > 0) {
      const best = matches.reduce((a, b) => (b.literal > a.literal ? b : a));
      result = {
        kind: best.kind,
        key: best.key,
        ...(best.status ? { status: best.status } : {}),
        languages: [...new Set(matches.filter((m) => m.key === best.key).map((m) => m.language))],
      };
    }
    cache.set(cacheKey, result);
    return result;
  };
}

/** The language a channel is spoken or written in for a voter of `language` (Khmer calls are in English). */
export function languageOnChannel(channel: Channel, language: Language): Language {
  return channel === 'voice' && voiceFor(language).fellBack ? 'en' : language;
}

/** The six-digit code of a verification message (a call reads the digits one by one). */
export function codeOf(entry: Pick<OutboxEntry, 'channel' | 'body'>): string | undefined {
  if (entry.channel === 'voice') {
    const spoken = /\d(?:\s*[,、，]\s*\d){5}/.exec(entry.body)?.[0];
    return spoken?.replace(/\D/g, '');
  }
  return /(?<!\d)(\d{6})(?!\d)/.exec(entry.body)?.[1];
}

/** Reads /dev/outbox.json, sharing one request among callers that need a fresh copy. */
export class OutboxReader {
  private latest: { startedAt: number; entries: Promise<OutboxEntry[]> } | undefined;

  constructor(private readonly url: string) {}

  /** The outbox as read by a request that started at `since` or later. */
  async read(since = Date.now()): Promise<OutboxEntry[]> {
    if (!this.latest || this.latest.startedAt < since) {
      const startedAt = Date.now();
      const entries = fetch(this.url, { headers: { accept: 'application/json' } }).then(async (response) => {
        if (!response.ok) throw new Error(`GET ${this.url}: ${response.status} ${await response.text()}`);
        return (await response.json()) as OutboxEntry[];
      });
      this.latest = { startedAt, entries };
      entries.catch(() => {
        if (this.latest?.entries === entries) this.latest = undefined;
      });
    }
    return this.latest.entries;
  }
}
