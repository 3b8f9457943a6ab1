/**
 * The reporting week: Saturday to Friday. Which records belong to a week is pure calendar
 * arithmetic on their dates (no time zone); the report's time zone only decides what "today" is.
 * Dates are ISO calendar dates `YYYY-MM-DD`, handled as UTC midnights so that no local offset or
 * daylight-saving change can move a day.
 */
const DAY_MS = 86_400_000;
const SATURDAY = 6;

function toUtc(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  return Date.UTC(y ?? Number.NaN, (m ?? Number.NaN) - 1, d ?? Number.NaN);
}

function fromUtc(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** True when `date` is a real calendar date written `YYYY-MM-DD` (e.g. not 2017-02-30). */
export function isCalendarDate(date: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return false;
  const ms = toUtc(date);
  return Number.isFinite(ms) && fromUtc(ms) === date;
}

/** Whole days from one calendar date to another (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((toUtc(to) - toUtc(from)) / DAY_MS);
}

export function addDays(date: string, days: number): string {
  return fromUtc(toUtc(date) + days * DAY_MS);
}

/** The Saturday that starts the reporting week containing `date`: the week's name. */
export function weekOf(date: string): string {
  const ms = toUtc(date);
  const weekday = new Date(ms).getUTCDay();
  const back = (weekday - SATURDAY + 7) % 7;
  return fromUtc(ms - back * DAY_MS);
}

/** The Friday that ends the week starting on Saturday `week`. */
export function weekEnd(week: string): string {
  return addDays(week, 6);
}

/** Today's calendar date in `timeZone` at instant `now`. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  return dateFormat(timeZone).format(now);
}

/**
 * One formatter per time zone and kind, kept: building one costs far more than formatting (every
 * intake write asks for today, the publisher for the schedule's local clock).
 */
const formats = new Map<string, Intl.DateTimeFormat>();
export function zonedFormat(
  kind: string,
  timeZone: string,
  make: (timeZone: string) => Intl.DateTimeFormat,
): Intl.DateTimeFormat {
  const key = `${kind}\u0000${timeZone}`;
  let format = formats.get(key);
  if (!format) {
    format = make(timeZone);
    formats.set(key, format);
  }
  return format;
}

function dateFormat(timeZone: string): Intl.DateTimeFormat {
  // en-CA formats as YYYY-MM-DD.
  return zonedFormat(
    'date',
    timeZone,
    (zone) =>
      new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }),
  );
}

/** The latest week that has fully ended in `timeZone` at `now` (its Friday is before today). */
export function latestCompleteWeek(timeZone: string, now: Date = new Date()): string {
  return addDays(weekOf(todayIn(timeZone, now)), -7);
}

/** True once the week's Friday has ended in `timeZone`. */
export function hasWeekEnded(week: string, timeZone: string, now: Date = new Date()): boolean {
  return weekEnd(week) < todayIn(timeZone, now);
}

/** The `count` weeks ending with `week`, oldest first. */
export function weeksEndingWith(week: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => addDays(week, -7 * (count - 1 - i)));
}

/** True for an IANA time zone the runtime knows (e.g. America/New_York). */
export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
