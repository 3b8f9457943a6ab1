import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '#config/env';
import type { DisputeItem, DisputeStatus, DisputeStore } from '#core/intake/model';
import { conditionalWrite, documents, queryAll } from './dynamodb';
import { disputesTable } from './table-definitions';

export class DynamoDisputeStore implements DisputeStore {
  constructor(private readonly table = requireEnv(disputesTable.envVar)) {}

  async create(dispute: DisputeItem): Promise<void> {
    await documents.send(
      new PutCommand({
        TableName: this.table,
        Item: dispute,
        ConditionExpression: 'attribute_not_exists(id)',
      }),
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
