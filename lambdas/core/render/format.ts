/**
 * How numbers and dates read in every rendering. Hand-written rather than `Intl` date formats so
 * that the same edition gives the same bytes whatever ICU data the runtime ships.
 */
import { todayIn } from '#core/reporting-week';
import { stateName } from '#core/us-states';

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

function parseDate(date: string): CalendarDate {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const month = Number(match?.[2]);
  if (!match || month < 1 || month > 12) throw new RangeError(`not a calendar date: ${JSON.stringify(date)}`);
  return { year: Number(match[1]), month, day: Number(match[3]) };
}

function monthName(date: CalendarDate, short: boolean): string {
  const name = MONTHS[date.month - 1] ?? '';
  return short ? name.slice(0, 3) : name;
}

/** "February 3, 2017" (or "Feb 3, 2017" when `short`). */
export function formatDate(date: string, short = false): string {
  const d = parseDate(date);
  return `${monthName(d, short)} ${d.day}, ${d.year}`;
}

/** "Feb 3": a week's label on a chart axis. */
export function formatDayMonth(date: string): string {
  const d = parseDate(date);
  return `${monthName(d, true)} ${d.day}`;
}

/**
 * A date range as people write it: "February 4 – 10, 2017", "January 28 – February 3, 2017",
 * "December 30, 2017 – January 5, 2018"; with `short`, "Jan 28 – Feb 3, 2017".
 */
export function formatDateRange(start: string, end: string, short = false): string {
  const a = parseDate(start);
  const b = parseDate(end);
  if (a.year !== b.year) return `${formatDate(start, short)} – ${formatDate(end, short)}`;
  if (a.month !== b.month) {
    return `${monthName(a, short)} ${a.day} – ${monthName(b, short)} ${b.day}, ${b.year}`;
  }
  return `${monthName(a, short)} ${a.day} – ${b.day}, ${b.year}`;
}

/** The calendar date of an ISO instant in the report's time zone (e.g. when a revision was published). */
export function dateIn(instant: string, timeZone: string): string {
  const at = new Date(instant);
  if (Number.isNaN(at.getTime())) throw new RangeError(`not an instant: ${JSON.stringify(instant)}`);
  return todayIn(timeZone, at);
}

/** The time of day of an ISO instant in the report's time zone, with the zone: "4:00 PM EST". */
export function timeIn(instant: string, timeZone: string): string {
  const at = new Date(instant);
  if (Number.isNaN(at.getTime())) throw new RangeError(`not an instant: ${JSON.stringify(instant)}`);
  return new Intl.DateTimeFormat('en-US', {
    timeZone,
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(at);
}

/** A count with thousands separators: 3083 → "3,083". Averages keep one decimal when they have one. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  const rounded = Math.round(value * 10) / 10;
  const [whole = '0', fraction] = Math.abs(rounded).toFixed(1).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = rounded < 0 ? '-' : '';
  return fraction === '0' || fraction === undefined ? `${sign}${grouped}` : `${sign}${grouped}.${fraction}`;
}

/** A share (0–1) as a whole percentage, never rounding a non-zero share down to "0%". */
export function formatShare(share: number): string {
  if (!Number.isFinite(share)) throw new RangeError(`not a finite share: ${share}`);
  if (share > 0 && share < 0.005) return 'under 1%';
  return `${Math.round(share * 100)}%`;
}

/** "1 decline", "3,083 declines". */
export function plural(count: number, one: string, many: string): string {
  return `${formatNumber(count)} ${count === 1 ? one : many}`;
}

/** "CA" → "California"; an unknown code stays as it is. */
export function formatState(code: string): string {
  return stateName(code) ?? code;
}
