import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '#config/env';
import type { ReviewStore, StoredDraft } from '#core/review/gate';
import type { RunNotices } from '#core/review/notice';
import { conditionalWrite, documents, queryAll } from './dynamodb';
import { editionsTable } from './table-definitions';

/**
 * Drafts live in the Editions table under a reserved partition (`_review`, no week can equal it),
 * one item per week (`rev` = the week): one Query lists them all for `npm run status` and for the
 * approval of a whole run, and nothing of them is public. Writes are conditional on `version`.
 */
const REVIEW_PARTITION = '_review';

interface DraftItem extends StoredDraft {
  week: typeof REVIEW_PARTITION;
  rev: string;
}

function toStored(item: Record<string, unknown>): StoredDraft {
  const { week: _partition, rev: _rev, ...stored } = item as unknown as DraftItem;
  return stored;
}

export class DynamoReviewStore implements ReviewStore {
  constructor(private readonly table = requireEnv(editionsTable.envVar)) {}

  async get(week: string): Promise<StoredDraft | undefined> {
    const { Item } = await documents.send(
      new GetCommand({
        TableName: this.table,
        Key: { week: REVIEW_PARTITION, rev: week },
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? undefined : toStored(Item);
  }

  async list(): Promise<StoredDraft[]> {
    const items = await queryAll<Record<string, unknown>>({
      TableName: this.table,
      KeyConditionExpression: '#week = :p',
      ExpressionAttributeNames: { '#week': 'week' },
      ExpressionAttributeValues: { ':p': REVIEW_PARTITION },
      ScanIndexForward: false,
      ConsistentRead: true,
    });
    return items.map(toStored);
  }

  async save(stored: StoredDraft, expectedVersion: number): Promise<boolean> {
    const item: DraftItem = { ...stored, week: REVIEW_PARTITION, rev: stored.draft.week };
    return conditionalWrite(
      documents.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(rev)' : 'version = :expected',
          ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':expected': expectedVersion } }),
        }),
      ),
    );
  }
}

/**
 * Each weekly run's progress towards its editors' email (`_runs` partition, `rev` = the run's
 * id): the weeks settled so far as a string set (ADD is idempotent, so a redelivered message
 * counts once) and, once claimed, when the email went. One small item a week: kept, like the
 * drafts' decisions.
 */
const RUNS_PARTITION = '_runs';

export class DynamoRunNotices implements RunNotices {
  constructor(private readonly table = requireEnv(editionsTable.envVar)) {}

  private key(runId: string) {
    return { week: RUNS_PARTITION, rev: runId };
  }

  async settle(runId: string, week: string): Promise<readonly string[]> {
    const { Attributes } = await documents.send(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(runId),
        UpdateExpression: 'ADD settled :week',
        ExpressionAttributeValues: { ':week': new Set([week]) },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const settled = Attributes?.settled as Set<string> | undefined;
    return settled === undefined ? [] : [...settled];
  }

  async claim(runId: string, at: string): Promise<boolean> {
    return conditionalWrite(
      documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(runId),
          UpdateExpression: 'SET notifiedAt = :at',
          ConditionExpression: 'attribute_not_exists(notifiedAt)',
          ExpressionAttributeValues: { ':at': at },
        }),
      ),
    );
  }

  async release(runId: string): Promise<void> {
    await documents.send(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(runId),
        UpdateExpression: 'REMOVE notifiedAt',
      }),
    );
  }

  async claimed(runId: string): Promise<boolean> {
    const { Item } = await documents.send(
      new GetCommand({ TableName: this.table, Key: this.key(runId), ConsistentRead: true }),
    );
    return typeof Item?.notifiedAt === 'string';
  }
}
