import { ALL_WEEKS } from '#core/reissue-marks';
import { addDays, latestCompleteWeek } from '#core/reporting-week';
import type { EditionStore } from './ports';
import type { PublishMessage } from './publish-message';

/** The weeks one weekly run publishes, in order. */
export interface WeeklyRunPlan {
  /**
   * The publications, in order: re-issues first, so the week's email (the last) already lists
   * them under "Corrections to earlier editions".
   */
  weeks: { week: string; email: boolean }[];
  /**
   * The '*' mark (a jurisdiction changed) was expanded to every published week: the caller
   * writes a mark of each such week before it deletes '*', so that no week loses its re-issue.
   */
  expandedAll: boolean;
}

/** A run makes good at most this many ended weeks, the newest included (contract §3). */
export const MAX_CATCH_UP_WEEKS = 4;

/**
 * The ended weeks after the newest published one and before `current`, when runs failed or never
 * happened (the stack was down, the schedule missed): at most MAX_CATCH_UP_WEEKS - 1 of them, the
 * newest ones. None when nothing was ever published (a new deployment starts with its first week).
 */
export function missedWeeks(published: readonly string[], current: string): string[] {
  const newest = [...published].sort().at(-1);
  if (newest === undefined || newest >= current) return [];
  const weeks: string[] = [];
  for (
    let week = addDays(current, -7);
    week > newest && weeks.length < MAX_CATCH_UP_WEEKS - 1;
    week = addDays(week, -7)
  ) {
    weeks.unshift(week);
  }
  return weeks;
}

/**
 * The weekly run: which weeks to publish. Primary course: the latest week complete at the
 * scheduled time (emailed on its first publication), plus every published week marked for
 * re-issue since the last run (a record or policy change may have altered it), and the ended
 * weeks a failed or missed run left unpublished (at most 4 in all, only the newest emailed). Derived from the
 * schedule's own time, so a retried or redriven run publishes the week it was scheduled for.
 */
export async function planWeeklyRun(
  editions: EditionStore,
  scheduledTime: Date,
  timeZone: string,
): Promise<WeeklyRunPlan> {
  const current = latestCompleteWeek(timeZone, scheduledTime);
  const dirty = await editions.dirtyWeeks();
  const published = [...new Set((await editions.listAll()).map((r) => r.week))];
  const expandedAll = dirty.includes(ALL_WEEKS);
  const reissue = expandedAll ? published : dirty.filter((w) => w !== ALL_WEEKS && published.includes(w));
  const missed = missedWeeks(published, current);
  const weeks = [...new Set(reissue)]
    .sort()
    .filter((week) => week !== current && !missed.includes(week))
    .map((week) => ({ week, email: false }));
  // Made good quietly: only the newest week is emailed.
  for (const week of missed) weeks.push({ week, email: false });
  weeks.push({ week: current, email: true });
  return { weeks, expandedAll };
}

/**
 * The run's queue messages, one per week: every re-issue, then the week to email, which names
 * the re-issues it should follow (`after`). Each names the run's weeks (`run`), so the last one
 * assembled sends the editors' email.
 */
export function runMessages(plan: WeeklyRunPlan, runAt: string): PublishMessage[] {
  const reissues = plan.weeks.filter((w) => !w.email).map((w) => w.week);
  const run = plan.weeks.map((w) => w.week);
  return plan.weeks.map(({ week, email }) =>
    email && reissues.length > 0 ? { week, email, after: reissues, runAt, run } : { week, email, runAt, run },
  );
}
