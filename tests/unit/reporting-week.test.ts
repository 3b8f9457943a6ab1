import { describe, expect, it } from 'vitest';
import {
  addDays,
  hasWeekEnded,
  isCalendarDate,
  latestCompleteWeek,
  todayIn,
  weekEnd,
  weekOf,
  weeksEndingWith,
} from '#core/reporting-week';

describe('reporting week', () => {
  it('names a week by its Saturday and ends it on Friday', () => {
    // The first 2017 edition: January 28 (Saturday) to February 3 (Friday).
    for (const day of ['2017-01-28', '2017-01-29', '2017-02-01', '2017-02-03'])
      expect(weekOf(day)).toBe('2017-01-28');
    expect(weekOf('2017-02-04')).toBe('2017-02-04');
    expect(weekEnd('2017-01-28')).toBe('2017-02-03');
  });

  it('is calendar arithmetic across daylight-saving changes and year ends', () => {
    // US DST began 2017-03-12 (Sunday) and ended 2017-11-05 (Sunday).
    expect(weekOf('2017-03-12')).toBe('2017-03-11');
    expect(weekOf('2017-03-17')).toBe('2017-03-11');
    expect(weekOf('2017-11-05')).toBe('2017-11-04');
    expect(weekOf('2021-01-01')).toBe('2020-12-26');
    expect(addDays('2016-02-28', 1)).toBe('2016-02-29');
    expect(weeksEndingWith('2017-01-28', 3)).toEqual(['2017-01-14', '2017-01-21', '2017-01-28']);
  });

  it('rejects dates that are not real', () => {
    expect(isCalendarDate('2017-02-29')).toBe(false);
    expect(isCalendarDate('2016-02-29')).toBe(true);
    expect(isCalendarDate('2017-1-2')).toBe(false);
    expect(isCalendarDate('2017-13-01')).toBe(false);
  });

  it('decides today, and the latest complete week, in the report time zone', () => {
    // 2017-02-04 03:30 UTC is still Friday 2017-02-03 in New York: the week has not ended there.
    const lateFriday = new Date('2017-02-04T03:30:00Z');
    expect(todayIn('America/New_York', lateFriday)).toBe('2017-02-03');
    expect(todayIn('UTC', lateFriday)).toBe('2017-02-04');
    expect(hasWeekEnded('2017-01-28', 'America/New_York', lateFriday)).toBe(false);
    expect(hasWeekEnded('2017-01-28', 'UTC', lateFriday)).toBe(true);
    expect(latestCompleteWeek('America/New_York', lateFriday)).toBe('2017-01-21');
    expect(latestCompleteWeek('UTC', lateFriday)).toBe('2017-01-28');
  });
});
