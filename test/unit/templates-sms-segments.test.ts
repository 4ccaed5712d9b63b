import { describe, expect, it } from 'vitest';
import { GSM7_BASIC_SIZE } from '../../delivery/templates/sms-segments.js';
import { smsSegments } from '../../delivery/templates/index.js';

const a = (n: number) => 'a'.repeat(n);
const thai = (n: number) => 'ก'.repeat(n); // U+0E01, one UTF-16 unit, not GSM-7
const EMOJI = '😀'; // outside the BMP: a surrogate pair, 2 units

describe('smsSegments', () => {
  it.each([
    ['an empty text', '', 'GSM-7', 0, 0],
    ['160 GSM characters', a(160), 'GSM-7', 160, 1],
    ['161 GSM characters', a(161), 'GSM-7', 161, 2],
    ['306 GSM characters (2 x 153)', a(306), 'GSM-7', 306, 2],
    ['307 GSM characters', a(307), 'GSM-7', 307, 3],
    ['a line break, which is in the basic set', `${a(159)}\n`, 'GSM-7', 160, 1],
    ['é ñ ü à ¿ ¡ (basic set)', `${a(154)}éñüà¿¡`, 'GSM-7', 160, 1],
    ['80 euro signs (extension table, 2 septets each)', '€'.repeat(80), 'GSM-7', 160, 1],
    ['81 euro signs', '€'.repeat(81), 'GSM-7', 162, 2],
    ['159 letters and one brace', `${a(159)}{`, 'GSM-7', 161, 2],
    ['each of ^ { } \\ [ ] ~ | € counting twice', `${a(142)}^{}\\[]~|€`, 'GSM-7', 160, 1],
    // An escape sequence is never split across parts: 152 + (2) + 152 septets need three parts.
    ['an extension character straddling a part boundary', `${a(152)}€${a(152)}`, 'GSM-7', 306, 3],
    ['70 UCS-2 characters', thai(70), 'UCS-2', 70, 1],
    ['71 UCS-2 characters', thai(71), 'UCS-2', 71, 2],
    ['134 UCS-2 characters (2 x 67)', thai(134), 'UCS-2', 134, 2],
    ['135 UCS-2 characters', thai(135), 'UCS-2', 135, 3],
    ['one á, which is not GSM-7, in a short text', `${a(69)}á`, 'UCS-2', 70, 1],
    ['one á in 71 characters', `${a(70)}á`, 'UCS-2', 71, 2],
    ['a curly apostrophe', 'Don’t', 'UCS-2', 5, 1],
    ['one emoji in 159 GSM characters', `${a(159)}${EMOJI}`, 'UCS-2', 161, 3],
    ['35 emoji (70 units)', EMOJI.repeat(35), 'UCS-2', 70, 1],
    ['an emoji ending a 69-unit text', `${thai(68)}${EMOJI}`, 'UCS-2', 70, 1],
    ['an emoji pushing the text to 71 units', `${thai(69)}${EMOJI}`, 'UCS-2', 71, 2],
    // A surrogate pair is never split across parts: 66 + (2) + 66 units need three parts.
    ['an emoji straddling a part boundary', `${thai(66)}${EMOJI}${thai(66)}`, 'UCS-2', 134, 3],
  ])('%s: %s, %i units, %i segments', (_label, text, encoding, units, segments) => {
    expect(smsSegments(text)).toEqual({ encoding, units, segments });
  });

  it('knows the whole GSM 03.38 basic set (127 characters besides the escape)', () => {
    expect(GSM7_BASIC_SIZE).toBe(127);
  });

  it('treats a backtick, which looks harmless, as outside GSM-7', () => {
    expect(smsSegments('`').encoding).toBe('UCS-2');
  });
});
