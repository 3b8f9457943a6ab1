import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '#config/env';
import type { EditionRecord, EditionStore, PendingWrite } from '#core/edition/ports';
import { conditionalWrite, documents, queryAll } from './dynamodb';
import { editionsTable } from './table-definitions';

const revKey = (revision: number) => `r${String(revision).padStart(10, '0')}`;
/** Control items live beside the weeks under reserved partition keys (`_…`) that no week can equal. */
const META_WEEK = '_meta';
/**
 * Re-issue marks, spread over a few partitions by week: every record write to an ended week puts
 * one, and a single partition takes about 1,000 writes a second. The weekly run reads them all.
 * A week is marked by its own item (`rev` = the week: a change with no write to wait for, such as
 * a rename) or by any write noted for it (`rev` = `{week}#{detainerId}`): one item per write does
 * both jobs, so a record write costs one PutItem per week it touches, not two.
 */
const DIRTY_SHARDS = 8;
const dirtyPartition = (shard: number) => `_dirty#${shard}`;
const dirtyKey = (week: string) => ({ week: dirtyPartition(shardOf(week)), rev: week });
const WRITE_SEPARATOR = '#';
const writeKey = (week: string, detainerId: string) => ({
  week: dirtyPartition(shardOf(week)),
  rev: `${week}${WRITE_SEPARATOR}${detainerId}`,
});

/** FNV-1a of the week, so consecutive weeks (a backfill) land in different partitions. */
function shardOf(week: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < week.length; i++) hash = Math.imul(hash ^ week.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % DIRTY_SHARDS;
}

interface EditionItem extends EditionRecord {
  rev: string;
  archive: 'edition';
  weekRev: string;
}

function toRecord(item: Record<string, unknown>): EditionRecord {
  const { rev: _rev, archive: _archive, weekRev: _weekRev, ...record } = item as unknown as EditionItem;
  return record;
}

export class DynamoEditionStore implements EditionStore {
  constructor(private readonly table = requireEnv(editionsTable.envVar)) {}

  async latest(week: string): Promise<EditionRecord | undefined> {
    const page = await documents.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: '#week = :w AND begins_with(rev, :r)',
        ExpressionAttributeNames: { '#week': 'week' },
        ExpressionAttributeValues: { ':w': week, ':r': 'r' },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = page.Items?.[0];
    return item ? toRecord(item) : undefined;
  }

  async commit(record: EditionRecord): Promise<boolean> {
    const item: EditionItem = {
      ...record,
      rev: revKey(record.revision),
      archive: 'edition',
      weekRev: `${record.week}#${revKey(record.revision)}`,
    };
    return conditionalWrite(
      documents.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(rev)',
        }),
      ),
    );
  }

  async listAll(): Promise<EditionRecord[]> {
    const items = await queryAll<Record<string, unknown>>({
      TableName: this.table,
      IndexName: 'archive',
      KeyConditionExpression: '#archive = :a',
      ExpressionAttributeNames: { '#archive': 'archive' },
      ExpressionAttributeValues: { ':a': 'edition' },
      ScanIndexForward: false,
    });
    return items.map(toRecord);
  }

  async lastEmailedWeek(): Promise<string | undefined> {
    const out = await documents.send(
      new GetCommand({
        TableName: this.table,
        Key: { week: META_WEEK, rev: 'lastEmailed' },
        ConsistentRead: true,
      }),
    );
    const week = out.Item?.emailedWeek;
    return typeof week === 'string' ? week : undefined;
  }

  async claimEmail(week: string): Promise<boolean> {
    return conditionalWrite(
      documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { week: META_WEEK, rev: 'lastEmailed' },
          UpdateExpression: 'SET emailedWeek = :w',
          ConditionExpression: 'attribute_not_exists(emailedWeek) OR emailedWeek <= :w',
          ExpressionAttributeValues: { ':w': week },
        }),
      ),
    );
  }

  async markEmailed(week: string): Promise<void> {
    // A newer week was already emailed: keep it.
    await conditionalWrite(
      documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { week: META_WEEK, rev: 'lastEmailed' },
          UpdateExpression: 'SET emailedWeek = :w',
          ConditionExpression: 'attribute_not_exists(emailedWeek) OR emailedWeek < :w',
          ExpressionAttributeValues: { ':w': week },
        }),
      ),
    );
  }

  /**
   * A lease on the archive's shared files (archive-site.ts): taken when free or expired, so a
   * publication that died holding it delays the next by at most the lease.
   */
  async takeArchiveLease(holder: string, now: number, leaseMs: number): Promise<boolean> {
    return conditionalWrite(
      documents.send(
        new PutCommand({
          TableName: this.table,
          Item: { week: META_WEEK, rev: 'archiveLease', holder, until: now + leaseMs },
          ConditionExpression: 'attribute_not_exists(rev) OR #until < :now OR holder = :holder',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':now': now, ':holder': holder },
        }),
      ),
    );
  }

  async releaseArchiveLease(holder: string): Promise<void> {
    await conditionalWrite(
      documents.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { week: META_WEEK, rev: 'archiveLease' },
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      ),
    );
  }

  async dirtyWeeks(): Promise<string[]> {
    const shards = await Promise.all(
      Array.from({ length: DIRTY_SHARDS }, (_, shard) =>
        queryAll<{ rev: string }>({
          TableName: this.table,
          KeyConditionExpression: '#week = :d',
          ExpressionAttributeNames: { '#week': 'week' },
          ExpressionAttributeValues: { ':d': dirtyPartition(shard) },
          ProjectionExpression: 'rev',
          ConsistentRead: true,
        }),
      ),
    );
    // A week's own mark and its noted writes: the week is what comes before the separator.
    const weeks = new Set(shards.flat().map((item) => item.rev.split(WRITE_SEPARATOR)[0] ?? item.rev));
    return [...weeks].sort();
  }

  async markDirty(weeks: readonly string[], at: string): Promise<void> {
    for (const week of new Set(weeks)) {
      await documents.send(new PutCommand({ TableName: this.table, Item: { ...dirtyKey(week), at } }));
    }
  }

  async markWrite(
    weeks: readonly string[],
    write: { detainerId: string; revision: number },
    at: string,
  ): Promise<void> {
    for (const week of new Set(weeks)) {
      await documents.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...writeKey(week, write.detainerId), revision: write.revision, at },
        }),
      );
    }
  }

  async pendingWrites(week: string): Promise<PendingWrite[]> {
    const prefix = `${week}${WRITE_SEPARATOR}`;
    const items = await queryAll<{ rev: string; revision: number; at: string }>({
      TableName: this.table,
      KeyConditionExpression: '#week = :d AND begins_with(rev, :prefix)',
      ExpressionAttributeNames: { '#week': 'week' },
      ExpressionAttributeValues: { ':d': dirtyKey(week).week, ':prefix': prefix },
      ConsistentRead: true,
    });
    return items.map((item) => ({
      detainerId: item.rev.slice(prefix.length),
      revision: item.revision,
      at: item.at,
    }));
  }

  async settlePending(week: string, write: PendingWrite): Promise<void> {
    await conditionalWrite(
      documents.send(
        new DeleteCommand({
          TableName: this.table,
          Key: writeKey(week, write.detainerId),
          ConditionExpression: 'attribute_not_exists(rev) OR revision = :revision',
          ExpressionAttributeValues: { ':revision': write.revision },
        }),
      ),
    );
  }

  async clearDirty(week: string, seenAt: string): Promise<void> {
    // Only if no change marked it again after the run read it.
    await conditionalWrite(
      documents.send(
        new DeleteCommand({
          TableName: this.table,
          Key: dirtyKey(week),
          ConditionExpression: 'attribute_not_exists(rev) OR #at <= :seen',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':seen': seenAt },
        }),
      ),
    );
  }
}
