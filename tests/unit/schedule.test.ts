import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEDULE, nextEditionOn, scheduleFor, WEEKDAYS } from '#config/schedule';
import { nextRun } from '#config/schedule-runs';
import { todayIn } from '#core/reporting-week';

const ZONES = ['America/New_York', 'America/Los_Angeles', 'Pacific/Honolulu', 'America/Anchorage', 'UTC'];
const HOUR = 3_600_000;

describe('the next edition date', () => {
  it('is the local date of the next scheduled run, every hour of two years (DST changes included)', () => {
    for (const zone of ZONES) {
      const schedule = scheduleFor(zone);
      for (let at = Date.UTC(2026, 0, 1); at < Date.UTC(2028, 0, 1); at += 7 * HOUR) {
        const now = new Date(at);
        expect(nextEditionOn(schedule, now), `${zone} ${now.toISOString()}`).toBe(
          todayIn(zone, nextRun(schedule, now)),
        );
      }
    }
  });

  it('turns over to the next week at the scheduled minute, not before', () => {
    const schedule = scheduleFor('America/New_York');
    // Monday 2026-12-07, 08:59:59 and 09:00:00 in New York (UTC-5).
    expect(nextEditionOn(schedule, new Date('2026-12-07T13:59:59Z'))).toBe('2026-12-07');
    expect(nextEditionOn(schedule, new Date('2026-12-07T14:00:00Z'))).toBe('2026-12-14');
    expect(nextEditionOn(schedule, new Date('2026-12-07T14:00:00Z'))).toBe(
      todayIn('America/New_York', nextRun(schedule, new Date('2026-12-07T14:00:00Z'))),
    );
  });

  it('follows any weekday and time of the schedule', () => {
    for (const weekday of WEEKDAYS) {
      const schedule = { ...DEFAULT_SCHEDULE, weekday, hour: 17, minute: 30 };
      for (let at = Date.UTC(2026, 2, 1); at < Date.UTC(2026, 3, 15); at += 5 * HOUR) {
        const now = new Date(at);
        expect(nextEditionOn(schedule, now)).toBe(todayIn(schedule.timeZone, nextRun(schedule, now)));
      }
    }
  });
});
