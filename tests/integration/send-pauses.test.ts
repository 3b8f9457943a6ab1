import { afterEach, describe, expect, it } from 'vitest';
import { DynamoLedgerStore } from '#adapters/ledger-store';
import { editionKey } from '#core/mail/send-ledger';
import { NO_FAULTS } from '#local/faults';
import { useLocalStack } from '../support/local-stack';
import {
  eventually,
  mailTo,
  recordDecline as recordDeclineFor,
  runCli,
  subscribeAndConfirm,
} from '../support/publishing';

/**
 * SES saying "not now" for longer than a batch can wait (issue 11, item 5; contract §5): the
 * 24-hour quota reached midway through a send, and the account's sending paused. The batch keeps
 * every reader's place (the ones not yet sent wait as a batch of their own, delayed, using up no
 * receive); when it comes back it asks SES (GetAccount) before it tries anyone, and it resumes
 * when SES allows: every reader mailed once. The edition's progress says it is paused, and why,
 * for `npm run publish` and `npm run status`. The test stack's waits are a hundred times shorter:
 * the deployed 5-minute wait at the quota is 3 s here, the 15 minutes of a pause 9 s.
 */
const stack = useLocalStack();
const county = { id: 'XQPA0101', name: 'Synthetic Pauling County Sheriff’s Office', state: 'OH' };

afterEach(() => {
  Object.assign(stack().faults, NO_FAULTS);
});

const recordDecline = (id: string, week: string) => recordDeclineFor(stack(), county, id, week);

const editionsTo = async (reader: string, week: string) =>
  (await mailTo(stack(), reader)).filter((mail) => mail.body.text?.includes(`/reports/${week}/`));

/** SendEmail (POST) and GetAccount (GET) calls the sender function has made so far. */
function senderCalls(): { sends: number; accountChecks: number } {
  const calls = stack().calls('sesv2', 'send');
  return { sends: calls.POST ?? 0, accountChecks: calls.GET ?? 0 };
}

const failedBatches = () =>
  stack()
    .functions.get('send')
    ?.logs()
    .filter((line) => line.includes('send batch failed')).length ?? 0;

describe('the daily quota reached midway', () => {
  it('sends up to the quota, waits without trying anyone, and mails every reader once when it resets', async () => {
    const week = '2017-10-07';
    const readers = Array.from({ length: 6 }, (_, i) => `quota-${i}@example.org`);
    for (const reader of readers) await subscribeAndConfirm(stack(), reader);
    await recordDecline('PAUSE-1', week);
    const failedBefore = failedBatches();

    // Three more sends today: half the readers.
    const sendsBefore = senderCalls().sends;
    stack().faults.sesQuota = { max24HourSend: 3, sent: 0 };
    // `npm run publish` stops waiting at the quota, says where the send stands, and succeeds.
    const run = await runCli('publish.ts', ['--week', week], stack().dataDir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /paused at SES's daily quota: \d+ sent, \d+ waiting; sending resumes on its own/,
    );
    const ledger = new DynamoLedgerStore();
    const state = await eventually(
      () => ledger.queueState(editionKey(week, 1)),
      (found) => found?.paused !== undefined,
      'the edition’s sending noted as paused at the quota',
      20_000,
    );
    expect(state?.paused?.reason).toBe('daily-quota');
    expect(Date.parse(state?.paused?.nextCheckAt ?? '')).toBeGreaterThan(Date.now());
    const mailed = async () =>
      (await Promise.all(readers.map((r) => editionsTo(r, week)))).map((m) => m.length);
    expect((await mailed()).filter((n) => n === 1)).toHaveLength(3);

    // Each batch tried its first reader (the publisher may queue small batches: one per index
    // shard); the three SES refused wait. While the quota is used up they come back, ask SES, and
    // try nobody.
    await eventually(
      async () => senderCalls().sends,
      (sends) => sends >= sendsBefore + readers.length,
      'every reader tried once',
      20_000,
    );
    const before = senderCalls();
    expect(before.sends).toBe(sendsBefore + readers.length);
    await eventually(
      async () => senderCalls().accountChecks,
      (checks) => checks > before.accountChecks,
      'the deferred batch asking SES whether it may send',
      20_000,
    );
    expect(senderCalls().sends).toBe(before.sends);
    expect((await mailed()).filter((n) => n === 1)).toHaveLength(3);

    // The 24 hours pass.
    stack().faults.sesQuota = { max24HourSend: 100, sent: 0 };
    await eventually(mailed, (counts) => counts.every((n) => n === 1), 'every reader mailed', 45_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await mailed()).toEqual(readers.map(() => 1));
    // Cleared once the last waiting batch (other recipients' too, each container asks SES at most
    // every 5 s) has come back and found SES willing.
    await eventually(
      () => ledger.queueState(editionKey(week, 1)),
      (state) => state?.paused === undefined,
      'the pause note cleared',
      30_000,
    );
    expect(failedBatches()).toBe(failedBefore);
  }, 120_000);
});

describe('sending paused for the account', () => {
  it('stops, keeps every reader’s place, and mails each once when SES lets it send again', async () => {
    const week = '2017-10-14';
    const readers = Array.from({ length: 3 }, (_, i) => `paused-${i}@example.org`);
    for (const reader of readers) await subscribeAndConfirm(stack(), reader);
    await recordDecline('PAUSE-2', week);
    const failedBefore = failedBatches();

    stack().faults.sesRefusal = 'paused';
    const before = senderCalls();
    // A paused account needs a person: `npm run publish` fails and says so, losing nobody.
    const run = await runCli('publish.ts', ['--week', week], stack().dataDir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /SES has paused sending for the account: \d+ sent, \d+ waiting\. Nobody is lost/,
    );
    const ledger = new DynamoLedgerStore();
    const state = await eventually(
      () => ledger.queueState(editionKey(week, 1)),
      (found) => found?.paused !== undefined,
      'the edition’s sending noted as paused',
      20_000,
    );
    expect(state?.paused?.reason).toBe('paused');
    await eventually(
      async () => senderCalls().accountChecks,
      (checks) => checks > before.accountChecks,
      'the deferred batch asking SES whether it may send',
      20_000,
    );
    // One refused attempt per queued batch at most, then nobody tried while GetAccount says
    // sending is disabled.
    const tried = senderCalls().sends - before.sends;
    expect(tried).toBeGreaterThan(0);
    // (Every confirmed reader of this file's stack is a recipient of the edition.)
    const recipients = (await ledger.queueState(editionKey(week, 1)))?.total ?? 0;
    expect(recipients).toBeGreaterThanOrEqual(readers.length);
    expect(tried).toBeLessThanOrEqual(recipients);
    const checks = senderCalls().accountChecks;
    await eventually(
      async () => senderCalls().accountChecks,
      (now) => now > checks,
      'the batch asking SES again',
      20_000,
    );
    expect(senderCalls().sends - before.sends).toBe(tried);

    stack().faults.sesRefusal = 'none';
    const mailed = async () =>
      (await Promise.all(readers.map((r) => editionsTo(r, week)))).map((m) => m.length);
    await eventually(mailed, (counts) => counts.every((n) => n === 1), 'every reader mailed', 45_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await mailed()).toEqual(readers.map(() => 1));
    // Cleared once the last waiting batch (other recipients' too, each container asks SES at most
    // every 5 s) has come back and found SES willing.
    await eventually(
      () => ledger.queueState(editionKey(week, 1)),
      (state) => state?.paused === undefined,
      'the pause note cleared',
      30_000,
    );
    expect(failedBatches()).toBe(failedBefore);
  }, 120_000);
});
