/**
 * Reason codes a scan may carry: why a ballot is challenged (it can still be fixed, "cured") or why
 * it was rejected. A scan's `reason` must be one of these codes for its event type; anything else is
 * `invalid` at the API and in imports, so free text from a feed never reaches a voter.
 *
 * The list follows California's vote-by-mail challenge and rejection reasons (Elections Code 3019,
 * the Secretary of State's ballot status codes); `id_required` covers states (and first-time voters
 * under HAVA) that ask for a copy of an ID. `other` is for a reason not listed: voters are told to
 * call the county.
 *
 * Every code has a sentence in every message catalog (`reason.challenged.<code>`,
 * `reason.rejected.<code>`) and, for a challenge, cure instructions (`cure_instructions.<code>`).
 * Adding a code is a change here and in the ten catalogs, so that every voter gets words for it in
 * their language. A county words a listed code its own way (per language) in PostgreSQL instead:
 * `county_texts` rows, set with `npm run cli -- county <code> ... --text <path>:<lang>=<text>` or
 * `PUT /v1/counties/{code}/texts/{path}/{language}`, and used only once reviewed.
 */

export const CHALLENGE_REASONS = [
  'no_signature',
  'signature_mismatch',
  'id_required',
  'more_information',
  'other',
] as const;
export type ChallengeReason = (typeof CHALLENGE_REASONS)[number];

export const REJECTION_REASONS = [
  'already_voted',
  'no_signature',
  'signature_mismatch',
  'id_required',
  'ballot_missing',
  'voter_deceased',
  'received_late',
  'other',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** The codes a scan of `type` may carry; undefined when its type takes no reason. */
export function reasonCodesFor(type: string): readonly string[] | undefined {
  if (type === 'challenged') return CHALLENGE_REASONS;
  if (type === 'rejected') return REJECTION_REASONS;
  return undefined;
}

/**
 * The deadline rules a county may name for a challenge that carries no deadline of its own, each
 * worded in the catalogs (`cure_rule.<code>`):
 * - `two_days_before_certification`: California (Elections Code 3019(d)): 5 p.m. two days before
 *   the county certifies the election;
 * - `eight_days_after_election_day`: Colorado and others: eight days after Election Day;
 * - `seven_days_after_election_day`: states that take cures for a week after Election Day.
 */
export const CURE_DEADLINE_RULES = [
  'two_days_before_certification',
  'eight_days_after_election_day',
  'seven_days_after_election_day',
] as const;
export type CureDeadlineRule = (typeof CURE_DEADLINE_RULES)[number];

/**
 * The catalog texts a county may word its own way, per language (`county_texts`): the words of each
 * reason code, the cure instructions per challenge reason, and its deadline rule (`cure_rule`).
 */
export const COUNTY_TEXT_PATHS: readonly string[] = [
  ...CHALLENGE_REASONS.map((code) => `reason.challenged.${code}`),
  ...REJECTION_REASONS.map((code) => `reason.rejected.${code}`),
  ...CHALLENGE_REASONS.map((code) => `cure_instructions.${code}`),
  'cure_rule',
];
