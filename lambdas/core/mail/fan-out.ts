import type { Edition } from '#core/edition/model';
import type { EditionRecord } from '#core/edition/ports';
import { jobsFor, type SendJob } from './send-job';
import { editionKey, type LedgerStore, type StoredEmail } from './send-ledger';

/** What the fan-out needs: the ledger, where the email is stored, the subscribers, the send queue. */
export interface FanOutDeps {
  ledger: LedgerStore;
  storeEmail: (week: string, revision: number, email: StoredEmail) => Promise<void>;
  renderEmail: (edition: Edition) => StoredEmail;
  confirmedPages: () => AsyncIterable<readonly { address: string }[]>;
  enqueue: (jobs: readonly SendJob[]) => Promise<void>;
  now: () => Date;
}

/**
 * Queues an emailed revision's recipients in batches for the sender. Primary course: store the
 * rendered email once; mark the fan-out as started; queue every confirmed subscriber, page by
 * page; record the total. A rerun queues everyone again: the sender's ledger makes repeats
 * harmless, so a fan-out that stopped midway is completed by running it again.
 */
export async function fanOut(deps: FanOutDeps, edition: Edition, record: EditionRecord): Promise<number> {
  const key = editionKey(record.week, record.revision);
  // One read decides: a fan-out that finished queueing is not queued again.
  const state = await deps.ledger.queueState(key);
  if (state?.status === 'queued') return state.total;
  await deps.storeEmail(record.week, record.revision, deps.renderEmail(edition));
  await deps.ledger.startQueueing(key, deps.now());
  let total = 0;
  for await (const page of deps.confirmedPages()) {
    const addresses = page.map((s) => s.address);
    await deps.enqueue(jobsFor(record.week, record.revision, addresses));
    total += addresses.length;
  }
  await deps.ledger.finishQueueing(key, total, deps.now());
  return total;
}
