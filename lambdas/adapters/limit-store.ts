import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '#config/env';
import type { SourceLimitStore, SourceWindow } from '#core/subscriptions/source-limit';
import { conditionalWrite, documents } from './dynamodb';
import { limitsTable } from './table-definitions';

/**
 * The Limits table: each source's window of accepted subscription requests, and each period's
 * confirmation budget. Single-item conditional writes only; every item carries `expiresAt` for
 * DynamoDB's TTL, which only tidies: readers judge time themselves.
 */
export class DynamoLimitStore implements SourceLimitStore {
  constructor(private readonly table = requireEnv(limitsTable.envVar)) {}

  async window(key: string): Promise<SourceWindow | undefined> {
    const out = await documents.send(
      new GetCommand({ TableName: this.table, Key: { key }, ConsistentRead: true }),
    );
    if (out.Item === undefined) return undefined;
    const times = Array.isArray(out.Item.times) ? out.Item.times.map(Number) : [];
    return { times, version: Number(out.Item.version ?? 0) };
  }

  async saveWindow(
    key: string,
    times: readonly number[],
    expectedVersion: number | undefined,
    expiresAt: number,
  ): Promise<boolean> {
    return conditionalWrite(
      documents.send(
        new PutCommand({
          TableName: this.table,
          Item: { key, times: [...times], version: (expectedVersion ?? 0) + 1, expiresAt },
          ...(expectedVersion === undefined
            ? {
                ConditionExpression: 'attribute_not_exists(#key)',
                ExpressionAttributeNames: { '#key': 'key' },
              }
            : {
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
        }),
      ),
    );
  }

  /**
   * Takes one from the budget of the period `periodKey` names, if fewer than `budget` were taken:
   * one conditional ADD, so concurrent workers never overspend it.
   */
  async take(periodKey: string, budget: number, expiresAt: number): Promise<boolean> {
    return conditionalWrite(
      documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { key: periodKey },
          UpdateExpression: 'ADD #taken :one SET expiresAt = :expires',
          ConditionExpression: 'attribute_not_exists(#taken) OR #taken < :budget',
          ExpressionAttributeNames: { '#taken': 'taken' },
          ExpressionAttributeValues: { ':one': 1, ':budget': budget, ':expires': expiresAt },
        }),
      ),
    );
  }
}

/** The budget's key for the period containing `now` (periods of `periodMs` from the epoch). */
export function budgetPeriodKey(now: Date, periodMs: number): { key: string; endsAt: number } {
  const index = Math.floor(now.getTime() / periodMs);
  return { key: `budget#${index}`, endsAt: (index + 1) * periodMs };
}
