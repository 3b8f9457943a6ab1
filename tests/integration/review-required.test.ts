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

  it('emails a held week when it is approved, even after a later week was emailed', async () => {
    const reader = 'review-held-reader@example.org';
    await subscribeAndConfirm(stack(), reader);
    await recordDecline(stack(), county, 'RV-HELD-A', '2017-04-03');
    await recordDecline(stack(), county, 'RV-HELD-B', '2017-04-10');
    const runOf = async (at: string) => {
      const run = await runCli('weekly.ts', ['--at', at], stack().dataDir, 120_000);
      expect(run.code, run.stderr).toBe(0);
    };
    // The week of April 1 is its run's week to email; an editor holds it.
    await runOf('2017-04-10T13:00:00Z');
    const hold = await runCli(
      'hold.ts',
      ['--week', '2017-04-01', '--reason', 'a county to call first', '--as', 'Synthetic Editor'],
      stack().dataDir,
    );
    expect(hold.code, hold.stderr).toBe(0);
    // The next week is drafted and approved: published and emailed first.
    await runOf('2017-04-17T13:00:00Z');
    const next = await runCli(
      'approve.ts',
      ['--week', '2017-04-08', '--as', 'Synthetic Editor'],
      stack().dataDir,
    );
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/the week of 2017-04-08: published as revision 1 .*; email: send/);
    await waitForSend('2017-04-08', 1);
    // The held week, approved later, is emailed when it publishes: it was never a backfill.
    const held = await runCli(
      'approve.ts',
      ['--week', '2017-04-01', '--as', 'Synthetic Editor'],
      stack().dataDir,
    );
    expect(held.code, held.stderr).toBe(0);
    expect(held.stdout).toMatch(/the week of 2017-04-01: published as revision 1 .*; email: send/);
    await waitForSend('2017-04-01', 1);
    const subjects = (await mailTo(stack(), reader)).map((mail) => mail.subject);
    expect(subjects.filter((subject) => subject.includes('Apr 8 – 14, 2017'))).toHaveLength(1);
    expect(subjects.filter((subject) => subject.includes('Apr 1 – 7, 2017'))).toHaveLength(1);
  }, 180_000);

  it('names two jurisdictions of one name in two states until an editor acknowledges the pair', async () => {
    const north = { id: 'ZZRVSN01', name: 'Synthetic Twin County Sheriff', state: 'ND' };
    const south = { id: 'ZZRVSN02', name: 'SYNTHETIC TWIN COUNTY SHERIFF', state: 'SD' };
    await recordDecline(stack(), north, 'RV-TWIN-1', '2017-05-01');
    await recordDecline(stack(), south, 'RV-TWIN-2', '2017-05-02');
    const run = await runCli('weekly.ts', ['--at', '2017-05-08T13:00:00Z'], stack().dataDir, 120_000);
    expect(run.code, run.stderr).toBe(0);
    const before = await runCli('review.ts', ['--week', '2017-04-29'], stack().dataDir);
    expect(before.stdout).toMatch(/check same-name: /);
    expect(before.stdout).toContain(`jurisdictions: ${north.id}, ${south.id}`);

    const ack = await runCli(
      'acknowledge.ts',
      [
        '--pair',
        `${south.id},${north.id}`,
        '--reason',
        'two counties, two states',
        '--as',
        'Synthetic Editor',
      ],
      stack().dataDir,
    );
    expect(ack.code, ack.stderr).toBe(0);
    expect(ack.stdout).toContain(`acknowledged ${north.id}|${south.id}`);
    const again = await runCli('acknowledge.ts', ['--pair', `${north.id},${south.id}`], stack().dataDir);
    expect(again.stdout).toContain('was acknowledged already: nothing changed');

    // The next assembly of the draft (the run again) no longer names the pair.
    const rerun = await runCli('weekly.ts', ['--at', '2017-05-08T13:00:00Z'], stack().dataDir, 120_000);
    expect(rerun.code, rerun.stderr).toBe(0);
    const after = await runCli('review.ts', ['--week', '2017-04-29'], stack().dataDir);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).not.toMatch(/check same-name: /);
  }, 180_000);

  it('refuses a hold without a reason and an approval of a week with no draft, changing nothing', async () => {
    const hold = await runCli('hold.ts', ['--week', '2017-02-25'], stack().dataDir);
    expect(hold.code).toBe(2);
    expect(hold.stderr).toContain('--reason is required');
    const none = await runCli('approve.ts', ['--week', '2017-02-25'], stack().dataDir);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('there is no draft of 2017-02-25');
  });
});
