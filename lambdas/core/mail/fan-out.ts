import type { Edition } from '#core/edition/model';
import type { EditionRecord } from '#core/edition/ports';
import { jobsFor, type SendJob } from './send-job';
import { editionKey, type LedgerStore, type StoredEmail } from './send-ledger';

/** What the fan-out needs: the ledger, where the email is stored, the subscribers, the send queue. */
export interface FanOutDeps {
  ledger: LedgerStore;
  storeEmail: (week: string, revision: number, email: StoredEmail) => Promise<void>;
  renderEmail: (edition: Edition) => StoredEmail;
  confirmedPages: () => AsyncIterable<readonly { mailbox: string }[]>;
  enqueue: (jobs: readonly SendJob[]) => Promise<void>;
  now: () => Date;
}

/**
 * Queues an emailed revision's recipients in batches for the sender. Primary course: store the
 * rendered email once; mark the fan-out as started; queue every confirmed subscriber, page by
 * page; record the total. A rerun queues everyone again: the sender's ledger makes repeats
 * harmless, so a fan-out that stopped midway is completed by running it again.
 */
export async function fanOut(
  deps: FanOutDeps,
  edition: Edition,
  record: EditionRecord,
  options: { resume?: boolean } = {},
): Promise<number> {
  const key = editionKey(record.week, record.revision);
  // One read decides: a fan-out that finished queueing is not queued again, unless an operator
  // asks for the readers it has not reached.
  const state = await deps.ledger.queueState(key);
  if (state?.status === 'queued') return options.resume === true ? resumeFanOut(deps, record) : state.total;
  await deps.storeEmail(record.week, record.revision, deps.renderEmail(edition));
  await deps.ledger.startQueueing(key, deps.now());
  let total = 0;
  for await (const page of deps.confirmedPages()) {
    const addresses = page.map((s) => s.mailbox);
    await deps.enqueue(jobsFor(record.week, record.revision, addresses));
    total += addresses.length;
  }
  await deps.ledger.finishQueueing(key, total, deps.now());
  return total;
}

/**
 * An operator's rerun of a finished fan-out (`npm run publish` again): queues every confirmed
 * reader the ledger has not settled, such as those of a batch that was dead-lettered, so they get
 * the edition; the ledger keeps each reader to one email even if that batch is redriven too. The
 * total becomes what is settled plus what is queued now. Answers the readers queued.
 */
async function resumeFanOut(deps: FanOutDeps, record: EditionRecord): Promise<number> {
  const key = editionKey(record.week, record.revision);
  const settled = await deps.ledger.settledAddresses(key);
  let queued = 0;
  for await (const page of deps.confirmedPages()) {
    const addresses = page.map((s) => s.mailbox).filter((address) => !settled.has(address));
    if (addresses.length === 0) continue;
    await deps.enqueue(jobsFor(record.week, record.revision, addresses));
    queued += addresses.length;
  }
  await deps.ledger.finishQueueing(key, settled.size + queued, deps.now());
  return queued;
}
