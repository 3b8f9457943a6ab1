import { describe, expect, it } from 'vitest';
import { syntheticRecord } from '../support/api';
import { useLocalStack } from '../support/local-stack';
import { publishedReport, runCli, subscribeAndConfirm, waitForSend } from '../support/publishing';

/**
 * Re-issues: a correction to a record used three weeks ago re-issues only that week at the
 * weekly run, keeps revision 1 readable, and is mentioned once in the next weekly email.
 */
// Written before editorial review: the weekly run publishes at once.
const stack = useLocalStack({ review: { mode: 'off' } });

const county = { id: 'ZZOR0001', name: 'Synthetic Reissue County Sheriff', state: 'OR' };
const weeks = ['2017-03-04', '2017-03-11', '2017-03-18', '2017-03-25'];

/** `npm run weekly -- --at <time>`, as an operator runs it: each week's state, as it prints them. */
async function weeklyRun(scheduledTime: string): Promise<string[]> {
  const run = await runCli('weekly.ts', ['--at', scheduledTime], stack().dataDir, 120_000);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.split('\n').filter((line) => /^\d{4}-\d{2}-\d{2} /.test(line));
}

async function subscribe(address: string): Promise<void> {
  await subscribeAndConfirm(stack(), address);
}

describe('re-issued editions', () => {
  it('re-issue only the corrected week, keep revision 1, and tell subscribers once', async () => {
    await subscribe('reader@example.org');
    for (const [i, week] of weeks.entries()) {
      const day = week.replace(/-(\d\d)$/, (_, d: string) => `-${String(Number(d) + 2).padStart(2, '0')}`);
      const response = await stack().api(`/outcomes/RE-${i}`, {
        method: 'PUT',
        body: syntheticRecord({ jurisdiction: county, issuedOn: day, declinedOn: day, learnedOn: day }),
      });
      expect(response.status).toBe(201);
    }
    // Four weekly runs, each publishing (and emailing) its week.
    expect(await weeklyRun('2017-03-13T13:00:00Z')).toEqual(['2017-03-04 published r1, emailed']);
    expect(await weeklyRun('2017-03-20T13:00:00Z')).toEqual(['2017-03-11 published r1, emailed']);
    expect(await weeklyRun('2017-03-27T13:00:00Z')).toEqual(['2017-03-18 published r1, emailed']);
    const r1 = await (
      await fetch(new URL('/reports/2017-03-04/r1/report.json', stack().urls.gateway))
    ).text();

    // A correction to the record of the first week (three weeks before the latest).
    const correction = await stack().api('/outcomes/RE-0', {
      method: 'PUT',
      body: {
        ...syntheticRecord({
          jurisdiction: county,
          issuedOn: '2017-03-06',
          declinedOn: '2017-03-06',
          learnedOn: '2017-03-06',
        }),
        facility: 'Synthetic Annex',
        reason: 'released from the annex, not the main jail',
      },
    });
    expect(correction.status).toBe(200);

    await stack().clearMail();
    // Re-issues first, so this run's email already lists the correction.
    expect(await weeklyRun('2017-04-03T13:00:00Z')).toEqual([
      '2017-03-04 published r2',
      '2017-03-25 published r1, emailed',
    ]);
    // Only that week was re-issued; the others stayed at revision 1.
    for (const week of ['2017-03-11', '2017-03-18', '2017-03-25']) {
      expect((await publishedReport(stack().urls.gateway, week)).edition.revision).toBe(1);
    }
    const reissued = await publishedReport(stack().urls.gateway, '2017-03-04');
    expect(reissued.edition.revision).toBe(2);
    expect(reissued.corrections).toEqual([
      expect.objectContaining({
        revision: 2,
        field: 'facility',
        before: 'Synthetic County Jail',
        after: 'Synthetic Annex',
        reason: 'released from the annex, not the main jail',
      }),
    ]);
    expect(
      await (await fetch(new URL('/reports/2017-03-04/r1/report.json', stack().urls.gateway))).text(),
    ).toBe(r1);

    await waitForSend('2017-03-25', 1);
    const [withCorrections] = await stack().sentMail();
    expect(withCorrections?.subject).toMatch(/corrections/i);
    expect(withCorrections?.body.text).toMatch(/Corrections to earlier editions/i);
    expect(withCorrections?.body.text).toContain('/reports/2017-03-04/r2/');

    await stack().clearMail();
    await stack().api('/outcomes/RE-10', {
      method: 'PUT',
      body: syntheticRecord({
        jurisdiction: county,
        issuedOn: '2017-04-03',
        declinedOn: '2017-04-03',
        learnedOn: '2017-04-03',
      }),
    });
    expect(await weeklyRun('2017-04-10T13:00:00Z')).toEqual(['2017-04-01 published r1, emailed']);
    const [later] = await stack().sentMail();
    expect(later?.body.text).not.toContain('/reports/2017-03-04/r2/');
    // The archive and the feed show the re-issue.
    const feed = await (await fetch(new URL('/feed.xml', stack().urls.gateway))).text();
    expect(feed).toContain('/reports/2017-03-04/r2/');
  }, 60_000);

  it('refuses a run time later than now or not a time, with exit code 2 and nothing queued', async () => {
    const future = new Date(Date.now() + 86_400_000).toISOString();
    for (const at of [future, 'next monday', '2017-13-45T99:00:00Z']) {
      const run = await runCli('weekly.ts', ['--at', at], stack().dataDir);
      expect(run.code, run.stdout).toBe(2);
      expect(run.stderr).toMatch(/--at/);
      expect(run.stdout).not.toMatch(/queued/);
    }
  });
});
