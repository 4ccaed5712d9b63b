/**
 * SMS reply keywords in the ten notice languages. Pure: the inbound webhook calls
 * `classifyInboundKeyword` and acts on the class; nothing else reads these tables.
 *
 * Matching is on the whole reply: one word, trimmed, case-insensitive, compatibility-normalised
 * (full-width "ＳＴＯＰ" is STOP) and with diacritics ignored ("Párar", "DỪNG"). Surrounding
 * punctuation is dropped ("Stop." is STOP); a sentence that merely contains a keyword
 * ("please don't stop") is `other`, as carriers and Twilio treat it.
 */
import type { Language } from '../templates/index.js';

export type InboundKeyword = 'stop' | 'start' | 'help' | 'other';

type KeywordClass = Exclude<InboundKeyword, 'other'>;

/**
 * The carrier/CTIA English set is accepted from every voter (Spanish-speaking voters are told to
 * "Responda STOP"); the localized words are what a voter would plausibly type in their language.
 * Words that are common in ordinary replies are left out on purpose: a wrong `stop` silences
 * ballot notices, a wrong `start` texts someone who asked us to stop. Notably Spanish ALTA
 * ("sign up") is absent because it is one letter away from ALTO ("stop").
 */
export const INBOUND_KEYWORDS: Readonly<Record<Language, Readonly<Record<KeywordClass, readonly string[]>>>> = {
  en: {
    stop: ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'END', 'QUIT', 'REVOKE', 'OPTOUT', 'CANCEL'],
    start: ['START', 'YES', 'UNSTOP'],
    help: ['HELP', 'INFO'],
  },
  es: {
    stop: ['ALTO', 'PARAR', 'DETENER', 'CANCELAR', 'BAJA'],
    start: ['SÍ', 'COMENZAR', 'INICIAR', 'EMPEZAR'],
    help: ['AYUDA'],
  },
  'zh-Hant': {
    stop: ['停止', '取消', '退訂', '退订'],
    start: ['開始', '开始'],
    help: ['幫助', '帮助', '協助', '说明', '說明'],
  },
  vi: {
    stop: ['DỪNG', 'NGỪNG', 'HỦY'],
    start: ['CÓ'],
    help: ['GIÚP'],
  },
  ko: {
    stop: ['중지', '중단', '수신거부'],
    start: ['시작', '재개'],
    help: ['도움', '도움말'],
  },
  tl: {
    stop: ['TIGIL', 'ITIGIL', 'HINTO'],
    start: ['SIMULA', 'OO'],
    help: ['TULONG'],
  },
  ja: {
    stop: ['停止', '中止', '配信停止', 'ストップ'],
    start: ['開始', '再開', 'はい'],
    help: ['ヘルプ', '助けて'],
  },
  hi: {
    stop: ['रोकें', 'रोको', 'बंद'],
    start: ['शुरू', 'हाँ', 'हां'],
    help: ['मदद', 'सहायता'],
  },
  km: {
    stop: ['ឈប់', 'បញ្ឈប់'],
    start: ['ចាប់ផ្តើម', 'បាទ', 'ចាស'],
    help: ['ជំនួយ'],
  },
  th: {
    stop: ['หยุด', 'ยกเลิก'],
    start: ['เริ่ม', 'ใช่'],
    help: ['ช่วยเหลือ', 'ช่วย'],
  },
};

/**
 * The comparison form of a reply or a table entry: NFKD, combining marks removed (so accents and
 * Vietnamese tone marks are ignored; both sides go through the same function, so scripts whose
 * vowels are marks still compare equal), surrounding punctuation dropped, upper case. Returns
 * undefined for anything that is not exactly one word.
 */
export function normalizeKeyword(text: string): string | undefined {
  const stripped = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu, '')
    .toUpperCase();
  if (stripped === '' || /\s/u.test(stripped)) return undefined;
  return stripped;
}

function buildIndex(): ReadonlyMap<string, KeywordClass> {
  const index = new Map<string, KeywordClass>();
  for (const [language, classes] of Object.entries(INBOUND_KEYWORDS)) {
    for (const [kind, words] of Object.entries(classes) as Array<[KeywordClass, readonly string[]]>) {
      for (const word of words) {
        const key = normalizeKeyword(word);
        if (key === undefined) throw new Error(`keyword ${JSON.stringify(word)} (${language}) is not one word`);
        const existing = index.get(key);
        if (existing !== undefined && existing !== kind) {
          throw new Error(`keyword ${JSON.stringify(word)} (${language}) is both ${existing} and ${kind}`);
        }
        index.set(key, kind);
      }
    }
  }
  return index;
}

const INDEX = buildIndex();

/** What an inbound SMS asks for: opt out, opt back in, help, or nothing we act on. */
export function classifyInboundKeyword(text: string | null | undefined): InboundKeyword {
  const key = normalizeKeyword(text ?? '');
  return (key !== undefined && INDEX.get(key)) || 'other';
}
