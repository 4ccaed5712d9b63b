/**
 * Text-to-speech voice per notice language, for TwiML `<Say>`. The types come from the twilio
 * package's own list of supported voices, so a misspelt or withdrawn voice fails type-checking.
 * Khmer has no voice on Twilio (neither Amazon Polly nor Google offers km-KH): Khmer-speaking voters
 * get the English script, and the send result says so.
 */
import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse.js';
import type { Language } from '../templates/index.js';

export type SayLanguage = NonNullable<VoiceResponse.SayAttributes['language']>;
export type SayVoice = NonNullable<VoiceResponse.SayAttributes['voice']>;

export interface VoiceSpec {
  language: SayLanguage;
  voice: SayVoice;
}

/** Traditional Chinese materials are read in Taiwanese Mandarin (cmn-TW): the closest voice. */
export const VOICES: Readonly<Record<Language, VoiceSpec | undefined>> = {
  en: { language: 'en-US', voice: 'Polly.Joanna-Neural' },
  es: { language: 'es-US', voice: 'Polly.Lupe-Neural' },
  'zh-Hant': { language: 'cmn-TW', voice: 'Google.cmn-TW-Standard-A' },
  vi: { language: 'vi-VN', voice: 'Google.vi-VN-Standard-A' },
  ko: { language: 'ko-KR', voice: 'Polly.Seoyeon-Neural' },
  tl: { language: 'fil-PH', voice: 'Google.fil-PH-Standard-A' },
  ja: { language: 'ja-JP', voice: 'Polly.Kazuha-Neural' },
  hi: { language: 'hi-IN', voice: 'Polly.Kajal-Neural' },
  km: undefined,
  th: { language: 'th-TH', voice: 'Google.th-TH-Standard-A' },
};

export const ENGLISH_VOICE: VoiceSpec = VOICES.en!;

export interface ResolvedVoice extends VoiceSpec {
  /** True when `language` has no voice and English is spoken instead. */
  fellBack: boolean;
}

export function voiceFor(language: Language): ResolvedVoice {
  const spec = VOICES[language];
  return spec ? { ...spec, fellBack: false } : { ...ENGLISH_VOICE, fellBack: true };
}
