import { describe, expect, it } from 'vitest';
import { LANGUAGES } from '../../delivery/templates/index.js';
import { classifyInboundKeyword, INBOUND_KEYWORDS, type InboundKeyword } from '../../delivery/webhooks/keywords.js';

describe('classifyInboundKeyword', () => {
  const cases: Array<[string, InboundKeyword]> = [
    // The carrier set, in any case, with surrounding space or punctuation.
    ['STOP', 'stop'],
    ['stop', 'stop'],
    ['  Stop\n', 'stop'],
    ['Stop.', 'stop'],
    ['STOP!!', 'stop'],
    ['UNSUBSCRIBE', 'stop'],
    ['end', 'stop'],
    ['Quit', 'stop'],
    ['stopall', 'stop'],
    ['REVOKE', 'stop'],
    ['optout', 'stop'],
    ['cancel', 'stop'],
    ['ＳＴＯＰ', 'stop'], // full-width, as some phone keyboards send
    ['START', 'start'],
    ['yes', 'start'],
    ['Unstop', 'start'],
    ['HELP', 'help'],
    ['info', 'help'],
    ['Help?', 'help'],
    // Localized, accents ignored.
    ['Alto', 'stop'],
    ['PARAR', 'stop'],
    ['párar', 'stop'],
    ['cancelar', 'stop'],
    ['Sí', 'start'],
    ['si', 'start'],
    ['ayuda', 'help'],
    ['AYÚDA', 'help'],
    ['停止', 'stop'],
    ['退訂', 'stop'],
    ['開始', 'start'],
    ['幫助', 'help'],
    ['DỪNG', 'stop'],
    ['dung', 'stop'],
    ['ngừng', 'stop'],
    ['giúp', 'help'],
    ['중지', 'stop'],
    ['수신거부', 'stop'],
    ['시작', 'start'],
    ['도움말', 'help'],
    ['tigil', 'stop'],
    ['Tulong', 'help'],
    ['ストップ', 'stop'],
    ['配信停止', 'stop'],
    ['再開', 'start'],
    ['ヘルプ', 'help'],
    ['रोकें', 'stop'],
    ['मदद', 'help'],
    ['ឈប់', 'stop'],
    ['ជំនួយ', 'help'],
    ['หยุด', 'stop'],
    ['ช่วยเหลือ', 'help'],
    // Not exactly one keyword.
    ['', 'other'],
    ['   ', 'other'],
    ['please stop', 'other'],
    ['stop it', 'other'],
    ["don't stop", 'other'],
    ['STOPP', 'other'],
    ['Thanks!', 'other'],
    ['When will my ballot arrive?', 'other'],
    ['alta', 'other'], // Spanish "sign up", one letter from ALTO: deliberately not START
    ['bat dau', 'other'],
  ];

  it.each(cases)('classifies %j as %s', (text, expected) => {
    expect(classifyInboundKeyword(text)).toBe(expected);
  });

  it('treats null and undefined as other', () => {
    expect(classifyInboundKeyword(undefined)).toBe('other');
    expect(classifyInboundKeyword(null)).toBe('other');
  });

  it('has stop, start and help words for every notice language, each classified as listed', () => {
    for (const language of LANGUAGES) {
      const table = INBOUND_KEYWORDS[language];
      for (const kind of ['stop', 'start', 'help'] as const) {
        expect(table[kind].length, `${language} ${kind}`).toBeGreaterThan(0);
        for (const word of table[kind]) expect(classifyInboundKeyword(word), `${language} ${word}`).toBe(kind);
      }
    }
  });

  it('understands the English words every localized template tells the voter to send', () => {
    // Every SMS template says "Reply STOP" / "START" / "HELP" in English, whatever its language.
    expect(['STOP', 'START', 'HELP'].map(classifyInboundKeyword)).toEqual(['stop', 'start', 'help']);
  });
});
