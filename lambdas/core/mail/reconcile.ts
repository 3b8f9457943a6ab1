import { mailboxOf } from '#core/subscriptions/email-address';
import type { AcceptedSend } from '#core/subscriptions/mail-events';
import { EDITION_TAG, editionOfTag, type LedgerStore } from './send-ledger';

/**
 * SES's own Send event for an edition email settles a send whose answer never came (contract
 * §5): the ledger then says `sent`, with SES's message id, and the message is never sent again.
 * Events of other mail (confirmations) and of sends already recorded change nothing.
 */
export async function reconcileSend(
  ledger: Pick<LedgerStore, 'reconcile'>,
  send: AcceptedSend,
  now: Date,
): Promise<number> {
  const edition = editionOfTag(send.tags[EDITION_TAG]?.[0] ?? '');
  if (edition === undefined) return 0;
  let reconciled = 0;
  // The ledger is keyed by mailbox, SES names the address the message went to.
  for (const address of send.recipients) {
    if (await ledger.reconcile(edition, mailboxOf(address), send.messageId, now)) reconciled++;
  }
  return reconciled;
}
