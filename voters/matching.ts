import type { Sql } from '../db/client.js';
import { rollCandidates } from '../db/voter-roll.js';
import { normalizeName, normalizeVoterId } from './normalize.js';

/** A roll entry found by the lookup; personal fields stay here and in Postgres. */
export interface RollEntry {
  voterId: string;
  county: string;
  status: string;
}

export type MatchOutcome =
  { outcome: 'match'; voter: RollEntry } | { outcome: 'no_match' } | { outcome: 'multiple_matches' };

export interface RollCandidate extends RollEntry {
  firstName: string;
  lastName: string;
}

export interface Identity {
  firstName: string;
  lastName: string;
  /** YYYY-MM-DD */
  dateOfBirth: string;
  /** five digits */
  zip: string;
  voterId?: string | undefined;
}

/**
 * The decision, pure: candidates share the birth date and ZIP; names compare normalised (no
 * nickname guessing); only active registrations can match; the voter ID, when given, picks one.
 * Every candidate is compared whatever the outcome, so the work does not depend on which field failed.
 */
export function decideMatch(identity: Identity, candidates: readonly RollCandidate[]): MatchOutcome {
  const first = normalizeName(identity.firstName);
  const last = normalizeName(identity.lastName);
  const wantedId = identity.voterId ? normalizeVoterId(identity.voterId) : undefined;
  const matches: RollEntry[] = [];
  for (const candidate of candidates) {
    const firstMatches = normalizeName(candidate.firstName) === first;
    const lastMatches = normalizeName(candidate.lastName) === last;
    const namesMatch = firstMatches && lastMatches;
    const idMatches = wantedId === undefined || normalizeVoterId(candidate.voterId) === wantedId;
    if (namesMatch && idMatches && candidate.status === 'active') {
      matches.push({ voterId: candidate.voterId, county: candidate.county, status: candidate.status });
    }
  }
  if (matches.length === 1) return { outcome: 'match', voter: matches[0]! };
  return matches.length === 0 ? { outcome: 'no_match' } : { outcome: 'multiple_matches' };
}

/** One indexed query (voters_lookup: birth date, ZIP) in every case, then the pure decision. */
export async function matchVoter(sql: Sql, identity: Identity): Promise<MatchOutcome> {
  return decideMatch(identity, await rollCandidates(sql, identity.dateOfBirth, identity.zip));
}
