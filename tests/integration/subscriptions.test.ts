import { readFile, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { sendEmail } from '#adapters/mailer';
import { FileSecretSource } from '#adapters/secret-source';
import { confirmedSubscribers, DynamoSubscriberStore, SUBSCRIBER_SHARDS } from '#adapters/subscriber-store';
import { mailboxOf } from '#core/subscriptions/email-address';
import { listUnsubscribeHeaders, unsubscribeUrl } from '#core/subscriptions/links';
import type { Subscriber } from '#core/subscriptions/subscribers';
import { signToken } from '#core/subscriptions/tokens';
import { LOCAL_SECRET_ARN } from '#local/secrets';
import { subscriptionSecretPath } from '#local/subscription-environment';
import { type SentMail, TEST_SOURCE_HEADER, useLocalStack } from '../support/local-stack';
import { sourceFor, waitForQueuesIdle } from '../support/publishing';

const stack = useLocalStack();

/** The stack runs in this process: its functions' environment is ours, so the stores are too. */
const subscribers = () => new DynamoSubscriberStore();
const secretKey = () => new FileSecretSource(subscriptionSecretPath(stack().dataDir)).key();

let counter = 0;
/** A fresh address per test: the stack (and its mailbox) is shared by the whole file. */
function newAddress(label: string): string {
  counter += 1;
  return `${label}-${counter}-${Date.now()}@example.org`;
}

/** Each address from a source of its own: the per-source limit has tests of its own. */
function subscribe(email: string): Promise<Response> {
  return stack().api('/subscriptions', {
    body: { email },
    token: null,
    headers: { [TEST_SOURCE_HEADER]: sourceFor(email.trim().toLowerCase()) },
  });
}

function formPost(path: string, body: string): Promise<Response> {
  return stack().api(path, {
    method: 'POST',
    body,
    token: null,
    headers: { 'content-type': 'application/x-www-form-urlencoded', [TEST_SOURCE_HEADER]: sourceFor(path) },
  });
}

/** Mail to `address` once the queues are idle: confirmations go out from a queue. */
async function mailTo(address: string): Promise<SentMail[]> {
  await waitForQueuesIdle(stack());
  return (await stack().sentMail()).filter((mail) => mail.destination.to.includes(address));
}

/** Presses the confirmation page's button (a GET only shows the page). */
function confirmAt(link: string): Promise<Response> {
  return formPost(pathOf(link), '');
}

function confirmLinkIn(mail: SentMail | undefined): string {
  const link = /(http:\/\/\S+\/subscriptions\/confirm\?token=[A-Za-z0-9_.%-]+)/.exec(
    mail?.body.text ?? '',
  )?.[1];
  if (link === undefined) throw new Error(`no confirmation link in ${JSON.stringify(mail?.body.text)}`);
  return link;
}

/** The path and query of a link, for stack().api. */
function pathOf(link: string): string {
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
}

async function subscriber(address: string): Promise<Subscriber> {
  const found = await subscribers().get(mailboxOf(address));
  if (found === undefined) throw new Error(`no subscriber ${address}`);
  return found;
}

/** Moves the last confirmation an hour and more into the past: the rate limit no longer applies. */
async function ageConfirmation(address: string): Promise<void> {
  const current = await subscriber(address);
  const earlier = new Date(Date.now() - 2 * 60 * 60 * 1000).toISOString();
  const replaced = await subscribers().replace(
    { ...current, lastConfirmationSentAt: earlier, version: current.version + 1 },
    current.version,
  );
  expect(replaced).toBe(true);
}

async function subscribeAndConfirm(address: string): Promise<void> {
  expect((await subscribe(address)).status).toBe(202);
  const confirmed = await confirmAt(confirmLinkIn((await mailTo(address))[0]));
  expect(confirmed.status).toBe(200);
  expect((await subscriber(address)).status).toBe('confirmed');
}

async function unsubscribePath(address: string): Promise<string> {
  return pathOf(unsubscribeUrl(stack().urls.gateway, await secretKey(), await subscriber(address)));
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Text as a browser reads it from HTML (the entities Handlebars and escapeHtml write). */
function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot);/gi, (_, entity: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"' };
    if (entity.startsWith('#x') || entity.startsWith('#X'))
      return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return named[entity.toLowerCase()] ?? '';
  });
}

function expectHtml(response: Response): void {
  expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
}

describe('POST /subscriptions', () => {
  it('sends exactly one confirmation email, whose link confirms', async () => {
    const address = newAddress('reader');

    const response = await subscribe(`  ${address.toUpperCase()} `);

    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ result: 'accepted' });
    const mails = await mailTo(address);
    expect(mails).toHaveLength(1);
    const [mail] = mails;
    // The template's sender, which the send grant's ses:FromAddress condition names.
    expect(mail?.from).toContain('reports@example.org');
    expect(mail?.subject).toMatch(/confirm/i);
    expect(mail?.body.text).toContain(address);
    expect(mail?.body.text).toMatch(/not you, ignore this message/);
    expect(mail?.body.html).toContain('Confirm my subscription');
    expect((await subscriber(address)).status).toBe('pending');

    const link = confirmLinkIn(mail);
    expect(link.startsWith(`${stack().urls.gateway}/subscriptions/confirm?token=`)).toBe(true);
    // Opening the link (as a mail scanner does) shows a button and confirms nothing.
    const opened = await fetch(link);
    expect(opened.status).toBe(200);
    expectHtml(opened);
    expect(opened.headers.get('referrer-policy')).toBe('no-referrer');
    expect(opened.headers.get('cache-control')).toBe('no-store');
    const page = await opened.text();
    const form = /<form[^>]*method="post"[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/.exec(page);
    expect(decodeEntities(form?.[1] ?? '')).toBe(pathOf(link));
    expect(form?.[2]).toContain('Confirm my subscription');
    expect((await subscriber(address)).status).toBe('pending');

    const confirmed = await confirmAt(link);
    expect(confirmed.status).toBe(200);
    expectHtml(confirmed);
    expect(await confirmed.text()).toContain('Subscription confirmed');
    expect((await subscriber(address)).status).toBe('confirmed');

    const again = await confirmAt(link);
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('Already subscribed');
  });

  it('answers 202 to a confirmed address and sends it nothing', async () => {
    const confirmed = newAddress('confirmed');
    await subscribeAndConfirm(confirmed);
    await ageConfirmation(confirmed);

    const response = await subscribe(confirmed);

    expect(response.status).toBe(202);
    expect(await mailTo(confirmed)).toHaveLength(1);
    expect((await subscriber(confirmed)).status).toBe('confirmed');
  });

  it('sends at most one confirmation an hour to an address, however often it is asked', async () => {
    const address = newAddress('eager');

    const answers = await Promise.all(Array.from({ length: 5 }, () => subscribe(address)));
    const later = await subscribe(address);

    expect([...answers, later].map((response) => response.status)).toEqual([202, 202, 202, 202, 202, 202]);
    expect(await mailTo(address)).toHaveLength(1);

    await ageConfirmation(address);
    expect((await subscribe(address)).status).toBe(202);
    const mails = await mailTo(address);
    expect(mails).toHaveLength(2);
    // Both links work while the mailbox is known: the first confirms.
    expect((await confirmAt(confirmLinkIn(mails[0]))).status).toBe(200);
  });

  it('holds one subscription per mailbox: twelve +tag spellings get one confirmation', async () => {
    const base = `tagged-${counter++}-${Date.now()}`;
    const spellings = Array.from({ length: 12 }, (_, i) => `${base}+t${i}@example.org`);

    const answers = await Promise.all(spellings.map((spelling) => subscribe(spelling)));

    expect(answers.map((answer) => answer.status)).toEqual(spellings.map(() => 202));
    await waitForQueuesIdle(stack());
    const sent = (await stack().sentMail()).filter((mail) =>
      mail.destination.to.some((to) => to.startsWith(`${base}+`)),
    );
    expect(sent).toHaveLength(1);
    const local = `dotted.${base}`;
    const gmail = `${local}@gmail.com`;
    for (const spelling of [gmail, `${local.replaceAll('.', '')}@gmail.com`, `${local}+x@googlemail.com`]) {
      expect((await subscribe(spelling)).status).toBe(202);
    }
    await waitForQueuesIdle(stack());
    const toGmail = (await stack().sentMail()).filter((mail) =>
      mail.destination.to.some((to) => to.endsWith('@gmail.com') || to.endsWith('@googlemail.com')),
    );
    expect(
      toGmail.filter((mail) => mail.destination.to.some((to) => mailboxOf(to) === mailboxOf(gmail))),
    ).toHaveLength(1);
  });

  it('takes the site form’s post and answers with a page, escaping the address', async () => {
    const address = `o'brien&co+${counter}-${Date.now()}@example.org`;

    const response = await formPost('/subscriptions', `email=${encodeURIComponent(address)}&subscribe=`);

    expect(response.status).toBe(202);
    expectHtml(response);
    const page = await response.text();
    expect(page).toContain('Check your inbox');
    expect(page).not.toContain(address);
    expect(page).toContain(address.replace('&', '&amp;').replace("'", '&#x27;'));
    expect(decodeEntities(page)).toContain(address);
    expect(await mailTo(address)).toHaveLength(1);
  });

  it('refuses a malformed address with 400 and says why, as JSON or as a page', async () => {
    const json = await subscribe('not-an-address');
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({
      error: expect.stringMatching(/not valid: .*@/),
      issues: [{ path: 'email', message: expect.stringContaining('@') }],
    });

    const long = await subscribe(
      `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.org`,
    );
    expect(long.status).toBe(400);
    expect(JSON.stringify(await long.json())).toContain('254');

    expect((await stack().api('/subscriptions', { body: {}, token: null })).status).toBe(400);
    expect(
      (await stack().api('/subscriptions', { body: { email: 'a@b.org', x: 1 }, token: null })).status,
    ).toBe(400);
    const page = await formPost('/subscriptions', 'email=%3Cscript%3E');
    expect(page.status).toBe(400);
    expectHtml(page);
    const text = await page.text();
    expect(text).toContain('not valid');
    expect(text).not.toContain('<script>');
  });

  it('refuses a body that is neither JSON nor a form with 415', async () => {
    const response = await stack().api('/subscriptions', {
      method: 'POST',
      body: 'email=a@b.org',
      token: null,
      headers: { 'content-type': 'text/plain' },
    });
    expect(response.status).toBe(415);
  });
});

describe('unsubscribing', () => {
  it('shows a form on GET and changes nothing', async () => {
    const address = newAddress('unsure');
    await subscribeAndConfirm(address);
    const path = await unsubscribePath(address);
    const before = await subscriber(address);

    const response = await stack().api(path, { token: null });

    expect(response.status).toBe(200);
    expectHtml(response);
    const page = await response.text();
    const form = /<form[^>]*method="post"[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/.exec(page);
    expect(decodeEntities(form?.[1] ?? '')).toBe(path);
    expect(form?.[2]).toContain('<button type="submit">Unsubscribe</button>');
    expect(form?.[2]).toMatch(/name="List-Unsubscribe" value="One-Click"/);
    expect(await subscriber(address)).toEqual(before);
  });

  it('unsubscribes at once on the one-click POST, and again harmlessly', async () => {
    const address = newAddress('leaving');
    await subscribeAndConfirm(address);
    const path = await unsubscribePath(address);

    const response = await formPost(path, 'List-Unsubscribe=One-Click');

    expect(response.status).toBe(200);
    expectHtml(response);
    expect(await response.text()).toContain('is unsubscribed');
    expect((await subscriber(address)).status).toBe('unsubscribed');
    const again = await formPost(path, 'List-Unsubscribe=One-Click');
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('already unsubscribed');
  });

  it('takes an empty POST too (the page’s form without fields)', async () => {
    const address = newAddress('empty-post');
    await subscribeAndConfirm(address);

    const response = await stack().api(await unsubscribePath(address), { method: 'POST', token: null });

    expect(response.status).toBe(200);
    expect((await subscriber(address)).status).toBe('unsubscribed');
  });

  it('needs a new confirmation to subscribe again; an old email’s unsubscribe link still works', async () => {
    const address = newAddress('returning');
    await subscribeAndConfirm(address);
    const oldUnsubscribe = await unsubscribePath(address);
    expect((await formPost(oldUnsubscribe, 'List-Unsubscribe=One-Click')).status).toBe(200);
    await ageConfirmation(address);

    expect((await subscribe(address)).status).toBe(202);

    const mails = await mailTo(address);
    expect(mails).toHaveLength(2);
    expect((await subscriber(address)).status).toBe('pending');
    expect((await confirmAt(confirmLinkIn(mails[1]))).status).toBe(200);
    expect((await subscriber(address)).status).toBe('confirmed');
    // The link in the emails from before the first unsubscribe unsubscribes still.
    expect((await stack().api(oldUnsubscribe, { method: 'POST', token: null })).status).toBe(200);
    expect((await subscriber(address)).status).toBe('unsubscribed');
  });
});

describe('tokens that cannot be used', () => {
  it('refuses forged, altered, swapped, expired and missing tokens with 400, changing nothing', async () => {
    const address = newAddress('target');
    await subscribeAndConfirm(address);
    const before = await subscriber(address);
    const realUnsubscribe =
      new URL(`http://x${await unsubscribePath(address)}`).searchParams.get('token') ?? '';
    const realConfirm = new URL(confirmLinkIn((await mailTo(address))[0])).searchParams.get('token') ?? '';
    const flip = (text: string, at: number) =>
      `${text.slice(0, at)}${text.charAt(at) === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
    const key = await secretKey();
    const claims = { mailbox: before.mailbox, id: before.id };
    const expired = signToken(key, {
      purpose: 'confirm',
      ...claims,
      expiresAt: Math.floor(Date.now() / 1000) - 1,
    });
    const wrongKey = signToken(Buffer.alloc(32, 7), { purpose: 'unsubscribe', ...claims });
    const otherId = signToken(key, { purpose: 'unsubscribe', mailbox: before.mailbox, id: 'not-its-id' });
    const candidates: [string, string][] = [
      ['random', 'abc.def'],
      ['garbage', '%00%ff<script>'],
      ['another key', wrongKey],
      ['another id', otherId],
      ['altered early', flip(realUnsubscribe, 5)],
      ['altered late', flip(realUnsubscribe, realUnsubscribe.length - 10)],
      ['truncated', realUnsubscribe.slice(0, -3)],
      ['very long', 'A'.repeat(5000)],
    ];

    for (const [what, token] of [...candidates, ['confirm token', realConfirm] as [string, string]]) {
      const query = `token=${encodeURIComponent(token)}`;
      for (const [method, path] of [
        ['GET', `/subscriptions/unsubscribe?${query}`],
        ['POST', `/subscriptions/unsubscribe?${query}`],
      ] as const) {
        const response = await stack().api(path, { method, token: null });
        expect(response.status, `${what}: ${method}`).toBe(400);
        expectHtml(response);
        expect(await response.text()).toContain('cannot be used');
      }
    }
    for (const [what, token] of [
      ...candidates,
      ['expired', expired],
      ['unsubscribe token', realUnsubscribe],
    ] as [string, string][]) {
      for (const method of ['GET', 'POST']) {
        const response = await stack().api(`/subscriptions/confirm?token=${encodeURIComponent(token)}`, {
          method,
          token: null,
        });
        expect(response.status, `${what}: ${method} confirm`).toBe(400);
      }
    }
    const expiredPage = await stack().api(`/subscriptions/confirm?token=${expired}`, { token: null });
    expect(await expiredPage.text()).toContain('has expired');
    for (const path of [
      '/subscriptions/confirm',
      '/subscriptions/unsubscribe',
      '/subscriptions/unsubscribe?token=',
    ]) {
      expect((await stack().api(path, { token: null })).status).toBe(400);
    }

    expect(await subscriber(address)).toEqual(before);
  });

  it('answers an unknown subscription path with 404 and a wrong method with 405', async () => {
    expect((await stack().api('/subscriptions/nope', { token: null })).status).toBe(404);
    expect((await stack().api('/subscriptions', { token: null })).status).toBe(405);
    const page = await stack().api('/subscriptions/confirm', { method: 'DELETE', token: null });
    expect(page.status).toBe(405);
    expectHtml(page);
    expect((await stack().api('/subscriptions/unsubscribe', { method: 'DELETE', token: null })).status).toBe(
      405,
    );
  });
});

describe('bounces and complaints', () => {
  it.each([
    ['bounce', 'bounce'],
    ['complaint', 'complaint'],
  ] as const)('suppresses an address after a %s, which then gets no email', async (box, reason) => {
    const address = `${box}+t${Date.now()}@simulator.amazonses.com`;

    expect((await subscribe(address)).status).toBe(202);
    await eventually(
      async () => (await stack().sentMail()).filter((mail) => mail.destination.to.includes(address)),
      (found) => found.length === 1,
      `the confirmation to ${address}`,
    );

    const suppressed = await eventually(
      () => subscriber(address),
      (found) => found.status === 'suppressed',
      `${address} to be suppressed`,
    );
    expect(suppressed).toMatchObject({ suppressionReason: reason, suppressedAt: expect.any(String) });
    await ageConfirmation(address);
    const response = await subscribe(address);
    expect(response.status).toBe(202);
    expect(await mailTo(address)).toHaveLength(1);
    expect((await subscriber(address)).status).toBe('suppressed');
  });
});

describe('the token key', () => {
  it('is a file in DATA_DIR with mode 0600, never an environment value', async () => {
    const path = subscriptionSecretPath(stack().dataDir);
    // The functions read it through Secrets Manager (the local stand-in serves this file).
    expect(stack().environment.SUBSCRIPTION_SECRET_ARN).toBe(LOCAL_SECRET_ARN);
    await subscribe(newAddress('key'));

    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const secret = (await readFile(path, 'utf8')).trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    for (const value of Object.values(process.env)) expect(value).not.toContain(secret);
  });
});

describe('what the edition sender uses', () => {
  it('lists confirmed subscribers only, page by page across the shards', async () => {
    const confirmed = [newAddress('list-a'), newAddress('list-b'), newAddress('list-c')];
    for (const address of confirmed) await subscribeAndConfirm(address);
    const pending = newAddress('list-pending');
    await subscribe(pending);

    const listed: string[] = [];
    for await (const page of confirmedSubscribers(subscribers(), 1)) {
      expect(page.length).toBeLessThanOrEqual(1);
      listed.push(...page.map((s) => s.mailbox));
    }
    for (const address of confirmed) expect(listed).toContain(address);
    expect(listed).not.toContain(pending);
    expect(new Set(listed).size).toBe(listed.length);
    for (const address of listed) expect((await subscriber(address)).status).toBe('confirmed');

    let pages = 0;
    for (let shard = 0; shard < SUBSCRIBER_SHARDS; shard += 1) {
      let cursor: string | undefined;
      do {
        const page = await subscribers().listConfirmed(shard, { limit: 1, ...(cursor ? { cursor } : {}) });
        pages += 1;
        cursor = page.cursor;
      } while (cursor !== undefined);
    }
    expect(pages).toBeGreaterThanOrEqual(SUBSCRIBER_SHARDS);
    await expect(subscribers().listConfirmed(0, { cursor: 'bm90IGEgY3Vyc29y' })).rejects.toThrow(/cursor/);
  });

  it('sends mail with List-Unsubscribe and List-Unsubscribe-Post headers', async () => {
    const address = newAddress('edition');
    const link = unsubscribeUrl(stack().urls.gateway, await secretKey(), { mailbox: address, id: 'n' });

    const sent = await sendEmail({
      to: address,
      subject: 'Declined Detainer Outcome Report — week of Jan 28 – Feb 3, 2017',
      html: '<p>report</p>',
      text: 'report',
      headers: listUnsubscribeHeaders(link),
    });

    expect(sent.messageId).not.toBe('');
    const [mail] = await mailTo(address);
    expect(mail?.headers).toEqual(
      expect.arrayContaining([
        { name: 'List-Unsubscribe', value: `<${link}>` },
        { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
      ]),
    );
    expect(mail?.body).toEqual({ html: '<p>report</p>', text: 'report' });
  });
});
