import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DynamoLedgerStore } from '#adapters/ledger-store';
import { DynamoSubscriberStore } from '#adapters/subscriber-store';
import { editionKey } from '#core/mail/send-ledger';
import { mailboxOf } from '#core/subscriptions/email-address';
import { subscriptionSecretPath } from '#local/subscription-environment';
import { syntheticRecord } from '../support/api';
import { type SentMail, useLocalStack } from '../support/local-stack';
import {
  eventually,
  headerOf,
  mailTo,
  publish,
  runCli,
  subscribe,
  subscribeAndConfirm,
  subscriber,
  waitForQueuesIdle,
} from '../support/publishing';

/**
 * The edition email end to end (CONTRACT.md sections 3 and 5): readers subscribe through the
 * gateway and confirm with the link from the SES store; publishing queues the edition and the
 * sender (the real function behind the local send queue) mails it through the ledger.
 */
const stack = useLocalStack();

const county = { id: 'XQMT0101', name: 'Driftmoor County Sheriff’s Office', state: 'MT' };

/** W1 is emailed first; W2 is the next week; W0 is a backfill; W3 is published with --no-email. */
const W0 = '2017-01-28';
const W1 = '2017-02-04';
const W2 = '2017-02-11';
const W3 = '2017-02-18';

const readers = [
  'reader-1@example.org',
  'reader-2@example.org',
  'reader-3@example.org',
  'reader-4@example.org',
];
const pending = 'pending-reader@example.org';
const leaver = 'leaver@example.org';
/**
 * Confirmed when W1 goes out; its copy of W1 bounces or is reported as spam. Every `bounce+…`
 * spelling of the SES simulator is one mailbox (contract §5), so each outcome has one reader here;
 * a bounced confirmation is tested in subscriptions.test.ts.
 */
const bouncesW1 = 'bounce+edition@simulator.amazonses.com';
const complainsW1 = 'complaint+edition@simulator.amazonses.com';

/** Edition emails of `week`: each links to the week's hosted page. */
async function editionMail(week: string): Promise<SentMail[]> {
  const page = `${stack().urls.gateway}/reports/${week}/`;
  return (await stack().sentMail()).filter((mail) => mail.body.text?.includes(page));
}

function recipientsOf(mails: readonly SentMail[]): string[] {
  return mails.flatMap((mail) => mail.destination.to).sort();
}

/** One record in each week, so every edition has something to say. */
async function recordWeek(week: string, n: number): Promise<void> {
  const day = `${week.slice(0, 8)}${String(Number(week.slice(8)) + 2).padStart(2, '0')}`;
  const response = await stack().api(`/outcomes/MAIL-${n}`, {
    method: 'PUT',
    body: syntheticRecord({ jurisdiction: county, issuedOn: day, declinedOn: day, learnedOn: day }),
  });
  expect(response.status).toBe(201);
}

/**
 * An address confirmed before its mail could bounce. Locally the SES simulator bounces the
 * confirmation email itself within a quarter second, so the click on its link would race the
 * suppression; the confirmed item is written as the click leaves it instead.
 */
async function confirmedDirectly(address: string): Promise<void> {
  const at = new Date().toISOString();
  const created = await new DynamoSubscriberStore().create({
    mailbox: mailboxOf(address),
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

async function statusOf(address: string): Promise<string | undefined> {
  return (await subscriber(address))?.status;
}

describe('the edition email', () => {
  it('sets up readers in every state', async () => {
    for (const [n, week] of [W0, W1, W2, W3].entries()) await recordWeek(week, n);
    for (const reader of readers) await subscribeAndConfirm(stack(), reader);
    expect((await subscribe(stack(), pending)).status).toBe(202);

    await subscribeAndConfirm(stack(), leaver);
    const confirmation = await mailTo(stack(), leaver);
    expect(confirmation).toHaveLength(1);
    const { unsubscribeUrl } = await import('#core/subscriptions/links');
    const { FileSecretSource } = await import('#adapters/secret-source');
    const key = await new FileSecretSource(subscriptionSecretPath(stack().dataDir)).key();
    const leaverRecord = await subscriber(leaver);
    if (leaverRecord === undefined) throw new Error('no leaver');
    const left = await fetch(unsubscribeUrl(stack().urls.gateway, key, leaverRecord), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(left.status).toBe(200);
    expect(await statusOf(leaver)).toBe('unsubscribed');

    await confirmedDirectly(bouncesW1);
    await confirmedDirectly(complainsW1);
  });

  const confirmedAtW1 = [...readers, bouncesW1, complainsW1].sort();

  it('goes once to each confirmed subscriber, with `npm run publish` waiting and counting', async () => {
    const run = await runCli('publish.ts', ['--week', W1], stack().dataDir);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`published the week of ${W1}: revision 1`);
    // The demo's progress bar on stderr (a pipe: a line per tenth and the last, 6 of 6).
    expect(run.stderr).toMatch(/^\[#{28}\] 100% {2}6\/6 emails .* in \d+s$/m);
    expect(run.stdout).toMatch(/^emails sent for this edition: 6$/m);
    expect(run.stdout).toContain(`page: ${stack().urls.gateway}/reports/${W1}/`);
    const mails = await editionMail(W1);
    expect(recipientsOf(mails)).toEqual(confirmedAtW1);
    for (const address of [pending, leaver]) expect(await mailTo(stack(), address), address).toHaveLength(1); // the confirmation only
  });

  it('carries a text part, the page link, an unsubscribe link and the one-click headers', async () => {
    const links = new Set<string>();
    for (const mail of await editionMail(W1)) {
      const to = mail.destination.to[0] ?? '';
      expect(mail.subject).toContain('Declined Detainer Outcome Report');
      expect(mail.body.text?.length ?? 0, to).toBeGreaterThan(100);
      expect(mail.body.text).toContain(`${stack().urls.gateway}/reports/${W1}/`);
      expect(mail.body.html).toContain(`${stack().urls.gateway}/reports/${W1}/`);
      expect(mail.body.text).toMatch(/synthetic/i);
      const header = headerOf(mail, 'List-Unsubscribe') ?? '';
      const oneClick = /^<(http:\/\/[^>]+)>$/.exec(header)?.[1];
      expect(oneClick, `${to}: ${header}`).toMatch(
        new RegExp(`^${stack().urls.gateway}/subscriptions/unsubscribe\\?token=[A-Za-z0-9_.%-]+$`),
      );
      expect(headerOf(mail, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
      // The same link in the text part, the reader's own: no placeholder is left anywhere.
      expect(mail.body.text).toContain(oneClick);
      expect(mail.body.html).toContain(oneClick?.replaceAll('&', '&amp;'));
      expect(`${mail.body.text}${mail.body.html}`).not.toContain('unsubscribe.invalid');
      links.add(oneClick ?? '');
      // A GET of the link shows the form and changes nothing.
      const page = await fetch(oneClick ?? '');
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<form[^>]*method="post"/);
    }
    expect(links.size).toBe(confirmedAtW1.length);
    for (const reader of readers) expect(await statusOf(reader)).toBe('confirmed');
  });

  it('stops at a bounce or complaint, and at the one-click POST from the email', async () => {
    await eventually(
      () => statusOf(bouncesW1),
      (status) => status === 'suppressed',
      'the bounce',
    );
    await eventually(
      () => statusOf(complainsW1),
      (status) => status === 'suppressed',
      'the complaint',
    );
    const [mail] = (await editionMail(W1)).filter((m) => m.destination.to.includes('reader-1@example.org'));
    const oneClick = /^<(.+)>$/.exec(headerOf(mail as SentMail, 'List-Unsubscribe') ?? '')?.[1] ?? '';

    // As a mail client does it (RFC 8058): a form-encoded POST to the URL of the header.
    const response = await fetch(oneClick, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(response.status).toBe(200);
    expect(await statusOf('reader-1@example.org')).toBe('unsubscribed');

    const next = await publish(W2, true);

    expect(next).toMatchObject({ result: 'published', revision: 1, record: { email: { decision: 'send' } } });
    expect(recipientsOf(await editionMail(W2))).toEqual(readers.slice(1));
    expect(await new DynamoLedgerStore().progress(editionKey(W2, 1))).toMatchObject({
      status: 'queued',
      total: 3,
      sent: 3,
    });
  });

  it('sends nothing new when the same week is published again', async () => {
    const before = (await stack().sentMail()).length;

    const again = await publish(W1, true);
    const viaCommand = await runCli('publish.ts', ['--week', W1], stack().dataDir);
    await waitForQueuesIdle(stack());

    expect(again).toMatchObject({ result: 'unchanged', revision: 1 });
    expect(viaCommand.code, viaCommand.stderr).toBe(0);
    expect(viaCommand.stdout).toContain('unchanged since revision 1');
    expect(viaCommand.stdout).toMatch(/^emails sent for this edition: 6$/m);
    expect((await stack().sentMail()).length).toBe(before);
    expect(recipientsOf(await editionMail(W1))).toEqual(confirmedAtW1);
  });

  it('keeps a backfill quiet: an earlier week published after a later one was emailed', async () => {
    const before = (await stack().sentMail()).length;

    const backfill = await publish(W0, true);
    await waitForQueuesIdle(stack());

    expect(backfill).toMatchObject({ result: 'published', revision: 1 });
    expect(backfill.record.email).toEqual({
      decision: 'none',
      reason: expect.stringContaining('backfills stay quiet'),
    });
    expect(await new DynamoLedgerStore().progress(editionKey(W0, 1))).toBeUndefined();
    expect((await stack().sentMail()).length).toBe(before);
    expect(await editionMail(W0)).toEqual([]);
  });

  it('sends nothing with --no-email, nor on a later run of the same week', async () => {
    const before = (await stack().sentMail()).length;

    const quiet = await runCli('publish.ts', ['--week', W3, '--no-email'], stack().dataDir);
    const later = await runCli('publish.ts', ['--week', W3], stack().dataDir);
    const inProcess = await publish(W3, true);
    await waitForQueuesIdle(stack());

    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toContain(`published the week of ${W3}: revision 1`);
    expect(quiet.stdout).toContain('no email: publishing was asked not to email (--no-email)');
    expect(quiet.stdout).toMatch(/^emails sent for this edition: 0$/m);
    expect(later.code, later.stderr).toBe(0);
    expect(later.stdout).toContain('unchanged since revision 1');
    expect(later.stdout).toContain('no email: publishing was asked not to email (--no-email)');
    expect(later.stdout).toMatch(/^emails sent for this edition: 0$/m);
    expect(inProcess).toMatchObject({ result: 'unchanged', record: { email: { decision: 'none' } } });
    expect(await new DynamoLedgerStore().progress(editionKey(W3, 1))).toBeUndefined();
    expect((await stack().sentMail()).length).toBe(before);
  });

  it('sent every reader each emailed edition exactly once, all told', async () => {
    const all = (await stack().sentMail()).filter((mail) => mail.body.text?.includes('/reports/'));
    const counts = new Map<string, number>();
    for (const mail of all) {
      const week = /\/reports\/(\d{4}-\d{2}-\d{2})\//.exec(mail.body.text ?? '')?.[1];
      const key = `${week} ${mail.destination.to.join(',')}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(
      [...counts.values()].every((n) => n === 1),
      JSON.stringify([...counts]),
    ).toBe(true);
    expect(counts.size).toBe(confirmedAtW1.length + 3);
  });

  // A publish that stops between its commit and recording the emailed week is completed by a
  // rerun, which must record the week too, or a later backfill would be emailed to everyone.
  it('records the emailed week when a rerun completes a publish that stopped after its commit', async () => {
    const week = '2017-03-04';
    const backfill = '2017-02-25';
    const { publisherDeps } = await import('#lambdas/edition/publish/publisher');
    const { publishWeek } = await import('#core/edition/publication');
    const { DynamoEditionStore } = await import('#adapters/edition-store');
    const deps = publisherDeps();
    const editions: typeof deps.editions = Object.assign(
      Object.create(deps.editions) as typeof deps.editions,
      {
        markEmailed: async () => {
          throw new Error('simulated crash: after the commit, before markEmailed');
        },
      },
    );

    await expect(publishWeek({ ...deps, editions }, { date: week, email: true })).rejects.toThrow(
      /simulated crash/,
    );
    const rerun = await publish(week, true);

    expect(rerun).toMatchObject({ result: 'unchanged', record: { email: { decision: 'send' } } });
    expect(recipientsOf(await editionMail(week))).toEqual(readers.slice(1));
    expect(await new DynamoEditionStore().lastEmailedWeek()).toBe(week);
    const quiet = await publish(backfill, true);
    expect(quiet.record.email.decision).toBe('none');
  });
});
