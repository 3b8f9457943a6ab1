import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '#config/env';
import type { EditionRecord, EditionStore, PendingWrite } from '#core/edition/ports';
import { conditionalWrite, documents, queryAll, untilProcessed } from './dynamodb';
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

  /**
   * Notes a write's marks, and resolves once they are stored: the caller writes its record only
   * then. Marks asked for at about the same time (a batch's writers, 16 at once) are put together
   * in BatchWriteItem calls of up to 25, so a backfilled record costs a fraction of a call for
   * its marks rather than one PutItem per week.
   */
  async markWrite(
    weeks: readonly string[],
    write: { detainerId: string; revision: number },
    at: string,
  ): Promise<void> {
    const items = [...new Set(weeks)].map((week) => ({
      ...writeKey(week, write.detainerId),
      revision: write.revision,
      at,
    }));
    if (items.length === 0) return;
    await this.marks.put(items);
  }

  private markBuffer: MarkBuffer | undefined;
  private get marks(): MarkBuffer {
    this.markBuffer ??= new MarkBuffer(this.table);
    return this.markBuffer;
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

type MarkItem = { week: string; rev: string; revision: number; at: string };

/** BatchWriteItem's most items a call. */
const BATCH_WRITE_MAX = 25;
/** How long a mark waits for others to join it: a tick of the event loop and a little more. */
const MARK_GATHER_MS = 2;

/**
 * Marks gathered for a moment and written together. Every caller's promise settles when its own
 * items are stored (BatchWriteItem's unprocessed items are sent again until none is left) or the
 * call failed. Two marks of one key never share a call (BatchWriteItem refuses that): the later
 * waits for the next.
 */
class MarkBuffer {
  private pending: { items: MarkItem[]; done: (error?: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly table: string) {}

  put(items: MarkItem[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ items, done: (error) => (error === undefined ? resolve() : reject(error)) });
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, MARK_GATHER_MS);
    });
  }

  private async flush(): Promise<void> {
    const callers = this.pending;
    this.pending = [];
    // Calls of up to 25 distinct keys, each caller's items kept in one call.
    const groups: (typeof callers)[] = [];
    let group: typeof callers = [];
    let keys = new Set<string>();
    for (const caller of callers) {
      const own = caller.items.map((item) => `${item.week}\u0000${item.rev}`);
      if (
        group.length > 0 &&
        (keys.size + own.length > BATCH_WRITE_MAX || own.some((key) => keys.has(key)))
      ) {
        groups.push(group);
        group = [];
        keys = new Set();
      }
      group.push(caller);
      for (const key of own) keys.add(key);
    }
    if (group.length > 0) groups.push(group);
    await Promise.all(
      groups.map(async (members) => {
        try {
          await this.write(members.flatMap((member) => member.items));
          for (const member of members) member.done();
        } catch (error) {
          for (const member of members) member.done(error ?? new Error('the marks were not written'));
        }
      }),
    );
  }

  private async write(items: MarkItem[]): Promise<void> {
    await untilProcessed(
      're-issue marks',
      items.map((item) => ({ PutRequest: { Item: item } })),
      async (left) => {
        const out = await documents.send(
          new BatchWriteCommand({ RequestItems: { [this.table]: [...left] } }),
        );
        return (out.UnprocessedItems?.[this.table] ?? []).flatMap((request) =>
          request.PutRequest?.Item ? [{ PutRequest: { Item: request.PutRequest.Item as MarkItem } }] : [],
        );
      },
    );
  }
}
