import type { Sql } from '../../db/client.js';
import type { Logger } from '../../lib/logger.js';

/** What applying a provider event needs (the API's webhook routers pass it on). */
export interface WebhookDeps {
  sql: Sql;
  logger: Logger;
  /**
   * Tells the voter's open ballot workflows that their contacts changed (the caller signals
   * `preferencesChangedSignal` to each). Failures are logged, never answered to the provider:
   * the database is already right and a workflow reloads contacts before it sends.
   */
  signalVoterBallots?: (voterId: string) => Promise<void>;
}

/**
 * Signals each voter once. Called after the transaction committed, so a workflow that reloads at
 * once sees the change. Never throws.
 */
export async function signalVoters(deps: WebhookDeps, voterIds: Iterable<string>): Promise<void> {
  const unique = [...new Set(voterIds)];
  if (unique.length === 0) return;
  if (!deps.signalVoterBallots) {
    deps.logger.debug({ voters: unique.length }, 'contacts changed; no signaller configured');
    return;
  }
  const signal = deps.signalVoterBallots;
  const results = await Promise.allSettled(unique.map((voterId) => signal(voterId)));
  results.forEach((result, index) => {
    if (result.status === 'rejected') {
      deps.logger.error(
        { err: result.reason as unknown, voterId: unique[index] },
        'could not signal the voter ballots after a contact change',
      );
    }
  });
}
