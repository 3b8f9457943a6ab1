import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  paginateQuery,
  paginateScan,
  type QueryCommandInput,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';

/**
 * The one DynamoDB client, created once per container. The local stack differs only by the
 * standard `AWS_ENDPOINT_URL_DYNAMODB` variable, never by code path.
 */
export const dynamo = new DynamoDBClient({});

export const documents = DynamoDBDocumentClient.from(dynamo, {
  marshallOptions: { removeUndefinedValues: true },
});

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

/**
 * Awaits a conditional write: true when it landed, false when its condition failed (another
 * write came first: the caller lost the race). Every other error is thrown as it is.
 */
export async function conditionalWrite(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Every item of a Query, through the library's paginator. */
export async function queryAll<T>(input: QueryCommandInput): Promise<T[]> {
  const items: T[] = [];
  for await (const page of paginateQuery({ client: documents }, input)) {
    for (const item of page.Items ?? []) items.push(item as T);
  }
  return items;
}

/** Every item of a Scan, through the library's paginator (only for small tables: clients). */
export async function scanAll<T>(input: ScanCommandInput): Promise<T[]> {
  const items: T[] = [];
  for await (const page of paginateScan({ client: documents }, input)) {
    for (const item of page.Items ?? []) items.push(item as T);
  }
  return items;
}

/** BatchGetItem takes at most 100 keys a call. */
const BATCH_GET_KEYS = 100;
const BATCH_GET_ATTEMPTS = 8;
const BATCH_GET_BACKOFF_MS = 25;

/**
 * The stored items of `keys` in one table, strongly consistent, 100 keys a call; unprocessed keys
 * (a throttled partition) are asked again with backoff. Keys not stored are left out.
 */
export async function batchGetAll<T>(table: string, keys: readonly Record<string, unknown>[]): Promise<T[]> {
  const items: T[] = [];
  for (let offset = 0; offset < keys.length; offset += BATCH_GET_KEYS) {
    let left: Record<string, unknown>[] = keys.slice(offset, offset + BATCH_GET_KEYS);
    for (let attempt = 0; left.length > 0; attempt++) {
      if (attempt >= BATCH_GET_ATTEMPTS) {
        throw new Error(
          `${table}: ${left.length} keys still unprocessed after ${BATCH_GET_ATTEMPTS} attempts`,
        );
      }
      if (attempt > 0) {
        await new Promise((resolve) => setTimeout(resolve, BATCH_GET_BACKOFF_MS * 2 ** (attempt - 1)));
      }
      const out = await documents.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: left, ConsistentRead: true } } }),
      );
      for (const item of out.Responses?.[table] ?? []) items.push(item as T);
      left = out.UnprocessedKeys?.[table]?.Keys ?? [];
    }
  }
  return items;
}
