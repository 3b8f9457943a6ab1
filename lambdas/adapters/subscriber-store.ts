import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '#config/env';
import type { Subscriber, SubscriberPage, SubscriberStore } from '#core/subscriptions/subscribers';
import { conditionalWrite, documents } from './dynamodb';
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

/** The index partition of shard `n`: `c#0` … `c#9`. */
export function confirmedShardKey(shard: number): string {
  return `c#${shard}`;
}

/** Which shard an address falls in: stable, so a re-confirmed subscriber lands where it was. */
export function shardOf(address: string): number {
  return (createHash('sha256').update(address, 'utf8').digest()[0] ?? 0) % SUBSCRIBER_SHARDS;
}

function toAttributes(subscriber: Subscriber): Record<string, unknown> {
  // The index key exists only while confirmed: the index is the list of recipients.
  return subscriber.status === 'confirmed'
    ? { ...subscriber, confirmedShard: confirmedShardKey(shardOf(subscriber.address)) }
    : { ...subscriber };
}

function fromAttributes(attributes: Record<string, unknown>): Subscriber {
  const { confirmedShard: _shard, ...subscriber } = attributes;
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
    const { address, confirmedShard } = decoded as Record<string, unknown>;
    const keys = Object.keys(decoded);
    if (
      typeof address === 'string' &&
      confirmedShard === confirmedShardKey(shard) &&
      keys.length === 2 &&
      keys.includes('address') &&
      keys.includes('confirmedShard')
    ) {
      return { address, confirmedShard };
    }
  }
  throw new Error(`not a cursor of subscriber shard ${shard}`);
}

/** Subscribers in DynamoDB: one item per address, every write conditional on the version read. */
export class DynamoSubscriberStore implements SubscriberStore {
  constructor(private readonly table = requireEnv(subscribersTable.envVar)) {}

  async get(address: string): Promise<Subscriber | undefined> {
    const out = await documents.send(
      new GetCommand({ TableName: this.table, Key: { address }, ConsistentRead: true }),
    );
    return out.Item === undefined ? undefined : fromAttributes(out.Item);
  }

  async create(subscriber: Subscriber): Promise<boolean> {
    return conditionalWrite(
      documents.send(
        new PutCommand({
          TableName: this.table,
          Item: toAttributes(subscriber),
          ConditionExpression: 'attribute_not_exists(address)',
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

  /**
   * One page of confirmed subscribers of `shard`, in address order. The index is eventually
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
