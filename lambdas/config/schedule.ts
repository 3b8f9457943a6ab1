import { Cron } from 'croner';
import { todayIn } from '#core/reporting-week';

/**
 * The one definition of the weekly schedule. CDK builds the EventBridge Scheduler cron from it
 * and the local stack the croner pattern: their field orders and day numbers differ, so both are
 * generated here rather than written twice.
 */
export const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface WeeklySchedule {
  weekday: Weekday;
  hour: number;
  minute: number;
  timeZone: string;
}

/** Monday 09:00 in New York: the week that ended the Friday before is complete by then. */
export const DEFAULT_SCHEDULE: WeeklySchedule = {
  weekday: 'MON',
  hour: 9,
  minute: 0,
  timeZone: 'America/New_York',
};

export function scheduleFor(timeZone: string): WeeklySchedule {
  return { ...DEFAULT_SCHEDULE, timeZone };
}

/** Fields for `ScheduleExpression.cron` (aws-scheduler): day of week by name, any day of month. */
export function awsCronFields(schedule: WeeklySchedule): { minute: string; hour: string; weekDay: string } {
  return { minute: String(schedule.minute), hour: String(schedule.hour), weekDay: schedule.weekday };
}

/** The croner pattern (`m h dom mon dow`, Sunday = 0) for the local stack. */
export function cronerPattern(schedule: WeeklySchedule): string {
  return `${schedule.minute} ${schedule.hour} * * ${WEEKDAYS.indexOf(schedule.weekday)}`;
}

/** The next scheduled run strictly after `now`. */
export function nextRun(schedule: WeeklySchedule, now: Date): Date {
  const next = new Cron(cronerPattern(schedule), { timezone: schedule.timeZone, paused: true }).nextRun(now);
  if (!next) throw new Error('the weekly schedule has no next run');
  return next;
}

/** The calendar date (in the schedule's time zone) of the next edition after `now`. */
export function nextEditionOn(schedule: WeeklySchedule, now: Date): string {
  return todayIn(schedule.timeZone, nextRun(schedule, now));
}
