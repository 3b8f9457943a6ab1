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
/** Calls of a batch before what DynamoDB still leaves unprocessed is an error. */
const BATCH_ATTEMPTS = 8;
/**
 * Unprocessed items mean a throttled partition: wait, exponentially and with full jitter (as the
 * SDK's own retries do), 25 ms the first time and at most a second, about 2.6 s in all.
 */
const BATCH_BACKOFF_MS = 25;
const BATCH_BACKOFF_CAP_MS = 1_000;

/**
 * A batch call (BatchGetItem, BatchWriteItem) repeated, with backoff, for what DynamoDB left
 * unprocessed (a throttled partition) until nothing is: `call` sends `left` and returns what is
 * left after it. `what` names the items in the error when they never get through.
 */
export async function untilProcessed<T>(
  what: string,
  items: readonly T[],
  call: (left: readonly T[]) => Promise<readonly T[]>,
): Promise<void> {
  let left = items;
  for (let attempt = 0; left.length > 0; attempt++) {
    if (attempt >= BATCH_ATTEMPTS) {
      throw new Error(
        `${left.length} ${what} still unprocessed after ${BATCH_ATTEMPTS} attempts: the table is throttled`,
      );
    }
    if (attempt > 0) {
      const ceiling = Math.min(BATCH_BACKOFF_CAP_MS, BATCH_BACKOFF_MS * 2 ** (attempt - 1));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
    }
    left = await call(left);
  }
}

/**
 * The stored items of `keys` in one table, strongly consistent, 100 keys a call; unprocessed keys
 * (a throttled partition) are asked again with backoff. Keys not stored are left out.
 */
export async function batchGetAll<T>(table: string, keys: readonly Record<string, unknown>[]): Promise<T[]> {
  const items: T[] = [];
  for (let offset = 0; offset < keys.length; offset += BATCH_GET_KEYS) {
    await untilProcessed(`${table} keys`, keys.slice(offset, offset + BATCH_GET_KEYS), async (left) => {
      const out = await documents.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: [...left], ConsistentRead: true } } }),
      );
      for (const item of out.Responses?.[table] ?? []) items.push(item as T);
      return out.UnprocessedKeys?.[table]?.Keys ?? [];
    });
  }
  return items;
}
