import { ALL_WEEKS } from '#core/reissue-marks';
import { latestCompleteWeek } from '#core/reporting-week';
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

/**
 * The weekly run: which weeks to publish. Primary course: the latest week complete at the
 * scheduled time (emailed on its first publication), plus every published week marked for
 * re-issue since the last run (a record or policy change may have altered it). Derived from the
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
  const weeks = [...new Set(reissue)]
    .sort()
    .filter((week) => week !== current)
    .map((week) => ({ week, email: false }));
  weeks.push({ week: current, email: true });
  return { weeks, expandedAll };
}

/**
 * The run's queue messages, one per week: every re-issue, then the week to email, which names
 * the re-issues it should follow (`after`).
 */
export function runMessages(plan: WeeklyRunPlan, runAt: string): PublishMessage[] {
  const reissues = plan.weeks.filter((w) => !w.email).map((w) => w.week);
  return plan.weeks.map(({ week, email }) =>
    email && reissues.length > 0 ? { week, email, after: reissues, runAt } : { week, email, runAt },
  );
}
