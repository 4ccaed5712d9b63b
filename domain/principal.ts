/** Who is calling: an API key's scopes and counties (the CLI acts as a principal with everything). Pure. */

export const ALL_SCOPES = ['elections:write', 'voters:write', 'ballots:write', 'scans:write', 'ballots:read'] as const;
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
