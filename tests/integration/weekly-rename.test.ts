import { describe, expect, it } from 'vitest';
import { syntheticRecord } from '../support/api';
import { useLocalStack } from '../support/local-stack';
import { eventually, mailTo, publish, runCli, subscribeAndConfirm } from '../support/publishing';

/**
 * A rename after 20 published weeks: one weekly run re-issues every one of them and publishes and
 * emails the new week once, each week as its own step, through the real queue, with CloudFront's
 * invalidation limits modelled by the local CDN stand-in. A second run changes nothing.
 */
// Written before editorial review: the weekly run publishes at once.
const stack = useLocalStack({ review: { mode: 'off' } });

const county = { id: 'ZZOR0020', name: 'Synthetic Rename County Sheriff', state: 'OR' };
const WEEKS = Array.from({ length: 20 }, (_, i) =>
  new Date(Date.UTC(2017, 0, 7 + 7 * i)).toISOString().slice(0, 10),
);
const NEW_WEEK = '2017-05-27';
// Monday 2017-06-05, 09:00 in New York: the week of 2017-05-27 has just ended.
const RUN_AT = '2017-06-05T13:00:00Z';
const READER = 'rename-reader@example.org';

const plusDays = (week: string, days: number) =>
  new Date(Date.parse(`${week}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

async function record(id: string, week: string): Promise<void> {
  const day = plusDays(week, 2);
  const response = await stack().api(`/outcomes/${id}`, {
    method: 'PUT',
    body: syntheticRecord({ jurisdiction: county, issuedOn: day, declinedOn: day, learnedOn: day }),
  });
  expect(response.status).toBe(201);
}

async function weekly(): Promise<string[]> {
  const run = await runCli('weekly.ts', ['--at', RUN_AT, '--timeout', '240'], stack().dataDir, 260_000);
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  return run.stdout.split('\n').filter((line) => /^\d{4}-\d{2}-\d{2} /.test(line));
}

interface Invalidation {
  paths: string[];
}

async function invalidations(): Promise<Invalidation[]> {
  return (await (await fetch(new URL('/_local/invalidations', stack().urls.cdn))).json()) as Invalidation[];
}

describe('a rename after 20 published weeks', () => {
  it('re-issues all 20 in one run, emails the new week once, and a second run changes nothing', {
    timeout: 600_000,
  }, async () => {
    await subscribeAndConfirm(stack(), READER);
    for (const [i, week] of WEEKS.entries()) {
      await record(`RN-${i}`, week);
      // Backfilled quietly, as an operator loads history.
      expect((await publish(week, false)).result).toBe('published');
    }
    await record('RN-NEW', NEW_WEEK);
    const before = (await invalidations()).length;

    const rename = await stack().api(`/jurisdictions/${county.id}`, {
      method: 'PUT',
      body: { name: 'Synthetic Renamed County Sheriff', state: county.state },
    });
    expect(rename.status).toBe(200);

    expect(await weekly()).toEqual([
      ...WEEKS.map((week) => `${week} published r2`),
      `${NEW_WEEK} published r1, emailed`,
    ]);
    // The run waits for publication; the email goes out from the send queue just after.
    const editionsTo = async () => (await mailTo(stack(), READER)).filter((m) => !/confirm/i.test(m.subject));
    await eventually(editionsTo, (mails) => mails.length >= 1, 'the new week’s email', 20_000);
    expect(await editionsTo()).toHaveLength(1);
    const mail = await mailTo(stack(), READER);
    // Every publication invalidated exact paths, within CloudFront's limits.
    const made = (await invalidations()).slice(before);
    expect(made).toHaveLength(21);
    expect(made.flatMap((i) => i.paths).some((path) => path.includes('*'))).toBe(false);

    expect(await weekly()).toEqual([`${NEW_WEEK} unchanged r1`]);
    expect((await mailTo(stack(), READER)).length).toBe(mail.length);
    // Every invocation of the run, each in its own local Lambda environment, ended within the
    // function's deployed timeout.
    for (const key of ['report', 'publish', 'send'] as const) {
      const fn = stack().functions.get(key);
      expect(fn?.invocations, key).toBeGreaterThan(0);
      expect(fn?.timeouts, key).toBe(0);
    }
  });
});
