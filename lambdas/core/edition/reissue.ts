import type { OutcomeItem } from '#core/intake/model';
import { weeksOf } from '#core/reissue-marks';
import type { EditionStore, PendingWrite } from './ports';
import type { WeekData } from './week-data';

/**
 * Clearing a week's re-issue mark once the week has been published. A mark stands for the
 * record writes noted with it (`markWrite`, before each write); it outlives every one of them:
 * it is cleared only when the publication read each write, or the write is known not to concern
 * the week. A write still in flight (a slow call, SDK retries) or one the week's index does not
 * show yet (DynamoDB's indexes are eventually consistent) keeps the mark, so the next run
 * publishes the week again and the correction appears.
 */

/** A noted write whose record never reached that revision for this long was abandoned (its call died). */
export const ABANDONED_WRITE_MS = 60 * 60 * 1000;

export interface ReissueMarkDeps {
  readonly editions: Pick<EditionStore, 'pendingWrites' | 'settlePending' | 'clearDirty'>;
  /** The record as it is now (a consistent read of the base table). */
  readonly currentRecord: (detainerId: string) => Promise<OutcomeItem | undefined>;
  readonly now: () => Date;
}

/** What a publication read: each record's revision, by detainer id. */
export function revisionsRead(data: Pick<WeekData, 'issued' | 'declined'>): Map<string, number> {
  const read = new Map<string, number>();
  for (const item of [...data.issued, ...data.declined]) {
    read.set(item.detainerId, Math.max(read.get(item.detainerId) ?? 0, item.revision));
  }
  return read;
}

async function settled(
  deps: ReissueMarkDeps,
  week: string,
  write: PendingWrite,
  read: ReadonlyMap<string, number>,
): Promise<boolean> {
  if ((read.get(write.detainerId) ?? 0) >= write.revision) return true;
  const current = await deps.currentRecord(write.detainerId);
  if (current === undefined || current.revision < write.revision) {
    // Not written yet: in flight, unless its call died long ago.
    return deps.now().getTime() - Date.parse(write.at) > ABANDONED_WRITE_MS;
  }
  // Written, and the read did not show it: that matters only if the record belongs to the week
  // (then the week's index was behind).
  return current.voided || !weeksOf(current.record).includes(week);
}

/**
 * Settles the writes the week's mark stands for against what the publication read, then clears
 * the mark if none is left and no change marked the week after `seenAt`. Returns the detainer ids
 * still waiting (empty when the mark was cleared).
 */
export async function settleReissueMark(
  deps: ReissueMarkDeps,
  week: string,
  seenAt: string,
  read: ReadonlyMap<string, number>,
): Promise<string[]> {
  const waiting: string[] = [];
  for (const write of await deps.editions.pendingWrites(week)) {
    if (await settled(deps, week, write, read)) await deps.editions.settlePending(week, write);
    else waiting.push(write.detainerId);
  }
  if (waiting.length === 0) await deps.editions.clearDirty(week, seenAt);
  return waiting;
}
