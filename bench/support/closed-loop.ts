export interface LoadResult {
  /** Operations completed (requests, SDK calls). */
  readonly operations: number;
  /** Records written by them (an operation may write many). */
  readonly records: number;
  /** From the first start to the last completion, so the tail is counted. */
  readonly elapsedMs: number;
  readonly recordsPerSecond: number;
}

export interface LoadOptions {
  /** Concurrent callers, each waiting for its answer before the next call (a closed loop). */
  readonly clients: number;
  /** No call starts after this; those in flight finish and count. */
  readonly durationMs: number;
  /** A bound on the count too, whatever the duration. @default 1_000_000 */
  readonly maxOperations?: number;
}

/**
 * Runs `operation` from `clients` concurrent loops until the duration has passed. `operation`
 * gets a sequence number unique within the run and resolves with the records it wrote; any
 * failure stops the run and rejects (a benchmark of failing calls measures nothing).
 */
export async function closedLoop(
  options: LoadOptions,
  operation: (sequence: number) => Promise<number>,
): Promise<LoadResult> {
  const maxOperations = options.maxOperations ?? 1_000_000;
  let started = 0;
  let records = 0;
  let failed = false;
  const start = performance.now();
  const deadline = start + options.durationMs;
  const client = async (): Promise<void> => {
    while (!failed && started < maxOperations && performance.now() < deadline) {
      const sequence = started;
      started += 1;
      try {
        // Not `records += await …`: that reads `records` before awaiting and loses the other clients' counts.
        const written = await operation(sequence);
        records += written;
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, client));
  const elapsedMs = performance.now() - start;
  return { operations: started, records, elapsedMs, recordsPerSecond: (records / elapsedMs) * 1000 };
}
