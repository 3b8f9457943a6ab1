import { ConflictError, DomainError, type Issue, OutOfTimeError } from '#core/errors';
import { toIssues } from '#core/issues';
import type { Actor, OutcomeItem } from './model';
import { type IntakeDeps, putOutcome } from './outcomes';
import { batchItemSchema } from './schemas';

export type BatchResult =
  | { detainerId: string; result: 'created' | 'updated' | 'unchanged'; revision: number }
  | { detainerId: string; result: 'invalid' | 'conflict'; issues: Issue[] };

/**
 * Detainers written at once. Each write waits on the store most of its time, so more at once
 * shortens a batch roughly in proportion; a hundred items are seven rounds.
 */
export const BATCH_CONCURRENCY = 16;

/** What an item the call had no time for answers: nothing of it was written, sending it again is safe. */
export const NOT_WRITTEN_IN_TIME =
  'not written: the call ran out of time before this item (the store is slow or busy); send it again';

/**
 * Writes a batch: each item is validated and written on its own, so valid items are stored
 * even when others are not. Items for one detainer run in order; different detainers in parallel.
 *
 * Bounded by its call: once `signal` aborts (the call's deadline), no item or write begins, the
 * writes already begun finish, and every item not begun answers `conflict` with
 * NOT_WRITTEN_IN_TIME. An unexpected error (the store refusing, a bug) stops the other workers the
 * same way and is thrown only once every one of them has stopped, so no write of this call runs
 * after its answer (on Lambda, work left running resumes at the next invocation, with stale data).
 */
export async function writeBatch(
  deps: IntakeDeps,
  items: readonly unknown[],
  actor: Actor,
  signal?: AbortSignal,
): Promise<BatchResult[]> {
  const results: (BatchResult | undefined)[] = new Array(items.length).fill(undefined);
  const chains = new Map<string, number[]>();
  for (const [index, raw] of items.entries()) {
    const checked = validateItem(raw, index);
    if ('result' in checked) {
      results[index] = checked;
      continue;
    }
    const chain = chains.get(checked.detainerId) ?? [];
    chain.push(index);
    chains.set(checked.detainerId, chain);
  }

  // One read for the batch instead of one per item: each chain's first write starts from it.
  const known =
    deps.outcomes.getMany === undefined || chains.size === 0 || signal?.aborted
      ? undefined
      : await deps.outcomes.getMany([...chains.keys()]);

  const failed = new AbortController();
  const stop = signal === undefined ? failed.signal : AbortSignal.any([signal, failed.signal]);
  let failure: { error: unknown } | undefined;
  const queue = [...chains.values()];
  const worker = async () => {
    for (let chain = queue.shift(); chain !== undefined && !stop.aborted; chain = queue.shift()) {
      for (const [position, index] of chain.entries()) {
        if (stop.aborted) break;
        try {
          // Only the chain's first write may trust the batch read: the next ones follow its write.
          const prefetched =
            known === undefined || position > 0 ? undefined : (known.get(labelOf(items[index])) ?? null);
          results[index] = await writeItem(deps, items[index], index, actor, stop, prefetched);
        } catch (error) {
          if (error instanceof OutOfTimeError) break;
          failure ??= { error };
          failed.abort();
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: BATCH_CONCURRENCY }, worker));
  if (failure !== undefined) throw failure.error;
  return results.map(
    (result, index) =>
      result ?? {
        detainerId: labelOf(items[index]),
        result: 'conflict',
        issues: [{ path: `outcomes.${index}`, message: NOT_WRITTEN_IN_TIME }],
      },
  );
}

function labelOf(raw: unknown): string {
  const id = (raw as { detainerId?: unknown } | null)?.detainerId;
  return typeof id === 'string' ? id : '';
}

/** An invalid item's result, or the detainer id of a valid one. */
function validateItem(raw: unknown, index: number): BatchResult | { detainerId: string } {
  const prefix = `outcomes.${index}`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      detainerId: labelOf(raw),
      result: 'invalid',
      issues: [{ path: prefix, message: 'each item must be an object' }],
    };
  }
  const parsed = batchItemSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      detainerId: labelOf(raw),
      result: 'invalid',
      issues: toIssues(parsed.error, prefix),
    };
  }
  return { detainerId: parsed.data.detainerId };
}

/** One valid item: its write's result, or its 400/409 as an item result. Anything else is thrown. */
async function writeItem(
  deps: IntakeDeps,
  raw: unknown,
  index: number,
  actor: Actor,
  signal: AbortSignal,
  known: OutcomeItem | null | undefined,
): Promise<BatchResult> {
  const { detainerId, reason, ...input } = batchItemSchema.parse(raw);
  try {
    const out = await putOutcome(deps, {
      detainerId,
      input,
      actor,
      signal,
      ...(known === undefined ? {} : { known }),
      ...(reason === undefined ? {} : { reason }),
    });
    return { detainerId, result: out.result, revision: out.revision };
  } catch (error) {
    if (!(error instanceof DomainError) || (error.status !== 400 && error.status !== 409)) throw error;
    const prefix = `outcomes.${index}`;
    const issues = (error.issues.length > 0 ? error.issues : [{ path: '', message: error.message }]).map(
      (issue) => ({
        path: issue.path === '' ? prefix : `${prefix}.${issue.path}`,
        message: issue.message,
      }),
    );
    return { detainerId, result: error instanceof ConflictError ? 'conflict' : 'invalid', issues };
  }
}
