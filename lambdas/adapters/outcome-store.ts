import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '#config/env';
import { inHistoryOrder } from '#core/intake/history-order';
import type { HistoryEntry, OutcomeItem, OutcomeStore } from '#core/intake/model';
import { weekKeys } from '#core/intake/outcome-record';
import { batchGetAll, conditionalWrite, documents, queryAll } from './dynamodb';
import { historyTable, outcomesTable } from './table-definitions';

const REVISION_DIGITS = 10;

/** History sort key: revisions by number; dispute steps by time (they carry no revision). */
function historySeq(entry: HistoryEntry): string {
  if (entry.revision !== null) return `r${String(entry.revision).padStart(REVISION_DIGITS, '0')}`;
  return `d${entry.at}#${entry.dispute?.id ?? ''}#${entry.dispute?.step ?? ''}`;
}

function toAttributes(item: OutcomeItem): Record<string, unknown> {
  return { ...item, ...weekKeys(item.record, item.voided) };
}

function fromAttributes(attributes: Record<string, unknown>): OutcomeItem {
  const { issuedWeek: _issued, declinedWeek: _declined, ...item } = attributes;
  return item as unknown as OutcomeItem;
}

/** Outcome records in DynamoDB (see OutcomeStore for the write order). */
export class DynamoOutcomeStore implements OutcomeStore {
  constructor(
    private readonly outcomes = requireEnv(outcomesTable.envVar),
    private readonly history = requireEnv(historyTable.envVar),
  ) {}

  async get(detainerId: string): Promise<OutcomeItem | undefined> {
    const out = await documents.send(
      new GetCommand({ TableName: this.outcomes, Key: { detainerId }, ConsistentRead: true }),
    );
    return out.Item ? fromAttributes(out.Item) : undefined;
  }

  async getMany(detainerIds: readonly string[]): Promise<Map<string, OutcomeItem>> {
    const found = await batchGetAll<Record<string, unknown>>(
      this.outcomes,
      detainerIds.map((detainerId) => ({ detainerId })),
    );
    return new Map(found.map((attributes) => [String(attributes.detainerId), fromAttributes(attributes)]));
  }

  async getByRef(ref: string): Promise<OutcomeItem | undefined> {
    const page = await documents.send(
      new QueryCommand({
        TableName: this.outcomes,
        IndexName: 'byRef',
        KeyConditionExpression: '#ref = :ref',
        ExpressionAttributeNames: { '#ref': 'ref' },
        ExpressionAttributeValues: { ':ref': ref },
        ProjectionExpression: 'detainerId',
      }),
    );
    const id = page.Items?.[0]?.detainerId;
    return typeof id === 'string' ? this.get(id) : undefined;
  }

  async create(item: OutcomeItem): Promise<boolean> {
    return this.conditionalPut(item, 'attribute_not_exists(detainerId)', {});
  }

  async replace(item: OutcomeItem, expectedRevision: number): Promise<boolean> {
    return this.conditionalPut(item, 'revision = :expected', { ':expected': expectedRevision });
  }

  private async conditionalPut(
    item: OutcomeItem,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    return conditionalWrite(
      documents.send(
        new PutCommand({
          TableName: this.outcomes,
          Item: toAttributes(item),
          ConditionExpression: condition,
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
        }),
      ),
    );
  }

  async putHistory(detainerId: string, entry: HistoryEntry): Promise<void> {
    // Deterministic key and content: putting the same entry twice is harmless.
    await documents.send(
      new PutCommand({ TableName: this.history, Item: { detainerId, seq: historySeq(entry), entry } }),
    );
  }

  async listHistory(detainerId: string): Promise<HistoryEntry[]> {
    const items = await queryAll<{ entry: HistoryEntry }>({
      TableName: this.history,
      KeyConditionExpression: 'detainerId = :id',
      ExpressionAttributeValues: { ':id': detainerId },
      ConsistentRead: true,
    });
    return inHistoryOrder(items.map((item) => item.entry));
  }
}
