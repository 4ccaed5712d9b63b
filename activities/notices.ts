import type { Sql } from '../db/client.js';
import type { Channel } from '../domain/notices.js';

/** What the workflow asks a sender to deliver: IDs and keys only, never an address or a text. */
export interface SendNoticeInput {
  electionId: string;
  ballotId: string;
  channel: Channel;
  noticeKey: string;
  sequence: number;
  messageKey: string;
  language: string;
}

export interface SendNoticeResult {
  outcome: 'sent' | 'skipped';
  reason?: string;
}

/**
 * Recording stand-in for the provider senders (the delivery issue replaces it): claims the ledger row
 * for (ballot, notice, channel) and marks it sent, so a retried attempt finds it done.
 */
export function createNoticeActivities({ sql }: { sql: Sql }) {
  return {
    async sendNotice(input: SendNoticeInput): Promise<SendNoticeResult> {
      const [status, sequence] = [input.noticeKey, input.sequence];
      await sql`
        INSERT INTO notice_deliveries (election_id, ballot_id, notice_key, channel, sequence, message_key, language, state, provider, attempts, sent_at)
        VALUES (${input.electionId}, ${input.ballotId}, ${status}, ${input.channel}, ${sequence}, ${input.messageKey},
                ${input.language}, 'sent', 'recording', 1, now())
        ON CONFLICT (election_id, ballot_id, notice_key, channel, sequence)
        DO UPDATE SET attempts = notice_deliveries.attempts + 1, updated_at = now()`;
      return { outcome: 'sent' };
    },
  };
}
