import { describe, expect, it } from 'vitest';
import { syntheticRecord } from '../support/api';
import { useLocalStack } from '../support/local-stack';
import {
  deadLetterAll,
  eventually,
  mailTo,
  queueDepth,
  runCli,
  subscribeAndConfirm,
} from '../support/publishing';

/**
 * Readers stranded in a dead-letter queue (issue 11, item 6): `npm run redrive` (contract §6)
 * moves dead-lettered batches back to their queue, and the ledger keeps every reader to one
 * email. The send queue's mapping starts disabled, so the edition's batches can be put in the
 * dead-letter queue as five failed receives would leave them.
 */
const stack = useLocalStack({ disabledEventSources: ['ddor-send'] });
const county = { id: 'XQRD0101', name: 'Synthetic Redrive County Sheriff’s Office', state: 'ND' };
const READERS = ['redrive-1@example.org', 'redrive-2@example.org', 'redrive-3@example.org'];
const WEEK = '2017-10-07';

describe('npm run redrive', () => {
  it('moves a dead-lettered send batch back, and each reader gets the edition once', async () => {
    for (const reader of READERS) await subscribeAndConfirm(stack(), reader);
    const recorded = await stack().api('/outcomes/REDRIVE-1', {
      method: 'PUT',
      body: syntheticRecord({ jurisdiction: county, issuedOn: WEEK, declinedOn: WEEK, learnedOn: WEEK }),
    });
    expect(recorded.status).toBe(201);
    await stack().functions.get('publish')?.invoke({ date: WEEK, email: true });

    // Dead-lettered by hand: what five failed receives would have done.
    const queue = stack().queues.SEND_QUEUE_URL ?? '';
    const dlq = `${queue}-dlq`;
    const stranded = await deadLetterAll(queue);
    expect(stranded).toBeGreaterThan(0);
    const disputed = await stack().api('/outcomes/REDRIVE-1/disputes', {
      method: 'POST',
      body: { reason: 'synthetic: the date is wrong' },
    });
    expect(disputed.status).toBe(201);

    // npm run status (contract §6) says what is stuck and what to do, before anything moves.
    const status = await runCli('status.ts', [], stack().dataDir);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(
      `! ${stranded} message${stranded === 1 ? '' : 's'} dead-lettered on send: look at its function's logs, then npm run redrive -- --queue send`,
    );
    expect(status.stdout).toMatch(
      new RegExp(`^  ${WEEK}  r1  published \\S+  emailed  http://\\S+/reports/${WEEK}/$`, 'm'),
    );
    expect(status.stdout).toMatch(
      new RegExp(`^  ${WEEK} r1  sending: 0 sent, 0 skipped, 3 waiting, of 3$`, 'm'),
    );
    expect(status.stdout).toMatch(/^disputes: 1 open, the oldest 0 days \(\S+\)$/m);
    expect(status.stdout).toMatch(new RegExp(`^  send +0 / 0 / ${stranded}$`, 'm'));
    const json = await runCli('status.ts', ['--json'], stack().dataDir);
    const parsed = JSON.parse(json.stdout) as { queues: { name: string; deadLettered: number }[] };
    expect(parsed.queues.find((q) => q.name === 'send')?.deadLettered).toBe(stranded);

    await stack().enableEventSource('ddor-send');

    const run = await runCli('redrive.ts', ['--queue', 'send'], stack().dataDir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^send: moved [1-9]\d* dead-lettered message\(s\) back to ddor-send$/m);
    expect(await queueDepth(dlq)).toBe(0);

    const editionsTo = async (reader: string) =>
      (await mailTo(stack(), reader)).filter((mail) => mail.body.text?.includes(`/reports/${WEEK}/`));
    for (const reader of READERS) {
      await eventually(
        () => editionsTo(reader),
        (mails) => mails.length >= 1,
        `the edition to ${reader}`,
        20_000,
      );
    }
    // Again: nothing left to move, and nobody gets a second copy.
    const again = await runCli('redrive.ts', [], stack().dataDir);
    expect(again.stdout).toContain('send: moved 0');
    expect(again.stdout).toContain('publish: moved 0');
    expect(again.stdout).toContain('confirmations: moved 0');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const reader of READERS) expect(await editionsTo(reader)).toHaveLength(1);
  }, 60_000);

  it('answers a queue it does not know with a usage error, moving nothing', async () => {
    const run = await runCli('redrive.ts', ['--queue', 'mail'], stack().dataDir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--queue must be one of publish, confirmations, send, not "mail"');
  });
});
