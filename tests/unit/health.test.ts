import { describe, expect, it } from 'vitest';
import { scheduleFor } from '#config/schedule';
import type { DisputeItem } from '#core/intake/model';
import { checkHealth, dueEdition } from '#core/operations/health';

const schedule = scheduleFor('America/New_York');

describe('the monitor', () => {
  it('expects the week of the last run once the review window and two hours have passed', () => {
    // Monday 2017-03-13 09:00 New York (13:00 UTC) publishes the week of 2017-03-04.
    expect(dueEdition(schedule, new Date('2017-03-13T17:59:00Z'))?.week).toBe('2017-02-25');
    expect(dueEdition(schedule, new Date('2017-03-13T18:00:00Z'))).toMatchObject({
      runAt: new Date('2017-03-13T13:00:00Z'),
      week: '2017-03-04',
    });
    expect(dueEdition(schedule, new Date('2017-03-19T12:00:00Z'))?.week).toBe('2017-03-04');
  });

  it('reports a missing edition and the oldest open dispute’s age', async () => {
    const open = { openedAt: '2017-03-01T18:00:00.000Z' } as DisputeItem;
    const health = await checkHealth({
      schedule,
      now: () => new Date('2017-03-13T18:00:00Z'),
      published: async (week) => week !== '2017-03-04',
      disputes: { listByStatusFrom: async () => [open] },
    });
    expect(health).toEqual({
      dueWeek: '2017-03-04',
      editionMissing: 1,
      oldestOpenDisputeDays: 12,
      oldestDraftHours: 0,
    });

    const fine = await checkHealth({
      schedule,
      now: () => new Date('2017-03-13T18:00:00Z'),
      published: async () => true,
      disputes: { listByStatusFrom: async () => [] },
    });
    expect(fine).toMatchObject({ editionMissing: 0, oldestOpenDisputeDays: 0 });
  });

  it('reports how long the oldest draft not yet published has waited for its editors', async () => {
    const health = await checkHealth({
      schedule,
      now: () => new Date('2017-03-14T13:00:00Z'),
      published: async () => true,
      disputes: { listByStatusFrom: async () => [] },
      drafts: async () => [
        { status: 'published', assembledAt: '2017-03-06T14:00:00.000Z' },
        { status: 'held', assembledAt: '2017-03-13T13:00:00.000Z' },
        { status: 'awaiting-review', assembledAt: '2017-03-13T19:00:00.000Z' },
      ],
    });
    expect(health.oldestDraftHours).toBe(24);
  });
});
