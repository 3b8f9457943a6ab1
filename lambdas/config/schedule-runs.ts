import { Cron } from 'croner';
import { cronerPattern, type WeeklySchedule } from './schedule';

/**
 * The exact instants of the weekly schedule, by the same cron library the local stack runs it
 * with. Apart from schedule.ts so that only the functions that need instants (the monitor, the
 * status command) bundle croner.
 */

/** The next scheduled run strictly after `now`. */
export function nextRun(schedule: WeeklySchedule, now: Date): Date {
  const next = new Cron(cronerPattern(schedule), { timezone: schedule.timeZone, paused: true }).nextRun(now);
  if (!next) throw new Error('the weekly schedule has no next run');
  return next;
}
