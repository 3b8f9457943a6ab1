import { randomBytes } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { documents } from '#adapters/dynamodb';
import { DynamoLedgerStore } from '#adapters/ledger-store';
import { DynamoSubscriberStore } from '#adapters/subscriber-store';
import type { SendJob } from '#core/mail/send-job';
import { editionKey } from '#core/mail/send-ledger';
import { NO_FAULTS } from '#local/faults';
import { useLocalStack } from '../support/local-stack';
import {
  eventually,
  mailTo,
  recordDecline as recordDeclineFor,
  subscribeAndConfirm,
} from '../support/publishing';

/**
 * A send whose answer never came (issue 11, item 4; contract §5): the SDK never repeats a send;
 * the sender records it as unknown, and SES's own Send event (through the configuration set; here
 * the local SES stand-in's) reconciles it, so the reader gets the edition exactly once.
 */
const stack = useLocalStack();
const county = { id: 'XQSU0101', name: 'Synthetic Sumter County Sheriff’s Office', state: 'SC' };

afterEach(() => {
  Object.assign(stack().faults, NO_FAULTS);
});

const recordDecline = (id: string, week: string) => recordDeclineFor(stack(), county, id, week);

async function ledgerItem(week: string, address: string): Promise<Record<string, unknown> | undefined> {
  const out = await documents.send(
    new GetCommand({
      TableName: stack().tables.SEND_LEDGER_TABLE,
      Key: { edition: editionKey(week, 1), address },
      ConsistentRead: true,
    }),
  );
  return out.Item;
}

describe('a send whose answer never came', () => {
  it('is sent once: SES answered after the client’s timeout, and its send event reconciles the ledger', async () => {
    const week = '2017-09-02';
    const reader = 'unknown-reader@example.org';
    await subscribeAndConfirm(stack(), reader);
    await recordDecline('UNKNOWN-1', week);

    // SES takes 11 s to answer; the client gives up after 10 s. SES has accepted the message.
    stack().faults.sesDelayMs = 11_000;
    const publisher = stack().functions.get('publish');
    await publisher?.invoke({ date: week, email: true });

    const item = await eventually(
      () => ledgerItem(week, reader),
      (found) => found?.status === 'sent',
      'the reader’s ledger item reconciled as sent',
      40_000,
    );
    expect(item).toMatchObject({ status: 'sent', reconciled: true });
    const editions = async () =>
      (await mailTo(stack(), reader)).filter((mail) => mail.body.text?.includes(`/reports/${week}/`));
    expect(await editions()).toHaveLength(1);
    expect(item?.messageId).toBe((await editions())[0]?.messageId);
    // The SDK made one attempt only: one message reached SES.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await editions()).toHaveLength(1);
  }, 60_000);

  it('waits an hour before sending once more when SES failed before accepting it', async () => {
    const week = '2017-09-09';
    const reader = 'failed-reader@example.org';
    await subscribeAndConfirm(stack(), reader);
    await recordDecline('UNKNOWN-2', week);

    stack().faults.sesRefusal = 'error';
    await stack().functions.get('publish')?.invoke({ date: week, email: true });
    const item = await eventually(
      () => ledgerItem(week, reader),
      (found) => found?.status === 'unknown',
      'the reader’s ledger item recorded unknown',
      20_000,
    );
    const wait = Date.parse(String(item?.resendAfter)) - Date.parse(String(item?.unknownSince));
    expect(wait).toBe(60 * 60 * 1000);
    expect(await mailTo(stack(), reader)).toHaveLength(1); // the confirmation only

    // Within the hour nobody may claim it; after it, one claim may, and the second send is counted.
    const ledger = new DynamoLedgerStore();
    const edition = editionKey(week, 1);
    const soon = new Date(Date.parse(String(item?.unknownSince)) + 60_000);
    expect(await ledger.claim(edition, reader, 'test-owner', soon, 120_000)).toBe('busy');
    const later = new Date(Date.parse(String(item?.resendAfter)) + 1000);
    expect(await ledger.claim(edition, reader, 'test-owner', later, 120_000)).toBe('claimed');
    expect(await ledgerItem(week, reader)).toMatchObject({ status: 'sending', resends: 1 });
  }, 60_000);
});

describe('one address SES rejects', () => {
  it('is recorded with its reason, and every other reader of its batch is mailed', async () => {
    const week = '2017-09-16';
    const readers = [
      'batch-a@example.org',
      'batch-b@example.org',
      'batch-c@example.org',
      'batch-d@example.org',
    ];
    const refused = 'batch-refused@example.org';
    for (const reader of [...readers, refused]) await subscribeAndConfirm(stack(), reader);
    await recordDecline('UNKNOWN-3', week);

    stack().faults.sesRejectedAddresses = [refused];
    await stack().functions.get('publish')?.invoke({ date: week, email: true });
    const editionsTo = async (reader: string) =>
      (await mailTo(stack(), reader)).filter((mail) => mail.body.text?.includes(`/reports/${week}/`));
    for (const reader of readers) {
      await eventually(
        () => editionsTo(reader),
        (mails) => mails.length === 1,
        `the edition to ${reader}`,
        20_000,
      );
    }
    const item = await eventually(
      () => ledgerItem(week, refused),
      (found) => found?.status === 'rejected',
      'the refused reader recorded rejected',
      10_000,
    );
    expect(String(item?.rejectedBecause)).toContain('MessageRejected');
    expect(await editionsTo(refused)).toHaveLength(0);
    // Done, as `npm run publish` counts it: every reader sent or not to be sent.
    const progress = await eventually(
      () => new DynamoLedgerStore().progress(editionKey(week, 1)),
      (found) => found !== undefined && found.sent + found.skipped === found.total,
      'every reader of the edition sent or not to be sent',
      20_000,
    );
    expect(progress?.skipped).toBe(1);
  });

  it('fails no batch: in one batch of 50, the 49 others are mailed once and the refused one recorded', async () => {
    const week = '2017-09-30';
    await recordDecline('UNKNOWN-5', week);
    // Published (and its email stored) before the batch's readers exist: only the batch below has them.
    await stack().functions.get('publish')?.invoke({ date: week, email: true });
    const store = new DynamoSubscriberStore();
    const at = new Date().toISOString();
    const addresses = Array.from(
      { length: 50 },
      (_, i) => `batch50-${String(i).padStart(2, '0')}@example.org`,
    );
    for (const address of addresses) {
      const created = await store.create({
        mailbox: address,
        address,
        status: 'confirmed',
        id: randomBytes(16).toString('base64url'),
        version: 1,
        createdAt: at,
        updatedAt: at,
        lastRequestAt: at,
        confirmedAt: at,
      });
      expect(created).toBe(true);
    }
    const refused = addresses[17] ?? '';
    stack().faults.sesRejectedAddresses = [refused];
    const job: SendJob = { week, revision: 1, addresses };
    const answer = (await stack()
      .functions.get('send')
      ?.invoke({
        Records: [{ messageId: 'batch-of-50', receiptHandle: 'synthetic', body: JSON.stringify(job) }],
      })) as { batchItemFailures: unknown[] };
    expect(answer.batchItemFailures).toEqual([]);
    const editionsTo = async (reader: string) =>
      (await mailTo(stack(), reader)).filter((mail) => mail.body.text?.includes(`/reports/${week}/`));
    const counts = await Promise.all(addresses.map(async (address) => (await editionsTo(address)).length));
    expect(counts).toEqual(addresses.map((address) => (address === refused ? 0 : 1)));
    expect(await ledgerItem(week, refused)).toMatchObject({ status: 'rejected' });
  }, 60_000);
});
