/** Who is calling: an API key's scopes and counties (the CLI acts as a principal with everything). Pure. */

export const ALL_SCOPES = [
  'elections:write',
  'voters:write',
  'ballots:write',
  'scans:write',
  'ballots:read',
  'reports:read',
  'broadcasts:write',
  'broadcasts:approve',
  'counties:read',
  'counties:write',
] as const;
export type Scope = (typeof ALL_SCOPES)[number];

export interface Principal {
  keyId: string;
  scopes: readonly Scope[];
  /** `null`: every county. */
  counties: readonly string[] | null;
  rateLimitPerMinute: number | null;
}

/** The operator CLI: imports run with every scope and county. */
export const OPERATOR: Principal = { keyId: 'cli', scopes: ALL_SCOPES, counties: null, rateLimitPerMinute: null };

export function allowsCounty(principal: Principal, county: string): boolean {
  return principal.counties === null || principal.counties.includes(county);
}

/**
 * Scopes that act on every county at once: an election's dates and deadlines (its closing closes the
 * ballots of every county). Only a key with every county may hold them, checked when a key is created
 * and again on each request (a key stored before this rule is refused too).
 */
export const ALL_COUNTY_SCOPES: readonly Scope[] = ['elections:write'];

/** Why a key with these scopes and counties must not exist, or undefined when it may. */
export function keyScopeProblem(scopes: readonly Scope[], counties: readonly string[] | null): string | undefined {
  if (counties === null) return undefined;
  const wide = scopes.filter((scope) => ALL_COUNTY_SCOPES.includes(scope));
  return wide.length === 0
    ? undefined
    : `${wide.join(', ')} acts on every county: give it only to a key with --counties all`;
}

/**
 * Items a JSON batch may carry; a streamed (NDJSON) request is charged one more request against its
 * key's rate limit for every this many items, so streaming buys no more than batching.
 */
export const MAX_ITEMS_PER_REQUEST_UNIT = 1_000;
