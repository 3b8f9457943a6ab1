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
 * Readers stranded in a dead-letter queue (issue 11, item 6; contract §6): a rerun of
 * `npm run publish` reaches every reader the emailed edition has not reached, exactly once, and a
 * redrive of the same batches afterwards sends nobody a second copy. The send queue's mapping
 * starts disabled, so the edition's batches can be dead-lettered as five failed receives would.
 */
const stack = useLocalStack({ disabledEventSources: ['ddor-send'] });
const county = { id: 'XQRR0101', name: 'Synthetic Rerun County Sheriff’s Office', state: 'WY' };
const READERS = ['rerun-1@example.org', 'rerun-2@example.org', 'rerun-3@example.org'];
const WEEK = '2017-11-04';

describe('a rerun of npm run publish', () => {
  it('mails each reader of a dead-lettered batch once, and a redrive after it mails nobody again', async () => {
    for (const reader of READERS) await subscribeAndConfirm(stack(), reader);
    const recorded = await stack().api('/outcomes/RERUN-1', {
      method: 'PUT',
      body: syntheticRecord({ jurisdiction: county, issuedOn: WEEK, declinedOn: WEEK, learnedOn: WEEK }),
    });
    expect(recorded.status).toBe(201);
    await stack().functions.get('publish')?.invoke({ date: WEEK, email: true });
    const queue = stack().queues.SEND_QUEUE_URL ?? '';
    expect(await deadLetterAll(queue)).toBeGreaterThan(0);
    await stack().enableEventSource('ddor-send');

    const run = await runCli('publish.ts', ['--week', WEEK], stack().dataDir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('unchanged since revision 1');
    expect(run.stdout).toContain(`emails sent for this edition: ${READERS.length}`);
    const editionsTo = async (reader: string) =>
      (await mailTo(stack(), reader)).filter((mail) => mail.body.text?.includes(`/reports/${WEEK}/`));
    for (const reader of READERS) expect(await editionsTo(reader)).toHaveLength(1);

    // The stranded batches redriven as well: the ledger sends nobody a second copy.
    const redrive = await runCli('redrive.ts', ['--queue', 'send'], stack().dataDir);
    expect(redrive.code, redrive.stderr).toBe(0);
    expect(redrive.stdout).toMatch(/^send: moved [1-9]\d* dead-lettered message\(s\) back/m);
    await eventually(
      () => queueDepth(queue),
      (depth) => depth === 0,
      'the redriven batches worked',
      20_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const reader of READERS) expect(await editionsTo(reader)).toHaveLength(1);

    // Run again with everyone reached: nothing is queued, and the command says the same count.
    const again = await runCli('publish.ts', ['--week', WEEK], stack().dataDir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`emails sent for this edition: ${READERS.length}`);
    expect(await queueDepth(queue)).toBe(0);
    // Four command runs and a redrive: well past vitest's 30 s on a loaded 2-core machine.
  }, 120_000);
});
