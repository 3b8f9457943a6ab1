import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
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
