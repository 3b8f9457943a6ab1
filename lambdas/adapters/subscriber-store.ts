import { createHash } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '#config/env';
import type {
  ForgottenEntry,
  Subscriber,
  SubscriberPage,
  SubscriberStore,
} from '#core/subscriptions/subscribers';
import { batchGetAll, conditionalWrite, documents } from './dynamodb';
import { subscribersTable } from './table-definitions';

/**
 * How many partitions the `byConfirmedShard` index spreads confirmed subscribers over. A sender
 * may read them with up to this many workers at once; changing it needs a backfill of
 * `confirmedShard`, so it is fixed.
 */
export const SUBSCRIBER_SHARDS = 10;

/** Up to this many subscribers per page (DynamoDB also stops a page at 1 MB). */
export const MAX_PAGE_SIZE = 1000;

const CONFIRMED_INDEX = 'byConfirmedShard';
const FORGET_INDEX = 'byForgetAt';
/** The one partition of `byForgetAt`: pending mailboxes are few (the confirmation budget caps them). */
const PENDING_KEY = 'pending';

/** The index partition of shard `n`: `c#0` … `c#9`. */
export function confirmedShardKey(shard: number): string {
  return `c#${shard}`;
}

/** Which shard a mailbox falls in: stable, so a re-confirmed subscriber lands where it was. */
export function shardOf(mailbox: string): number {
  return (createHash('sha256').update(mailbox, 'utf8').digest()[0] ?? 0) % SUBSCRIBER_SHARDS;
}

function toAttributes(subscriber: Subscriber): Record<string, unknown> {
  // Each index key exists only in its state: the confirmed index is the list of recipients, the
  // pending one the list of mailboxes to forget.
  if (subscriber.status === 'confirmed') {
    return { ...subscriber, confirmedShard: confirmedShardKey(shardOf(subscriber.mailbox)) };
  }
  if (subscriber.status === 'pending' && subscriber.forgetAt !== undefined) {
    return { ...subscriber, pendingKey: PENDING_KEY };
  }
  return { ...subscriber };
}

function fromAttributes(attributes: Record<string, unknown>): Subscriber {
  const { confirmedShard: _shard, pendingKey: _pending, ...subscriber } = attributes;
  return subscriber as unknown as Subscriber;
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The LastEvaluatedKey a cursor carries; anything else is refused rather than passed to DynamoDB. */
function decodeCursor(cursor: string, shard: number): Record<string, string> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (typeof decoded === 'object' && decoded !== null && !Array.isArray(decoded)) {
    const { mailbox, confirmedShard } = decoded as Record<string, unknown>;
    const keys = Object.keys(decoded);
    if (
      typeof mailbox === 'string' &&
      confirmedShard === confirmedShardKey(shard) &&
      keys.length === 2 &&
      keys.includes('mailbox') &&
      keys.includes('confirmedShard')
    ) {
      return { mailbox, confirmedShard };
    }
  }
  throw new Error(`not a cursor of subscriber shard ${shard}`);
}

/** Subscribers in DynamoDB: one item per mailbox, every write conditional on the version read. */
export class DynamoSubscriberStore implements SubscriberStore {
  constructor(private readonly table = requireEnv(subscribersTable.envVar)) {}

  async get(mailbox: string): Promise<Subscriber | undefined> {
    const out = await documents.send(
      new GetCommand({ TableName: this.table, Key: { mailbox }, ConsistentRead: true }),
    );
    return out.Item === undefined ? undefined : fromAttributes(out.Item);
  }

  /** Many subscribers at once (consistent, 100 keys a call): the mailboxes not stored are absent. */
  async getMany(mailboxes: readonly string[]): Promise<Map<string, Subscriber>> {
    const found = await batchGetAll<Record<string, unknown>>(
      this.table,
      mailboxes.map((mailbox) => ({ mailbox })),
    );
    return new Map(found.map((attributes) => [String(attributes.mailbox), fromAttributes(attributes)]));
  }

  async create(subscriber: Subscriber): Promise<boolean> {
    return conditionalWrite(
      documents.send(
        new PutCommand({
          TableName: this.table,
          Item: toAttributes(subscriber),
          ConditionExpression: 'attribute_not_exists(mailbox)',
        }),
      ),
    );
  }

  async replace(subscriber: Subscriber, expectedVersion: number): Promise<boolean> {
    if (subscriber.version !== expectedVersion + 1) {
      throw new Error('a replaced subscriber must carry the next version');
    }
    return conditionalWrite(
      documents.send(
        new PutCommand({
          TableName: this.table,
          Item: toAttributes(subscriber),
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
      ),
    );
  }

  async deletePending(mailbox: string, expectedVersion: number): Promise<boolean> {
    return conditionalWrite(
      documents.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { mailbox },
          ConditionExpression: '#version = :expected AND #status = :pending',
          ExpressionAttributeNames: { '#version': 'version', '#status': 'status' },
          ExpressionAttributeValues: { ':expected': expectedVersion, ':pending': 'pending' },
        }),
      ),
    );
  }

  /** The index may lag: the sweep's conditional delete is what decides. */
  async listForgotten(now: Date, limit: number): Promise<readonly ForgottenEntry[]> {
    const out = await documents.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: FORGET_INDEX,
        KeyConditionExpression: 'pendingKey = :pending AND forgetAt <= :now',
        ExpressionAttributeValues: { ':pending': PENDING_KEY, ':now': now.toISOString() },
        ProjectionExpression: '#mailbox, #version',
        ExpressionAttributeNames: { '#mailbox': 'mailbox', '#version': 'version' },
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => ({
      mailbox: String(item.mailbox),
      version: Number(item.version),
    }));
  }

  /**
   * One page of confirmed subscribers of `shard`, in mailbox order. The index is eventually
   * consistent: a subscriber confirmed or unsubscribed a moment ago may be missing or still listed,
   * so a sender re-reads the item (`get`) before each send.
   */
  async listConfirmed(
    shard: number,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<SubscriberPage> {
    if (!Number.isInteger(shard) || shard < 0 || shard >= SUBSCRIBER_SHARDS) {
      throw new RangeError(`a subscriber shard is an integer from 0 to ${SUBSCRIBER_SHARDS - 1}`);
    }
    const limit = Math.min(Math.max(1, Math.floor(options.limit ?? MAX_PAGE_SIZE)), MAX_PAGE_SIZE);
    const out = await documents.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: CONFIRMED_INDEX,
        KeyConditionExpression: 'confirmedShard = :shard',
        ExpressionAttributeValues: { ':shard': confirmedShardKey(shard) },
        Limit: limit,
        ...(options.cursor === undefined ? {} : { ExclusiveStartKey: decodeCursor(options.cursor, shard) }),
      }),
    );
    const subscribers = (out.Items ?? []).map(fromAttributes);
    return out.LastEvaluatedKey === undefined
      ? { subscribers }
      : { subscribers, cursor: encodeCursor(out.LastEvaluatedKey) };
  }
}

/**
 * Every confirmed subscriber, shard after shard, page by page: the simple read for a sender that
 * does not fan out. A sender with workers gives each one shard and calls `listConfirmed` itself.
 */
export async function* confirmedSubscribers(
  store: SubscriberStore,
  pageSize = MAX_PAGE_SIZE,
): AsyncGenerator<readonly Subscriber[]> {
  for (let shard = 0; shard < SUBSCRIBER_SHARDS; shard += 1) {
    let cursor: string | undefined;
    do {
      const page = await store.listConfirmed(shard, {
        limit: pageSize,
        ...(cursor === undefined ? {} : { cursor }),
      });
      if (page.subscribers.length > 0) yield page.subscribers;
      cursor = page.cursor;
    } while (cursor !== undefined);
  }
}
