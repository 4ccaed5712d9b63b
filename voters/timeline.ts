import { voterBallots, type VoterBallotRow } from '../db/ballots.js';
import type { Sql } from '../db/client.js';
import { countyMessageSettings, type CountyMessageSettings } from '../db/counties.js';
import { POLLS_CLOSE, cureDeadlineInstant } from '../domain/notices.js';
import { zonedTimeToInstant } from '../domain/zoned-time.js';
import { resolveCountyDetails, type CountyFallback } from '../delivery/county.js';
import { LANGUAGES } from '../delivery/templates/index.js';
import type { BallotTimeline } from './contract.js';

/**
 * The voter's ballots for the status page, newest election first: the issuance, then each event
 * that moved the status, read from the record in PostgreSQL (no workflow is asked: the page works
 * with the worker stopped and long after the workflows are gone). Statuses, times and codes only:
 * nothing personal. Times are shown in the county's zone, else the election's, else
 * `defaultTimeZone`. A challenged ballot carries its cure form (the county's form for the reason,
 * else its cure form, else its website), its deadline while it is ahead, and the county's rule;
 * every ballot carries its county's contact details, so the page can say whom to call.
 */
export async function ballotTimelines(
  deps: { sql: Sql; defaultTimeZone: string; countyFallback?: CountyFallback | undefined; now?: () => number },
  voterId: string,
): Promise<BallotTimeline[]> {
  const ballots = await voterBallots(deps.sql, voterId, deps.defaultTimeZone);
  const now = deps.now?.() ?? Date.now();
  const settings = new Map<string, CountyMessageSettings>();
  for (const county of new Set(ballots.map((ballot) => ballot.county))) {
    settings.set(county, await countyMessageSettings(deps.sql, county, LANGUAGES));
  }
  return ballots.map((ballot) => timeline(ballot, settings.get(ballot.county)!, deps.countyFallback, now));
}

function timeline(
  ballot: VoterBallotRow,
  settings: CountyMessageSettings,
  fallback: CountyFallback | undefined,
  now: number,
): BallotTimeline {
  const county = resolveCountyDetails(
    { name: ballot.county_name, phone: ballot.county_phone, url: ballot.county_url },
    fallback,
  );
  const text = (name: string) => {
    const value = ballot.status_details?.[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const reason =
    ballot.status === 'challenged' || ballot.status === 'rejected' ? (text('reason') ?? 'other') : undefined;
  const zone = ballot.election_timezone ?? ballot.timezone;
  const pollsClose = ballot.election_day ? zonedTimeToInstant(ballot.election_day, POLLS_CLOSE, zone) : undefined;
  let cure: BallotTimeline['cure'];
  if (ballot.status === 'challenged' && county) {
    const deadline = cureDeadlineInstant(text('cureDeadline') ?? ballot.election_cure_deadline?.toISOString(), zone);
    const form = new URL(settings.cureForms[reason!] || settings.cureUrl || county.url);
    form.searchParams.set('ballot', ballot.ballot_id);
    cure = {
      url: form.toString(),
      ...(deadline !== undefined && deadline > now ? { deadline: new Date(deadline).toISOString() } : {}),
      ...(settings.cureDeadlineRule ? { deadlineRule: settings.cureDeadlineRule } : {}),
    };
  }
  const countyTexts = Object.fromEntries(
    Object.entries(settings.texts).map(([language, texts]) => [
      language,
      Object.fromEntries(Object.entries(texts).map(([path, entry]) => [path, entry.text])),
    ]),
  );
  return {
    electionId: ballot.election_id,
    electionName: ballot.election_name ?? ballot.election_id,
    ballotId: ballot.ballot_id,
    timezone: ballot.timezone,
    status: ballot.status,
    events: [
      { status: 'issued', at: new Date(ballot.issued_at ?? ballot.created_at).toISOString() },
      ...(ballot.events ?? []).map((event) => ({ status: event.type, at: new Date(event.occurred_at).toISOString() })),
    ],
    ...(county ? { county } : {}),
    ...(ballot.election_day ? { electionDay: ballot.election_day } : {}),
    ...(pollsClose !== undefined ? { canStillVote: now < pollsClose } : {}),
    ...(reason ? { reason } : {}),
    ...(cure ? { cure } : {}),
    ...(Object.keys(countyTexts).length > 0 ? { countyTexts } : {}),
  };
}
