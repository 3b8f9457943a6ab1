import type { Subscriber } from '#core/subscriptions/subscribers';
import type { SendJob } from './send-job';

/** Stands in the stored email for each reader's own unsubscribe link (no character HTML escapes). */
export const UNSUBSCRIBE_PLACEHOLDER = 'https://unsubscribe.invalid/__DDOR_UNSUBSCRIBE__';

export interface StoredEmail {
  subject: string;
  html: string;
  text: string;
}

export const editionKey = (week: string, revision: number) => `${week}#r${revision}`;

/**
 * The edition as an SES message tag (letters, digits, `_` and `-` only): SES's own send event
 * carries it back, so a send whose answer never came is reconciled with the ledger.
 */
export const EDITION_TAG = 'ddor-edition';
export const editionTag = (week: string, revision: number) => `${week}_r${revision}`;
/** The ledger's edition key of a tag value; undefined for a value that is not one. */
export function editionOfTag(value: string): string | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})_r(\d+)$/.exec(value);
  return match ? editionKey(match[1] ?? '', Number(match[2])) : undefined;
}

export type DeferReason = 'throttled' | 'daily-quota' | 'paused';

/**
 * How long a deferred batch waits before it is tried again, by reason (SQS allows 15 minutes at
 * most). The daily quota is a rolling 24 hours, so room comes back bit by bit: asked every 5
 * minutes (GetAccount, no send). A paused account needs a person: every 15 minutes.
 */
export const DEFER_SECONDS: Record<DeferReason, number> = { throttled: 60, 'daily-quota': 300, paused: 900 };

/** How long a send whose answer never came waits for SES's send event before it is sent once more. */
export const UNKNOWN_RESEND_AFTER_MS = 60 * 60 * 1000;

export type ClaimResult = 'claimed' | 'done' | 'busy';

/** Where an edition's fan-out stands: one item, read with one GetItem. */
export interface QueueState {
  status: 'queueing' | 'queued';
  /** Recipients queued (known once `queued`). */
  total: number;
  /** Set while sending waits for SES: the daily quota, or the account's sending paused. */
  paused?: SendPause;
}

/** Why an edition's sending waits, and when the sender next asks SES whether it may go on. */
export interface SendPause {
  reason: 'daily-quota' | 'paused';
  nextCheckAt: string;
}

/** What SES's GetAccount says about sending now. */
export interface AccountState {
  sendingEnabled: boolean;
  /** Sends the 24-hour quota still allows. */
  quotaLeft: number;
}

/** The fan-out's state with what the ledger says was done (an operator's view: it counts every recipient). */
export interface SendProgress extends QueueState {
  sent: number;
  skipped: number;
}

export interface LedgerStore {
  /** Takes the recipient for sending: new, or whose previous lease has expired. */
  claim(edition: string, address: string, owner: string, now: Date, leaseMs: number): Promise<ClaimResult>;
  markSent(edition: string, address: string, owner: string, messageId: string, at: Date): Promise<void>;
  /** Gives up this owner's lease at once (a deferred batch), so the reader can be claimed again. */
  release(edition: string, address: string, owner: string, at: Date): Promise<void>;
  /** Records that SES refused the message for this reader (an address it rejects): done, not sent. */
  markRejected(edition: string, address: string, owner: string, reason: string, at: Date): Promise<void>;
  /**
   * Records that the send's answer never came (a timeout, a reset, a 5xx): SES may have accepted
   * it. Not claimable again until `resendAfter`; SES's send event for it reconciles it first.
   */
  markUnknown(edition: string, address: string, owner: string, at: Date, resendAfter: Date): Promise<void>;
  /** Records SES's send event for a send whose answer never came; true if it was unknown. */
  reconcile(edition: string, address: string, messageId: string, at: Date): Promise<boolean>;
  /** Records that the reader was no longer confirmed at send time; true if this call recorded it. */
  markSkipped(edition: string, address: string, reason: string, at: Date): Promise<boolean>;
  /**
   * The readers the edition is done with (sent, skipped, rejected) or waiting on SES's word about
   * (unknown): what a resumed fan-out leaves out.
   */
  settledAddresses(edition: string): Promise<Set<string>>;
  /** The fan-out's state only: what the publisher needs to decide whether to queue again. */
  queueState(edition: string): Promise<QueueState | undefined>;
  /** The state with sent and skipped counted from the recipient items (for `npm run publish`). */
  progress(edition: string): Promise<SendProgress | undefined>;
  /** Notes on the edition's progress that its sending waits for SES (for `publish` and `status`). */
  notePause(edition: string, pause: SendPause): Promise<void>;
  /** Removes that note once SES lets sending go on. */
  clearPause(edition: string): Promise<void>;
  startQueueing(edition: string, at: Date): Promise<void>;
  finishQueueing(edition: string, total: number, at: Date): Promise<void>;
}

export interface SendDeps {
  ledger: LedgerStore;
  subscriber: (address: string) => Promise<Subscriber | undefined>;
  /**
   * A batch's subscribers in one read, at its start (each recipient's own read otherwise). A
   * reader who unsubscribes while the batch is sending may still get this edition: at most the
   * batch's time, seconds.
   */
  subscribers?: (addresses: readonly string[]) => Promise<Map<string, Subscriber>>;
  email: (week: string, revision: number) => Promise<StoredEmail>;
  unsubscribeUrl: (subscriber: Subscriber) => Promise<string>;
  headers: (unsubscribeUrl: string) => Record<string, string>;
  send: (message: {
    to: string;
    /** SES message tags, carried back in SES's events. */
    tags: Record<string, string>;
    subject: string;
    html: string;
    text: string;
    headers: Record<string, string>;
  }) => Promise<string>;
  rate: { take(): Promise<void> };
  now: () => Date;
  owner: string;
  /** Longer than one SES call can take (its request timeout), so a live lease means a live sender. */
  leaseMs: number;
  isThrottling: (error: unknown) => boolean;
  /** Why SES will not send now, for errors that are about the account, not this message. */
  deferReason?: (error: unknown) => DeferReason | undefined;
  /** SES's GetAccount: asked before a batch that waited for the quota or a pause tries anyone. */
  account?: () => Promise<AccountState>;
  /** The send's answer never came: SES may or may not have accepted the message. */
  isUnknownOutcome: (error: unknown) => boolean;
  /**
   * SES refused this one message because of its recipient (an address it rejects), with the
   * reason; undefined for any other error (a refusal of every message stops the batch).
   */
  rejection?: (error: unknown, address: string) => string | undefined;
  /** @default UNKNOWN_RESEND_AFTER_MS */
  unknownResendAfterMs?: number;
  sleep: (ms: number) => Promise<void>;
  /**
   * How many of a batch's recipients to keep in flight at once (see send-pace.ts); read at the
   * start of each batch. @default 1
   */
  inFlight?: () => number;
  /** A sent recipient's time from its first read to its recorded send, the limiter's wait left out. */
  observeRecipient?: (ms: number) => void;
}

export interface BatchOutcome {
  sent: number;
  skipped: number;
  /** Sends whose answer never came: recorded unknown, never repeated until reconciled or an hour on. */
  unknown: number;
  /** What ended each unknown send (error name and code, no address): for the operator's log. */
  unknownCauses?: string[];
  /** Readers SES refused (recorded with the reason; the rest of the batch went on). */
  rejected?: number;
  /**
   * The readers not yet tried when SES kept throttling, reached the daily quota or said sending
   * is paused: queued again, delayed, as a batch of their own (no receive of this one used up).
   */
  deferred?: { addresses: string[]; reason: DeferReason };
  /** Recipients another worker is sending to right now, or that failed: retry the batch later. */
  pending: string[];
}

const THROTTLE_RETRIES = 6;

/**
 * Sends one batch of an edition's recipients, each exactly once. The publisher renders the
 * email once (with a placeholder for each reader's unsubscribe link), stores it, and queues the
 * recipients in batches; this works through one batch with a per-recipient ledger. Primary
 * course, per recipient:
 *
 *   claim (conditional: new, or an expired lease) → send through SES → mark sent (with MessageId)
 *
 * A crash before the send leaves a lease that expires, and the redelivered batch sends then; a
 * crash after SES accepted the message and before "sent" is recorded is the one window in which
 * a reader may get the message twice. A batch redelivered while another worker holds a live
 * lease is retried later, never sent twice at once.
 */
export async function sendBatch(deps: SendDeps, job: SendJob): Promise<BatchOutcome> {
  const edition = editionKey(job.week, job.revision);
  const outcome: BatchOutcome = { sent: 0, skipped: 0, unknown: 0, pending: [] };
  const pause = async (reason: DeferReason, addresses: string[]): Promise<BatchOutcome> => {
    outcome.deferred = { addresses, reason };
    if (reason !== 'throttled') {
      const nextCheckAt = new Date(deps.now().getTime() + DEFER_SECONDS[reason] * 1000).toISOString();
      await deps.ledger.notePause(edition, { reason, nextCheckAt });
    }
    return outcome;
  };
  if (job.waitingFor !== undefined && deps.account !== undefined) {
    const waiting = await stillWaiting(deps.account, job.waitingFor);
    // Nobody is tried while SES says no: the batch waits again, whole, using up no receive.
    if (waiting !== undefined) return pause(waiting, job.addresses);
    await deps.ledger.clearPause(edition);
  }
  // Recipients in flight together, each through the one limiter: the pace is the limiter's, not
  // the round trips'. A recipient that meets a refusal of the account (throttled past retries,
  // the quota, a pause) stops new ones from starting; those in flight finish.
  const inFlight = Math.max(1, Math.min(job.addresses.length, Math.floor(deps.inFlight?.() ?? 1)));
  const known = deps.subscribers === undefined ? undefined : await deps.subscribers(job.addresses);
  let next = 0;
  let deferredReason: DeferReason | undefined;
  const deferredAt = new Set<number>();
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (deferredReason === undefined && failure === undefined && next < job.addresses.length) {
      const index = next++;
      const address = job.addresses[index] ?? '';
      const started = performance.now();
      try {
        const subscriber = known === undefined ? await deps.subscriber(address) : known.get(address);
        const result = await sendOne(deps, job, edition, address, subscriber, outcome);
        if (result.defer !== undefined) {
          deferredReason ??= result.defer;
          deferredAt.add(index);
        } else if (result.waitedMs !== undefined) {
          deps.observeRecipient?.(performance.now() - started - result.waitedMs);
        }
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  if (failure !== undefined) throw failure.error;
  if (deferredReason !== undefined) {
    // The readers that met the refusal (released) and those never begun wait as a batch of their own.
    const rest = job.addresses.filter((_, index) => deferredAt.has(index) || index >= next);
    return pause(deferredReason, rest);
  }
  return outcome;
}

/**
 * One recipient of a batch: skipped, claimed and sent, or left to others, its result counted in
 * `outcome`. `defer` when SES accepted nothing for a reason of the account (the claim released);
 * `waitedMs` the time it spent waiting for the limiter, when it was sent.
 */
async function sendOne(
  deps: SendDeps,
  job: SendJob,
  edition: string,
  address: string,
  subscriber: Subscriber | undefined,
  outcome: BatchOutcome,
): Promise<{ defer?: DeferReason; waitedMs?: number }> {
  if (subscriber?.status !== 'confirmed') {
    if (await deps.ledger.markSkipped(edition, address, subscriber?.status ?? 'unknown', deps.now()))
      outcome.skipped++;
    return {};
  }
  const claim = await deps.ledger.claim(edition, address, deps.owner, deps.now(), deps.leaseMs);
  if (claim === 'done') return {};
  if (claim === 'busy') {
    outcome.pending.push(address);
    return {};
  }
  const stored = await deps.email(job.week, job.revision);
  const link = await deps.unsubscribeUrl(subscriber);
  const message = {
    // The job names mailboxes (the subscribers' keys); mail goes to the address as typed.
    to: subscriber.address,
    tags: { [EDITION_TAG]: editionTag(job.week, job.revision) },
    subject: stored.subject,
    html: stored.html.split(UNSUBSCRIBE_PLACEHOLDER).join(link),
    text: stored.text.split(UNSUBSCRIBE_PLACEHOLDER).join(link),
    headers: deps.headers(link),
  };
  const defer = async (reason: DeferReason) => {
    // SES accepted nothing: this reader and the rest wait as a batch of their own.
    await deps.ledger.release(edition, address, deps.owner, deps.now());
    return { defer: reason };
  };
  const waited = { ms: 0 };
  let messageId: string | undefined;
  try {
    messageId = await sendWithBackoff(deps, message, waited);
  } catch (error) {
    const reason = deps.deferReason?.(error);
    if (reason !== undefined) return defer(reason);
    const rejected = deps.rejection?.(error, subscriber.address);
    if (rejected !== undefined) {
      await deps.ledger.markRejected(edition, address, deps.owner, rejected, deps.now());
      outcome.rejected = (outcome.rejected ?? 0) + 1;
      return {};
    }
    if (!deps.isUnknownOutcome(error)) throw error;
    // SES may have accepted it: never sent again at once; its send event settles it.
    // One clock read: the wait is exactly the configured one, not a millisecond less.
    const at = deps.now();
    const after = new Date(at.getTime() + (deps.unknownResendAfterMs ?? UNKNOWN_RESEND_AFTER_MS));
    await deps.ledger.markUnknown(edition, address, deps.owner, at, after);
    outcome.unknown++;
    const causes = outcome.unknownCauses ?? [];
    causes.push(errorCause(error));
    outcome.unknownCauses = causes;
    outcome.pending.push(address);
    return {};
  }
  if (messageId === undefined) return defer('throttled');
  await deps.ledger.markSent(edition, address, deps.owner, messageId, deps.now());
  outcome.sent++;
  return { waitedMs: waited.ms };
}

/** An error's name, code and HTTP status, as the operator needs them to tell a timeout from a reset. */
function errorCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: string }).code;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return [error.name, code, status].filter((part) => part !== undefined).join(' ');
}

/** Why SES still will not send, by its GetAccount; an answer that never came counts as "still". */
async function stillWaiting(
  account: () => Promise<AccountState>,
  waitingFor: 'daily-quota' | 'paused',
): Promise<'daily-quota' | 'paused' | undefined> {
  let state: AccountState;
  try {
    state = await account();
  } catch {
    return waitingFor;
  }
  if (!state.sendingEnabled) return 'paused';
  if (state.quotaLeft < 1) return 'daily-quota';
  return undefined;
}

async function sendWithBackoff(
  deps: SendDeps,
  message: Parameters<SendDeps['send']>[0],
  waited: { ms: number },
): Promise<string | undefined> {
  for (let attempt = 0; attempt <= THROTTLE_RETRIES; attempt++) {
    const before = performance.now();
    await deps.rate.take();
    waited.ms += performance.now() - before;
    try {
      return await deps.send(message);
    } catch (error) {
      // The daily quota and a paused account do not pass in seconds: no retry here.
      if (!deps.isThrottling(error) || deps.deferReason?.(error) !== undefined) throw error;
      await deps.sleep(Math.min(5_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2));
    }
  }
  return undefined;
}
