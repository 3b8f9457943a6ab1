import { describe, expect, it } from 'vitest';
import { useLocalStack } from '../support/local-stack';
import {
  mailTo,
  publishedReport,
  recordDecline,
  runCli,
  subscribeAndConfirm,
  waitForSend,
} from '../support/publishing';

/**
 * Editorial review under REVIEW_MODE=required (contract §3): the weekly run makes a draft and
 * publishes nothing (no page, archive entry, feed entry, data or reader email) until an editor
 * approves it with `npm run approve`; then it publishes and emails once, and Section IV says who
 * approved it.
 */
const stack = useLocalStack({ review: { mode: 'required' } });

const county = { id: 'ZZRV0001', name: 'Synthetic Review County Sheriff', state: 'OR' };
const WEEK = '2017-03-04';
const RUN_AT = '2017-03-13T13:00:00Z';
const READER = 'review-reader@example.org';

async function weeklyRun(): Promise<string[]> {
  const run = await runCli('weekly.ts', ['--at', RUN_AT], stack().dataDir, 120_000);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.split('\n').filter((line) => /^\d{4}-\d{2}-\d{2} /.test(line));
}

async function status(path: string): Promise<number> {
  return (await fetch(new URL(path, stack().urls.gateway))).status;
}

describe('a week under required review', () => {
  it('is a draft that publishes nothing until approved, then publishes and emails once', async () => {
    await subscribeAndConfirm(stack(), READER);
    await stack().clearMail();
    await recordDecline(stack(), county, 'RV-1', '2017-03-06');

    expect(await weeklyRun()).toEqual([
      `${WEEK} draft (awaiting-review), publishes when approved: npm run review -- --week ${WEEK}`,
    ]);
    // Nothing of the draft is public, and nobody is emailed.
    for (const path of [
      `/reports/${WEEK}/`,
      `/reports/${WEEK}/report.json`,
      `/reports/${WEEK}/declined.csv`,
    ]) {
      expect(await status(path), path).toBe(404);
    }
    const home = await fetch(new URL('/', stack().urls.gateway));
    if (home.status === 200) expect(await home.text()).not.toContain(WEEK);
    const feed = await fetch(new URL('/feed.xml', stack().urls.gateway));
    if (feed.status === 200) expect(await feed.text()).not.toContain(WEEK);
    expect(await mailTo(stack(), READER)).toEqual([]);

    const review = await runCli('review.ts', ['--week', WEEK], stack().dataDir);
    expect(review.code, review.stderr).toBe(0);
    expect(review.stdout).toContain(`the week of ${WEEK}: awaiting-review`);
    expect(review.stdout).toContain('publishes only when approved');
    expect(review.stdout).toMatch(/assembled by schedule/);

    const report = await runCli('status.ts', [], stack().dataDir);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toMatch(
      new RegExp(
        `^  ${WEEK}  awaiting-review  publishes when approved  \\(\\d+ checks? found something; run ${RUN_AT.replace('Z', '')}`,
        'm',
      ),
    );

    // A second run changes nothing: the draft still waits.
    expect(await weeklyRun()).toEqual([
      `${WEEK} draft (awaiting-review), publishes when approved: npm run review -- --week ${WEEK}`,
    ]);
    expect(await status(`/reports/${WEEK}/`)).toBe(404);

    const approved = await runCli(
      'approve.ts',
      ['--week', WEEK, '--as', 'Synthetic Editor'],
      stack().dataDir,
    );
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(
      new RegExp(`the week of ${WEEK}: published as revision 1 .*; email: send`),
    );
    await waitForSend(WEEK, 1);
    expect(await mailTo(stack(), READER)).toHaveLength(1);

    const edition = await publishedReport(stack().urls.gateway, WEEK);
    expect(edition.sectionIV.review).toMatch(/^Reviewed as a draft and approved by Synthetic Editor on /);
    const page = await (await fetch(new URL(`/reports/${WEEK}/`, stack().urls.gateway))).text();
    expect(page).toContain('Editorial review');
    expect(page).toContain('approved by Synthetic Editor');

    // Nothing is left to approve, and a run after it neither drafts nor emails again.
    const again = await runCli('approve.ts', ['--week', WEEK], stack().dataDir);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('already published');
    expect(await weeklyRun()).toEqual([`${WEEK} unchanged r1`]);
    expect(await mailTo(stack(), READER)).toHaveLength(1);
  }, 120_000);

  it('refuses a hold without a reason and an approval of a week with no draft, changing nothing', async () => {
    const hold = await runCli('hold.ts', ['--week', '2017-02-25'], stack().dataDir);
    expect(hold.code).toBe(2);
    expect(hold.stderr).toContain('--reason is required');
    const none = await runCli('approve.ts', ['--week', '2017-02-25'], stack().dataDir);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('there is no draft of 2017-02-25');
  });
});
