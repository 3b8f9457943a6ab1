import { describe, expect, it } from 'vitest';
import type { EditionRecord, EditionStore } from '#core/edition/ports';
import { changedPaths } from '#core/edition/publication';
import { publishMessageSchema, shouldWaitForReissues } from '#core/edition/publish-message';
import { missedWeeks, planWeeklyRun, runMessages } from '#core/edition/weekly-run';

/** Only what the plan reads: the marks and the published weeks. */
function editions(published: string[], dirty: string[]): EditionStore {
  const refuse = () => Promise.reject(new Error('the plan only reads'));
  return {
    dirtyWeeks: async () => [...dirty],
    listAll: async () => published.map((week) => ({ week, revision: 1 }) as EditionRecord),
    latest: refuse,
    commit: refuse,
    lastEmailedWeek: refuse,
    markEmailed: refuse,
    markDirty: refuse,
    clearDirty: refuse,
    markWrite: refuse,
    claimEmail: refuse,
    pendingWrites: refuse,
    settlePending: refuse,
  };
}

// Monday 2017-03-13, 12:00 in New York: the week of 2017-03-04 (Sat–Fri) has just ended.
const RUN_AT = '2017-03-13T16:00:00.000Z';
const TZ = 'America/New_York';

describe('the weekly run', () => {
  it('queues each week as its own message: every re-issue, then the week to email naming them', async () => {
    const plan = await planWeeklyRun(
      editions(['2017-02-18', '2017-02-25'], ['2017-02-25', '2017-02-18']),
      new Date(RUN_AT),
      TZ,
    );

    const messages = runMessages(plan, RUN_AT);

    const run = ['2017-02-18', '2017-02-25', '2017-03-04'];
    expect(messages).toEqual([
      { week: '2017-02-18', email: false, runAt: RUN_AT, run },
      { week: '2017-02-25', email: false, runAt: RUN_AT, run },
      { week: '2017-03-04', email: true, after: ['2017-02-18', '2017-02-25'], runAt: RUN_AT, run },
    ]);
    for (const message of messages) expect(publishMessageSchema.parse(message)).toEqual(message);
  });

  it('expands the every-week mark to each published week, and says so', async () => {
    const plan = await planWeeklyRun(editions(['2017-02-18', '2017-02-25'], ['*']), new Date(RUN_AT), TZ);

    expect(plan.expandedAll).toBe(true);
    expect(plan.weeks.filter((w) => !w.email).map((w) => w.week)).toEqual(['2017-02-18', '2017-02-25']);
  });

  it('queues the week to email alone when nothing is marked', async () => {
    const plan = await planWeeklyRun(editions(['2017-02-25'], []), new Date(RUN_AT), TZ);

    expect(runMessages(plan, RUN_AT)).toEqual([
      { week: '2017-03-04', email: true, runAt: RUN_AT, run: ['2017-03-04'] },
    ]);
  });

  it('makes good up to three weeks that failed or missed runs left unpublished, emailing only the newest', async () => {
    // The newest published week is 2017-01-28: five ended weeks since, the latest 2017-03-04.
    const plan = await planWeeklyRun(editions(['2017-01-21', '2017-01-28'], []), new Date(RUN_AT), TZ);

    expect(plan.weeks).toEqual([
      { week: '2017-02-11', email: false },
      { week: '2017-02-18', email: false },
      { week: '2017-02-25', email: false },
      { week: '2017-03-04', email: true },
    ]);
    expect(missedWeeks(['2017-02-25'], '2017-03-04')).toEqual([]);
    expect(missedWeeks(['2017-02-18'], '2017-03-04')).toEqual(['2017-02-25']);
    // A new deployment starts with its first week, not with history.
    expect(missedWeeks([], '2017-03-04')).toEqual([]);
  });

  it('lets the week to email wait for the run’s re-issues at most twice, then go', () => {
    const message = { week: '2017-03-04', email: true, after: ['2017-02-18'], runAt: RUN_AT };

    expect(shouldWaitForReissues(message, ['2017-02-18'])).toBe(true);
    expect(shouldWaitForReissues({ ...message, waited: 1 }, ['2017-02-18'])).toBe(true);
    expect(shouldWaitForReissues({ ...message, waited: 2 }, ['2017-02-18'])).toBe(false);
    // Published (its mark cleared), or never part of this run: no wait.
    expect(shouldWaitForReissues(message, [])).toBe(false);
    expect(shouldWaitForReissues(message, ['2017-01-07'])).toBe(false);
    expect(shouldWaitForReissues({ week: '2017-02-18', email: false, runAt: RUN_AT }, ['2017-02-18'])).toBe(
      false,
    );
  });
});

describe('the paths a publication invalidates', () => {
  it('are exact (no wildcard) and include the superseded revision’s page', () => {
    const paths = changedPaths('2017-02-18', 3);

    expect(paths).toContain('/reports/2017-02-18/r2/index.html');
    expect(paths).toContain('/reports/2017-02-18/report.json');
    expect(paths.some((path) => path.includes('*'))).toBe(false);
    expect(changedPaths('2017-02-18', 1).some((path) => /\/r\d+\//.test(path))).toBe(false);
  });

  it('stay within CloudFront’s 3,000 paths in progress for a re-issue of 200 weeks', () => {
    const total = Array.from({ length: 200 }, (_, i) => changedPaths(`week-${i}`, 2).length).reduce(
      (a, b) => a + b,
    );

    expect(total).toBeLessThanOrEqual(3_000);
  });
});
