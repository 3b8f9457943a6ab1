import { addDays, todayIn, zonedFormat } from '#core/reporting-week';

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

/** The local weekday (Sunday = 0) and minutes since midnight in `timeZone` at `now`. */
function localClock(timeZone: string, now: Date): { weekday: number; minutes: number } {
  const format = zonedFormat(
    'clock',
    timeZone,
    (zone) =>
      new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }),
  );
  const parts = Object.fromEntries(format.formatToParts(now).map((part) => [part.type, part.value]));
  const weekday = WEEKDAYS.indexOf(String(parts.weekday).toUpperCase() as Weekday);
  if (weekday < 0) throw new Error(`no weekday for ${now.toISOString()} in ${timeZone}`);
  return { weekday, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

/**
 * The calendar date (in the schedule's time zone) of the next edition after `now`: the date of
 * `nextRun` (schedule-runs.ts), worked out on the local calendar alone, so the publisher does not
 * bundle a cron library to print one date. The run's hour is never inside a DST change (those
 * happen at night), and the unit tests hold the two to the same answers.
 */
export function nextEditionOn(schedule: WeeklySchedule, now: Date): string {
  const { weekday, minutes } = localClock(schedule.timeZone, now);
  const target = WEEKDAYS.indexOf(schedule.weekday);
  let days = (target - weekday + 7) % 7;
  if (days === 0 && minutes >= schedule.hour * 60 + schedule.minute) days = 7;
  return addDays(todayIn(schedule.timeZone, now), days);
}
