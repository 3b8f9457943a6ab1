import { describe, expect, it } from 'vitest';
import { syntheticRecord } from '../support/api';
import { useLocalStack } from '../support/local-stack';
import { publish, publishedReport, waitForSend } from '../support/publishing';

/**
 * Re-issues: a correction to a record used three weeks ago re-issues only that week at the
 * weekly run, keeps revision 1 readable, and is mentioned once in the next weekly email.
 */
const stack = useLocalStack();

const county = { id: 'ZZOR0001', name: 'Synthetic Reissue County Sheriff', state: 'OR' };
const weeks = ['2017-03-04', '2017-03-11', '2017-03-18', '2017-03-25'];

async function weeklyRun(scheduledTime: string): Promise<string[]> {
  const { DynamoEditionStore } = await import('#adapters/edition-store');
  const { planWeeklyRun } = await import('#core/edition/weekly-run');
  const editions = new DynamoEditionStore();
  const seenAt = new Date().toISOString();
  const plan = await planWeeklyRun(editions, new Date(scheduledTime), 'America/New_York');
  const results: string[] = [];
  // The same work the publisher does for each queued week, in order.
  for (const { week, email } of plan.weeks) {
    const out = await publish(week, email);
    await editions.clearDirty(out.week, seenAt);
    results.push(`${out.week} ${out.result} r${out.revision}`);
  }
  if (plan.expandedAll) await editions.clearDirty('*', seenAt);
  return results;
}

async function subscribe(address: string): Promise<void> {
  expect(
    (await stack().api('/subscriptions', { method: 'POST', body: { email: address }, token: null })).status,
  ).toBe(202);
  const mail = (await stack().sentMail()).filter((m) => m.destination.to.includes(address)).at(-1);
  const link = /(http:\/\/[^\s"<>]+\/subscriptions\/confirm\?token=[A-Za-z0-9._~-]+)/.exec(
    mail?.body.text ?? '',
  )?.[1];
  expect(link).toBeDefined();
  expect((await fetch(link ?? '')).status).toBe(200);
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
    expect(await weeklyRun('2017-03-13T13:00:00Z')).toEqual(['2017-03-04 published r1']);
    expect(await weeklyRun('2017-03-20T13:00:00Z')).toEqual(['2017-03-11 published r1']);
    expect(await weeklyRun('2017-03-27T13:00:00Z')).toEqual(['2017-03-18 published r1']);
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
      '2017-03-25 published r1',
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
    expect(await weeklyRun('2017-04-10T13:00:00Z')).toEqual(['2017-04-01 published r1']);
    const [later] = await stack().sentMail();
    expect(later?.body.text).not.toContain('/reports/2017-03-04/r2/');
    // The archive and the feed show the re-issue.
    const feed = await (await fetch(new URL('/feed.xml', stack().urls.gateway))).text();
    expect(feed).toContain('/reports/2017-03-04/r2/');
  });
});
