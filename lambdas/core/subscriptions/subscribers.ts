/**
 * The subscription list: who may receive the weekly email, and the ports the subscription use
 * cases need. No AWS import: lambdas/adapters implements the ports.
 */

export type SubscriberStatus = 'pending' | 'confirmed' | 'unsubscribed' | 'suppressed';

/** Why SES told us to stop: a permanent bounce, or a complaint (marked as spam). */
export type SuppressionReason = 'bounce' | 'complaint';

export interface Subscriber {
  /** The normalised address (trimmed, lower-case): the key. */
  readonly address: string;
  readonly status: SubscriberStatus;
  /**
   * Random, part of every token made for this subscriber: replacing it voids them all. Replaced
   * when an unsubscribed address asks to subscribe again.
   */
  readonly nonce: string;
  /** Bumped by every write; each write is conditional on the version it read. */
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
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

export interface SubscriberStore {
  get(address: string): Promise<Subscriber | undefined>;
  /** Stores a new subscriber (version 1); false when the address is already known. */
  create(subscriber: Subscriber): Promise<boolean>;
  /**
   * Replaces the subscriber if its stored version is still `expectedVersion` (the new item's
   * version must be `expectedVersion + 1`); false when another write came first.
   */
  replace(subscriber: Subscriber, expectedVersion: number): Promise<boolean>;
  /**
   * One page of the confirmed subscribers in one shard (0 to `shards - 1`), in address order.
   * Shards let a sender read the list with several workers at once.
   */
  listConfirmed(shard: number, options?: { limit?: number; cursor?: string }): Promise<SubscriberPage>;
}

/** Where the HMAC key for subscription tokens comes from (a file locally, Secrets Manager deployed). */
export interface SecretSource {
  /** The key bytes; read once and cached by the adapter. Never log them. */
  key(): Promise<Uint8Array>;
}
