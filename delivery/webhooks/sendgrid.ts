/**
 * What SendGrid's event webhook does to our tables (api/webhooks/sendgrid.ts verifies the signature
 * and parses the batch first). Each event is applied once (`sg_event_id`):
 *
 * - processed / deferred / delivered / bounce / dropped move the delivery's status forward.
 * - A hard bounce, or a drop because the address bounced, unsubscribed or reported spam, disables
 *   email for that address (`disabled_reason`). A `blocked` bounce does not: it is the receiving
 *   server refusing this message (often content or reputation), not a dead address.
 * - unsubscribe / group_unsubscribe / spamreport opt every email contact with that address out.
 * Voters whose contacts changed are signalled once the batch is written.
 */
import type { Tx } from '../../db/client.js';
import {
  advanceDeliveryStatus,
  changeContacts,
  claimWebhookEvent,
  contentEventId,
  correlatedDeliveryId,
  deliveryContactId,
} from '../ledger.js';
import { parseSendGridEvent, parseSendGridOptOut } from '../providers/index.js';
import { signalVoters, type WebhookDeps } from './common.js';

export interface BatchResult {
  applied: number;
  duplicates: number;
  ignored: number;
}

/** Applies one verified batch. Each event commits on its own, so a retried batch resumes cleanly. */
export async function applySendGridEvents(deps: WebhookDeps, events: readonly unknown[]): Promise<BatchResult> {
  const result: BatchResult = { applied: 0, duplicates: 0, ignored: 0 };
  const voters = new Set<string>();
  for (const raw of events) {
    const outcome = await deps.sql.begin(async (tx) => {
      const record = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
      const eventId = typeof record.sg_event_id === 'string' ? record.sg_event_id : contentEventId(raw);
      if (!(await claimWebhookEvent(tx, 'sendgrid', eventId))) return 'duplicate' as const;
      return applyOne(tx, raw, record, voters);
    });
    if (outcome === 'duplicate') result.duplicates++;
    else if (outcome === 'ignored') result.ignored++;
    else result.applied++;
  }
  await signalVoters(deps, voters);
  return result;
}

async function applyOne(
  tx: Tx,
  raw: unknown,
  record: Record<string, unknown>,
  voters: Set<string>,
): Promise<'applied' | 'ignored'> {
  const email = typeof record.email === 'string' && record.email !== '' ? record.email : undefined;
  const status = parseSendGridEvent(raw);
  if (status) {
    const matches = await advanceDeliveryStatus(tx, 'sendgrid', status);
    if (status.recipientFailure) {
      const contactIds = matches.flatMap((m) => (m.contactId ? [m.contactId] : []));
      const changed = await changeContacts(
        tx,
        { channels: ['email'], ...(email ? { address: email } : {}), contactIds },
        status.recipientFailure === 'RecipientOptedOut'
          ? { kind: 'opt_out' }
          : { kind: 'disable', reason: status.recipientFailure },
      );
      for (const c of changed) if (c.changed) voters.add(c.voterId);
    }
    return 'applied';
  }
  const optOut = parseSendGridOptOut(raw);
  if (optOut) {
    const deliveryId = correlatedDeliveryId(optOut.correlation);
    const contactId = deliveryId ? await deliveryContactId(tx, deliveryId) : undefined;
    const changed = await changeContacts(
      tx,
      { channels: ['email'], ...(email ? { address: email } : {}), contactIds: contactId ? [contactId] : [] },
      { kind: 'opt_out' },
    );
    for (const c of changed) if (c.changed) voters.add(c.voterId);
    return 'applied';
  }
  return 'ignored';
}
