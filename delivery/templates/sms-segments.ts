/**
 * SMS segment counting (3GPP TS 23.038 / 23.040), as carriers bill and split a message.
 *
 * - GSM-7: the basic character set costs 1 septet per character, the extension table (reached with
 *   an escape code) 2 septets. 160 septets fit in one message; a longer one is sent in parts of 153
 *   (the rest carries the concatenation header), and an escape sequence is never split across parts.
 * - Any character outside both tables makes the whole message UCS-2 (UTF-16): 70 code units in one
 *   message, 67 per part; a character outside the BMP (emoji) is a surrogate pair (2 units) that is
 *   never split across parts either.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegments {
  encoding: SmsEncoding;
  /** Parts the message is sent in (0 for an empty text). */
  segments: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) of the whole text. */
  units: number;
}

/** The GSM 03.38 basic character set (127 characters; 0x1B, the escape to the extension table, is left out). */
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ' +
  ' !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§' +
  '¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** The GSM 03.38 extension table: each costs 2 septets (escape + code). */
const GSM7_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set(GSM7_BASIC);
const EXTENSION = new Set(GSM7_EXTENSION);

export const SMS_LIMITS = {
  'GSM-7': { single: 160, perPart: 153 },
  'UCS-2': { single: 70, perPart: 67 },
} as const;

/** Packs characters of the given widths into parts of `perPart` units without splitting one. */
function countParts(widths: readonly number[], single: number, perPart: number): number {
  const total = widths.reduce((sum, w) => sum + w, 0);
  if (total === 0) return 0;
  if (total <= single) return 1;
  let parts = 1;
  let used = 0;
  for (const width of widths) {
    if (used + width > perPart) {
      parts += 1;
      used = 0;
    }
    used += width;
  }
  return parts;
}

export function smsSegments(text: string): SmsSegments {
  const chars = Array.from(text); // by code point
  const gsm = chars.every((c) => BASIC.has(c) || EXTENSION.has(c));
  if (gsm) {
    const widths = chars.map((c) => (EXTENSION.has(c) ? 2 : 1));
    const units = widths.reduce((sum, w) => sum + w, 0);
    const { single, perPart } = SMS_LIMITS['GSM-7'];
    return { encoding: 'GSM-7', segments: countParts(widths, single, perPart), units };
  }
  const widths = chars.map((c) => c.length); // 2 for a surrogate pair
  const { single, perPart } = SMS_LIMITS['UCS-2'];
  return { encoding: 'UCS-2', segments: countParts(widths, single, perPart), units: text.length };
}

/** The most parts a notice may take; longer texts fall back to a shorter catalog alternative. */
export const MAX_SMS_SEGMENTS = 2;

/** Exposed for tests: the size of the basic set, which must be 127. */
export const GSM7_BASIC_SIZE = BASIC.size;
