/**
 * Which version of a message goes out: the voter's language only when its catalog has every part
 * the message needs on that channel (else the whole message in English, never half and half), and,
 * for SMS, the fullest alternative that fits in MAX_SMS_SEGMENTS.
 */
import type { Channel } from '../../domain/notices.js';
import { hasText } from './i18n.js';
import { DEFAULT_LANGUAGE, type Language } from './languages.js';
import { MAX_SMS_SEGMENTS, type SmsSegments } from './sms-segments.js';
import {
  CHALLENGE_REASONS,
  CURE_DEADLINE_RULES,
  MESSAGE_SPECS,
  REJECTION_REASONS,
  SHARED_TEXTS,
  catalogParts,
  type MessageKey,
} from './spec.js';

/**
 * Every catalog path the message reads on `channel`: its parts, the email footer, the texts of its
 * reason codes, cure instructions and deadline rules, and a ballot notice's voter tag and opt-out hint.
 */
export function requiredPaths(key: MessageKey, channel: Channel): string[] {
  const spec = MESSAGE_SPECS[key];
  const paths = catalogParts(key, channel);
  if (channel === 'email') paths.push(SHARED_TEXTS.emailFooter);
  if (spec.vars.includes('reason') && spec.reasons) {
    const codes = spec.reasons === 'challenged' ? CHALLENGE_REASONS : REJECTION_REASONS;
    paths.push(...codes.map((code) => `reason.${spec.reasons}.${code}`));
  }
  if (spec.vars.includes('cureInstructions')) paths.push(...CHALLENGE_REASONS.map((c) => `cure_instructions.${c}`));
  if (spec.vars.includes('cureDeadlineRule')) paths.push(...CURE_DEADLINE_RULES.map((rule) => `cure_rule.${rule}`));
  if (spec.ballotNotice) {
    if (channel === 'sms') paths.push(SHARED_TEXTS.smsVoterTag, SHARED_TEXTS.smsOptOutHint);
    if (channel === 'email') paths.push(SHARED_TEXTS.whoseBallot);
    if (channel === 'voice') paths.push(SHARED_TEXTS.voiceWhoseBallot);
  }
  return paths;
}

/** The language a message is rendered in: `lang` when its catalog has every part, else English. */
export function effectiveLanguage(key: MessageKey, channel: Channel, lang: Language): Language {
  if (!MESSAGE_SPECS[key].channels.includes(channel)) {
    throw new Error(`Message ${key} has no ${channel} version`);
  }
  return requiredPaths(key, channel).every((p) => hasText(lang, p)) ? lang : DEFAULT_LANGUAGE;
}

/** The index of the SMS alternative to send: the first that fits, else the shortest (the last). */
export function chosenSmsAlternative(alternatives: readonly SmsSegments[]): number {
  const index = alternatives.findIndex((a) => a.segments <= MAX_SMS_SEGMENTS);
  return index < 0 ? alternatives.length - 1 : index;
}
