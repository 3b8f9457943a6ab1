import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** BatchWriteItem takes at most 25 items a call. */
const BATCH_ITEMS = 25;
/** Calls in flight: enough to keep a single-threaded dynalite busy while the next batch is marshalled. */
const IN_FLIGHT = 4;
const ATTEMPTS = 10;

/**
 * Writes `items` (already in the stored shape) to `table` with BatchWriteItem through a
 * DocumentClient, retrying unprocessed items. `items` may be a generator: it is consumed lazily,
 * a few batches ahead of the writes. Returns the number of items written.
 */
export async function batchWrite(
  documents: DynamoDBDocumentClient,
  table: string,
  items: Iterable<Record<string, unknown>>,
  onProgress?: (written: number) => void,
): Promise<number> {
  const iterator = items[Symbol.iterator]();
  let written = 0;
  let exhausted = false;
  const nextBatch = (): Record<string, unknown>[] => {
    const batch: Record<string, unknown>[] = [];
    while (!exhausted && batch.length < BATCH_ITEMS) {
      const next = iterator.next();
      if (next.done === true) exhausted = true;
      else batch.push(next.value);
    }
    return batch;
  };
  const writeBatch = async (batch: Record<string, unknown>[]): Promise<void> => {
    let requests = batch.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt >= ATTEMPTS) throw new Error(`${table}: ${requests.length} items still unprocessed`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      const out = await documents.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
      requests = (out.UnprocessedItems?.[table] ?? []).flatMap((request) =>
        request.PutRequest?.Item === undefined ? [] : [{ PutRequest: { Item: request.PutRequest.Item } }],
      );
    }
    written += batch.length;
    onProgress?.(written);
  };
  const worker = async (): Promise<void> => {
    for (let batch = nextBatch(); batch.length > 0; batch = nextBatch()) await writeBatch(batch);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return written;
}
