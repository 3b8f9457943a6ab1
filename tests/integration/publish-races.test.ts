import { describe, expect, it } from 'vitest';
import { DynamoEditionStore } from '#adapters/edition-store';
import { syntheticRecord } from '../support/api';
import { useLocalStack } from '../support/local-stack';
import { eventually, mailTo, subscribeAndConfirm } from '../support/publishing';

/**
 * Racing publications (issue 11, item 3): the publish queue runs two at once, SQS and async
 * invocations deliver twice, and an operator can publish while the schedule runs. Here three
 * invocations of the publisher function run at once (two environments side by side, as the
 * queue's maximum concurrency allows). A committed revision's files never change, the shared
 * files end at the newest revision, and a week is emailed once.
 */
const stack = useLocalStack();
const county = { id: 'XQPR0101', name: 'Synthetic Racine County Sheriff’s Office', state: 'WI' };

function record(id: string, week: string, facility: string) {
  return stack().api(`/outcomes/${id}`, {
    method: 'PUT',
    body: syntheticRecord({
      jurisdiction: county,
      issuedOn: week,
      declinedOn: week,
      learnedOn: week,
      facility,
    }),
  });
}

type Answer = { result: 'published' | 'unchanged'; revision: number; email: { decision: string } };

function publishThrice(week: string, email: boolean): Promise<Answer[]> {
  const publisher = stack().functions.get('publish');
  if (publisher === undefined) throw new Error('no publisher');
  return Promise.all([1, 2, 3].map(async () => (await publisher.invoke({ date: week, email })) as Answer));
}

async function site(path: string): Promise<string> {
  const response = await fetch(new URL(path, stack().urls.gateway));
  expect(response.status, path).toBe(200);
  return response.text();
}

describe('publications racing', () => {
  it('makes one new revision of a changed week; revision 1’s data stays byte for byte, the latest files end at the newest', async () => {
    const week = '2017-08-05';
    expect((await record('RACE-1', week, 'Synthetic First Jail')).status).toBe(201);
    const publisher = stack().functions.get('publish');
    expect(await publisher?.invoke({ date: week, email: false })).toMatchObject({ revision: 1 });
    const r1 = {
      json: await site(`/reports/${week}/r1/report.json`),
      csv: await site(`/reports/${week}/r1/declined.csv`),
    };

    expect((await record('RACE-1', week, 'Synthetic Second Jail')).status).toBe(200);
    // Commits held a second (a slow write): both racers are past their drafting when one commits.
    stack().faults.slowWrites = { table: stack().tables.EDITIONS_TABLE ?? '', ms: 1000 };
    const answers = await publishThrice(week, false).finally(() => {
      stack().faults.slowWrites = undefined;
    });
    expect(answers.filter((a) => a.result === 'published')).toHaveLength(1);
    expect(answers.every((a) => a.revision === 2)).toBe(true);

    const committed = await new DynamoEditionStore().latest(week);
    expect(committed?.revision).toBe(2);
    expect(await site(`/reports/${week}/r1/report.json`)).toBe(r1.json);
    expect(await site(`/reports/${week}/r1/declined.csv`)).toBe(r1.csv);
    const r2 = JSON.parse(await site(`/reports/${week}/r2/report.json`)) as {
      edition: { revision: number; publishedAt: string };
    };
    // The files of revision 2 are the committed attempt's, not a losing racer's.
    expect(r2.edition).toMatchObject({ revision: 2, publishedAt: committed?.publishedAt });
    const latest = JSON.parse(await site(`/reports/${week}/report.json`)) as typeof r2;
    expect(latest.edition).toMatchObject({ revision: 2, publishedAt: committed?.publishedAt });
    expect(await site(`/reports/${week}/r2/declined.csv`)).toContain('Synthetic Second Jail');
  });

  it('publishes a never-published week once and emails each reader once', async () => {
    const week = '2017-08-12';
    const readers = ['race-reader-1@example.org', 'race-reader-2@example.org'];
    for (const reader of readers) await subscribeAndConfirm(stack(), reader);
    expect((await record('RACE-2', week, 'Synthetic Third Jail')).status).toBe(201);

    const answers = await publishThrice(week, true);
    expect(answers.filter((a) => a.result === 'published')).toHaveLength(1);
    expect(answers.every((a) => a.revision === 1)).toBe(true);

    const editionsTo = async (reader: string) =>
      (await mailTo(stack(), reader)).filter((mail) => mail.body.text?.includes(`/reports/${week}/`));
    for (const reader of readers) {
      await eventually(
        () => editionsTo(reader),
        (mails) => mails.length >= 1,
        `the edition to ${reader}`,
        20_000,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const reader of readers) expect(await editionsTo(reader)).toHaveLength(1);
  });
});
