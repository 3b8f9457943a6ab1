import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '#config/env';
import type { ReviewStore, StoredDraft } from '#core/review/gate';
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
