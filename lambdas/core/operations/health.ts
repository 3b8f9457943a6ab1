import type { WeeklySchedule } from '#config/schedule';
import { nextRun } from '#config/schedule-runs';
import type { DisputeStore } from '#core/intake/model';
import { latestCompleteWeek } from '#core/reporting-week';

/**
 * What the hourly monitor checks (issue 13): the edition that the last weekly run was due to
 * publish is there, once the review window and two hours more have passed; how long the oldest
 * open dispute has waited; and how long the oldest draft has waited for its editors. Each becomes
 * a metric an alarm watches.
 */

/** The metrics the monitor publishes and its alarms and the dashboard watch (lib/constructs/monitor.ts). */
export const HEALTH_METRICS = {
  editionMissing: 'EditionMissing',
  oldestOpenDisputeDays: 'OldestOpenDisputeDays',
  oldestDraftHours: 'OldestDraftHours',
} as const;

/** Contract §1's default review window (`REVIEW_WINDOW_HOURS`): an edition may wait that long for an editor. */
export const REVIEW_WINDOW_HOURS = 3;
/** Then two hours more before its absence is an alarm. */
export const PUBLISH_GRACE_HOURS = 2;

const HOUR_MS = 60 * 60 * 1000;
const WEEK_MS = 7 * 24 * HOUR_MS;

/** The latest scheduled run whose edition is overdue at `now`, and the week it publishes. */
export function dueEdition(
  schedule: WeeklySchedule,
  now: Date,
  windowHours = REVIEW_WINDOW_HOURS,
): { runAt: Date; week: string } | undefined {
  const cutoff = now.getTime() - (windowHours + PUBLISH_GRACE_HOURS) * HOUR_MS;
  let run = nextRun(schedule, new Date(cutoff - WEEK_MS - 1));
  if (run.getTime() > cutoff) return undefined;
  for (let next = nextRun(schedule, run); next.getTime() <= cutoff; next = nextRun(schedule, next))
    run = next;
  return { runAt: run, week: latestCompleteWeek(schedule.timeZone, run) };
}

export interface HealthDeps {
  readonly schedule: WeeklySchedule;
  readonly now: () => Date;
  /** Whether a revision of `week` is published. */
  readonly published: (week: string) => Promise<boolean>;
  readonly disputes: Pick<DisputeStore, 'listByStatusFrom'>;
  /** The drafts under editorial review (contract §3), each with when it was first assembled. */
  readonly drafts?: () => Promise<readonly { readonly status: string; readonly assembledAt: string }[]>;
}

export interface Health {
  /** The week that should be published by now, when one is due. */
  readonly dueWeek?: string;
  /** 1 when that week has no edition, else 0. */
  readonly editionMissing: 0 | 1;
  /** Days the oldest open dispute has waited (0 when none is open). */
  readonly oldestOpenDisputeDays: number;
  /** Hours the oldest draft not yet published has waited since it was assembled (0 when none). */
  readonly oldestDraftHours: number;
}

export async function checkHealth(deps: HealthDeps): Promise<Health> {
  const now = deps.now();
  const due = dueEdition(deps.schedule, now);
  const missing = due === undefined ? false : !(await deps.published(due.week));
  const [oldest] = await deps.disputes.listByStatusFrom('open', '', 1, () => true);
  const days = oldest === undefined ? 0 : (now.getTime() - Date.parse(oldest.openedAt)) / (24 * HOUR_MS);
  const waiting = ((await deps.drafts?.()) ?? []).filter((draft) => draft.status !== 'published');
  const firstAssembled = Math.min(...waiting.map((draft) => Date.parse(draft.assembledAt)));
  const hours = waiting.length === 0 ? 0 : (now.getTime() - firstAssembled) / HOUR_MS;
  return {
    ...(due === undefined ? {} : { dueWeek: due.week }),
    editionMissing: missing ? 1 : 0,
    oldestOpenDisputeDays: Math.max(0, Math.round(days * 100) / 100),
    oldestDraftHours: Math.max(0, Math.round(hours * 100) / 100),
  };
}
