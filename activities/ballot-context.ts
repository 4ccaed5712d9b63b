import type { Sql } from '../db/client.js';
import { findElectionSettings } from '../db/elections.js';
import { CHANNELS, type Channel, type DeliveryPlan, type ElectionSettings } from '../domain/notices.js';

export interface BallotContext {
  election: ElectionSettings | null;
  plan: DeliveryPlan;
}

const NO_CHANNELS: Omit<DeliveryPlan, 'timeZone'> = {
  channels: [],
  language: 'en',
  window: { start: '08:00', end: '21:00' },
};

/**
 * What the ballot workflow needs to decide on notices: the election's dates and the voter's delivery
 * plan (verified, opted-in channels, language, window, time zone). IDs and settings only: addresses
 * never leave Postgres.
 */
export function createBallotContextActivities({ sql }: { sql: Sql }) {
  return {
    async loadBallotContext(input: { electionId: string; voterId: string }): Promise<BallotContext> {
      const election = await findElectionSettings(sql, input.electionId);

      const rows = await sql<
        {
          language: string;
          window_start: string;
          window_end: string;
          timezone: string;
          channel: Channel | null;
          opted_out: boolean | null;
        }[]
      >`
        SELECT s.language, s.window_start, s.window_end, s.timezone, c.channel, c.opted_out_at IS NOT NULL AS opted_out
        FROM subscriptions s
        LEFT JOIN contacts c ON c.subscription_id = s.subscription_id
          AND c.verified_at IS NOT NULL AND c.disabled_reason IS NULL
        WHERE s.voter_id = ${input.voterId} AND s.status = 'active'`;

      const electionTimeZone = election?.timezone ?? 'America/Los_Angeles';
      const first = rows[0];
      const present = new Set(rows.filter((row) => row.channel && !row.opted_out).map((row) => row.channel!));
      const optedOut = CHANNELS.filter((channel) => rows.some((row) => row.channel === channel && row.opted_out));
      const plan: DeliveryPlan = first
        ? {
            channels: CHANNELS.filter((channel) => present.has(channel)),
            ...(optedOut.length > 0 ? { optedOut } : {}),
            language: first.language,
            window: { start: first.window_start, end: first.window_end },
            timeZone: first.timezone,
          }
        : { ...NO_CHANNELS, timeZone: electionTimeZone };

      return {
        election,
        plan,
      };
    },
  };
}
