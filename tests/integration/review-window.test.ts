import { describe, expect, it } from 'vitest';
import { syntheticRecord } from '../support/api';
import { useLocalStack } from '../support/local-stack';
import {
  eventually,
  mailTo,
  publishedReport,
  recordDecline,
  runCli,
  subscribeAndConfirm,
} from '../support/publishing';

/**
 * Editorial review under REVIEW_MODE=window (contract §3): the run's drafts publish when the
 * review window ends unless an editor held one; the held week keeps its published revision and
 * publishes when approved. The window is 0.5 h, shrunk by the test stack's time scale (0.01) to
 * 18 s.
 */
const stack = useLocalStack({ review: { mode: 'window', windowHours: 0.5 } });

const county = { id: 'ZZRW0001', name: 'Synthetic Window County Sheriff', state: 'OR' };
const READER = 'window-reader@example.org';

async function weeklyRun(at: string): Promise<string[]> {
  const run = await runCli('weekly.ts', ['--at', at], stack().dataDir, 120_000);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.split('\n').filter((line) => /^\d{4}-\d{2}-\d{2} /.test(line));
}

describe('a run under the review window', () => {
  it('publishes its drafts at the window’s end, except the one an editor held', async () => {
    await subscribeAndConfirm(stack(), READER);
    await recordDecline(stack(), county, 'RW-1', '2017-03-06');
    // The first week, published by an operator (no draft to wait for).
    const first = await runCli(
      'publish.ts',
      ['--week', '2017-03-06', '--as', 'Synthetic Operator'],
      stack().dataDir,
    );
    expect(first.code, first.stderr).toBe(0);
    await stack().clearMail();

    // A correction to the first week, and a decline in the next: one run drafts both.
    const corrected = await stack().api('/outcomes/RW-1', {
      method: 'PUT',
      body: {
        ...syntheticRecord({
          jurisdiction: county,
          issuedOn: '2017-03-06',
          declinedOn: '2017-03-06',
          learnedOn: '2017-03-06',
        }),
        facility: 'Synthetic Window Annex',
        reason: 'released from the annex',
      },
    });
    expect(corrected.status).toBe(200);
    await recordDecline(stack(), county, 'RW-2', '2017-03-13');
    const lines = await weeklyRun('2017-03-20T13:00:00Z');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^2017-03-04 draft \(awaiting-review\), publishes at \S+ unless held; r1 stays published/,
    );
    expect(lines[1]).toMatch(/^2017-03-11 draft \(awaiting-review\), publishes at \S+ unless held:/);

    const held = await runCli(
      'hold.ts',
      [
        '--week',
        '2017-03-04',
        '--reason',
        'check the annex with the sheriff first',
        '--as',
        'Synthetic Editor',
      ],
      stack().dataDir,
    );
    expect(held.code, held.stderr).toBe(0);
    expect(held.stdout).toContain('the week of 2017-03-04: held');

    // The window ends: the unheld week publishes (and is emailed); the held one stays at r1.
    const second = await eventually(
      async () => (await fetch(new URL('/reports/2017-03-11/report.json', stack().urls.gateway))).status,
      (code) => code === 200,
      'the unheld draft to publish at the window’s end',
      60_000,
    );
    expect(second).toBe(200);
    const published = await publishedReport(stack().urls.gateway, '2017-03-11');
    expect(published.sectionIV.review).toMatch(
      /no editor held it, and it was published when its review window ended/,
    );
    await eventually(
      async () => (await mailTo(stack(), READER)).length,
      (count) => count === 1,
      'the edition email',
      30_000,
    );
    expect((await publishedReport(stack().urls.gateway, '2017-03-04')).edition.revision).toBe(1);

    // Approving the held week publishes its re-issue at once.
    const approved = await runCli(
      'approve.ts',
      ['--week', '2017-03-04', '--as', 'Synthetic Editor'],
      stack().dataDir,
    );
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain('the week of 2017-03-04: published as revision 2');
    const reissued = await publishedReport(stack().urls.gateway, '2017-03-04');
    expect(reissued.edition.revision).toBe(2);
    expect(reissued.sectionIV.review).toMatch(/approved by Synthetic Editor/);
    // A re-issue is not emailed on its own.
    expect(await mailTo(stack(), READER)).toHaveLength(1);
  }, 180_000);
});
