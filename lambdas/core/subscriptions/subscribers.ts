/**
 * The subscription list: who may receive the weekly email, and the ports the subscription use
 * cases need. No AWS import: lambdas/adapters implements the ports.
 */

export type SubscriberStatus = 'pending' | 'confirmed' | 'unsubscribed' | 'suppressed';

/** Why SES told us to stop: a permanent bounce, or a complaint (marked as spam). */
export type SuppressionReason = 'bounce' | 'complaint';

export interface Subscriber {
  /** The mailbox (`mailboxOf`): the key. One mailbox, one subscription. */
  readonly mailbox: string;
  /**
   * Where mail goes: the spelling of the request that made the mailbox known (or re-opened it
   * after an unsubscribe), trimmed and lower-cased.
   */
  readonly address: string;
  readonly status: SubscriberStatus;
  /**
   * Random, made when the mailbox becomes known and kept for the item's life: every link names
   * it, so links die with the item (a forgotten address) and live as long as it does.
   */
  readonly id: string;
  /** Bumped by every write; each write is conditional on the version it read. */
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The latest subscribe request that reached the mailbox. */
  readonly lastRequestAt: string;
  /**
   * Set while pending: when the mailbox reads as absent (30 days after its last request); the
   * daily sweep deletes it from then on.
   */
  readonly forgetAt?: string;
  /** When the latest confirmation email was sent (at most one an hour). */
  readonly lastConfirmationSentAt?: string;
  readonly confirmedAt?: string;
  readonly unsubscribedAt?: string;
  readonly suppressedAt?: string;
  readonly suppressionReason?: SuppressionReason;
}

/** A page of confirmed subscribers and where the next page starts. */
export interface SubscriberPage {
  readonly subscribers: readonly Subscriber[];
  /** Opaque (safe to put in a queue message); absent on the shard's last page. */
  readonly cursor?: string;
}

/** A pending subscriber past its `forgetAt`, as the sweep finds it. */
export interface ForgottenEntry {
  readonly mailbox: string;
  readonly version: number;
}

export interface SubscriberStore {
  get(mailbox: string): Promise<Subscriber | undefined>;
  /** Stores a new subscriber (version 1); false when the mailbox is already known. */
  create(subscriber: Subscriber): Promise<boolean>;
  /**
   * Replaces the subscriber if its stored version is still `expectedVersion` (the new item's
   * version must be `expectedVersion + 1`); false when another write came first.
   */
  replace(subscriber: Subscriber, expectedVersion: number): Promise<boolean>;
  /** Deletes a pending subscriber still at `expectedVersion`; false when it changed since. */
  deletePending(mailbox: string, expectedVersion: number): Promise<boolean>;
  /** Up to `limit` pending subscribers whose `forgetAt` is at or before `now` (the sweep's reading). */
  listForgotten(now: Date, limit: number): Promise<readonly ForgottenEntry[]>;
  /**
   * One page of the confirmed subscribers in one shard (0 to `shards - 1`), in mailbox order.
   * Shards let a sender read the list with several workers at once.
   */
  listConfirmed(shard: number, options?: { limit?: number; cursor?: string }): Promise<SubscriberPage>;
}

/** Where the key for subscription tokens comes from (a file locally, Secrets Manager deployed). */
export interface SecretSource {
  /** The key bytes; read once and cached by the adapter. Never log them. */
  key(): Promise<Uint8Array>;
}
