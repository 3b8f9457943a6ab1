import { GetCommand, PutCommand, paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '#config/env';
import type { DisputeItem, DisputeStatus, DisputeStore } from '#core/intake/model';
import { backoff } from '#core/retry';
import { conditionalWrite, documents, queryAll } from './dynamodb';
import { disputesTable } from './table-definitions';

/**
 * Control items share the table under ids no dispute can have (`_…`; dispute ids start with `D`).
 * They carry no `status`, so the byStatus index never lists them.
 */
const rateId = (clientId: string) => `_rate#${clientId}`;
const recordSlotId = (clientId: string, detainerId: string) => `_open#${clientId}#${detainerId}`;
const idempotencyId = (clientId: string, key: string) => `_idem#${clientId}#${key}`;

const DAY_MS = 24 * 60 * 60 * 1000;

export class DynamoDisputeStore implements DisputeStore {
  constructor(private readonly table = requireEnv(disputesTable.envVar)) {}

  async create(dispute: DisputeItem): Promise<boolean> {
    return conditionalWrite(
      documents.send(
        new PutCommand({
          TableName: this.table,
          Item: dispute,
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      ),
    );
  }

  async listByStatusFrom(
    status: DisputeStatus,
    from: string,
    want: number,
    accept: (dispute: DisputeItem) => boolean,
  ): Promise<DisputeItem[]> {
    const found: DisputeItem[] = [];
    const pages = paginateQuery(
      { client: documents, pageSize: Math.min(Math.max(want, 25), 500) },
      {
        TableName: this.table,
        IndexName: 'byStatus',
        KeyConditionExpression: '#s = :s AND openedAt >= :from',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': status, ':from': from },
      },
    );
    for await (const page of pages) {
      for (const item of (page.Items ?? []) as DisputeItem[]) if (accept(item)) found.push(item);
      if (found.length >= want) break;
    }
    return found;
  }

  async takeOpeningSlot(clientId: string, at: string, limit: number): Promise<{ retryAt?: string }> {
    // One item per client holding the times of its openings in the last 24 hours, replaced with a
    // condition on its version: exact under concurrent calls, one item, no transaction.
    for (let attempt = 0; attempt < 20; attempt++) {
      await backoff(attempt);
      const out = await documents.send(
        new GetCommand({ TableName: this.table, Key: { id: rateId(clientId) }, ConsistentRead: true }),
      );
      const version = typeof out.Item?.version === 'number' ? out.Item.version : 0;
      const horizon = Date.parse(at) - DAY_MS;
      const times = ((out.Item?.times as string[] | undefined) ?? []).filter((t) => Date.parse(t) > horizon);
      if (times.length >= limit) {
        return { retryAt: new Date(Date.parse(times[0] ?? at) + DAY_MS).toISOString() };
      }
      const written = await conditionalWrite(
        documents.send(
          new PutCommand({
            TableName: this.table,
            Item: { id: rateId(clientId), times: [...times, at], version: version + 1 },
            ConditionExpression: 'attribute_not_exists(id) OR version = :v',
            ExpressionAttributeValues: { ':v': version },
          }),
        ),
      );
      if (written) return {};
    }
    throw new Error(`the dispute rate of client ${clientId} is changing too fast`);
  }

  async holdRecordSlot(clientId: string, detainerId: string, limit: number): Promise<boolean> {
    return conditionalWrite(
      documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id: recordSlotId(clientId, detainerId) },
          UpdateExpression: 'SET #n = if_not_exists(#n, :zero) + :one',
          ConditionExpression: 'attribute_not_exists(#n) OR #n < :limit',
          ExpressionAttributeNames: { '#n': 'open' },
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':limit': limit },
        }),
      ),
    );
  }

  async releaseRecordSlot(clientId: string, detainerId: string): Promise<void> {
    await conditionalWrite(
      documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id: recordSlotId(clientId, detainerId) },
          UpdateExpression: 'SET #n = #n - :one',
          ConditionExpression: '#n > :zero',
          ExpressionAttributeNames: { '#n': 'open' },
          ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
        }),
      ),
    );
  }

  async idempotentDispute(clientId: string, key: string): Promise<string | undefined> {
    const out = await documents.send(
      new GetCommand({
        TableName: this.table,
        Key: { id: idempotencyId(clientId, key) },
        ConsistentRead: true,
      }),
    );
    const id = out.Item?.disputeId;
    return typeof id === 'string' ? id : undefined;
  }

  async reserveIdempotencyKey(clientId: string, key: string, id: string): Promise<boolean> {
    return conditionalWrite(
      documents.send(
        new PutCommand({
          TableName: this.table,
          Item: { id: idempotencyId(clientId, key), disputeId: id },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      ),
    );
  }

  async get(id: string): Promise<DisputeItem | undefined> {
    const out = await documents.send(
      new GetCommand({ TableName: this.table, Key: { id }, ConsistentRead: true }),
    );
    return out.Item as DisputeItem | undefined;
  }

  async listByStatus(status: DisputeStatus): Promise<DisputeItem[]> {
    return queryAll<DisputeItem>({
      TableName: this.table,
      IndexName: 'byStatus',
      KeyConditionExpression: '#s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': status },
    });
  }

  async resolve(dispute: DisputeItem): Promise<boolean> {
    return conditionalWrite(
      documents.send(
        new PutCommand({
          TableName: this.table,
          Item: dispute,
          ConditionExpression: '#s = :open',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':open': 'open' },
        }),
      ),
    );
  }
}
