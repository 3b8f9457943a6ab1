import { PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { documents } from '#adapters/dynamodb';
import { DynamoSubscriberStore } from '#adapters/subscriber-store';
import { subscribersTable } from '#adapters/table-definitions';
import { mailboxOf } from '#core/subscriptions/email-address';
import { TEST_SOURCE_HEADER, useLocalStack } from '../support/local-stack';
import {
  confirm,
  confirmLinkIn,
  eventually,
  pathOf,
  sourceFor,
  subscriber,
  waitForQueuesIdle,
} from '../support/publishing';

/**
 * Contract §5 from an attacker's side, through the real gateway and functions: what a stranger
 * can make the service do to readers' inboxes and the sender's reputation, and what the answers
 * give away. The test stack's LOCAL_TIME_SCALE (0.01) makes the 600-second source window 6 s.
 */
const stack = useLocalStack();

let counter = 0;
function newAddress(label: string): string {
  counter += 1;
  return `${label}-${counter}-${Date.now()}@example.org`;
}

function subscribeFrom(source: string, email: string, form = false): Promise<Response> {
  return stack().api('/subscriptions', {
    method: 'POST',
    token: null,
    body: form ? `email=${encodeURIComponent(email)}` : JSON.stringify({ email }),
    headers: {
      'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json',
      [TEST_SOURCE_HEADER]: source,
    },
  });
}

async function sentTo(address: string) {
  await waitForQueuesIdle(stack());
  return (await stack().sentMail()).filter((mail) => mail.destination.to.includes(address));
}

/** Invokes a function of the stack directly, as a caller that skips the site would reach its API. */
async function invoke(key: 'subscriptions' | 'unsubscribe' | 'subscriptionSweep', event: unknown) {
  const fn = stack().functions.get(key);
  if (fn === undefined) throw new Error(`no ${key} function`);
  return (await fn.invoke(event)) as Record<string, unknown>;
}

describe('the per-source limit', () => {
  it('accepts ten requests from one source in the window, then 429 with Retry-After, counting only accepted ones', async () => {
    const source = '192.0.2.10';
    const addresses = Array.from({ length: 14 }, () => newAddress('harvested'));

    const answers: Response[] = [];
    for (const address of addresses) answers.push(await subscribeFrom(source, address));

    expect(answers.map((answer) => answer.status)).toEqual([...Array(10).fill(202), ...Array(4).fill(429)]);
    const refused = answers[10];
    const retryAfter = Number(refused?.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    // 600 s, shrunk by the test stack's time scale.
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(6);
    expect(await refused?.json()).toEqual({ error: expect.stringMatching(/too many/), issues: [] });
    // A form post gets the same answer as a page.
    const page = await subscribeFrom(source, newAddress('form'), true);
    expect(page.status).toBe(429);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('retry-after')).not.toBeNull();
    // Another source is not affected.
    expect((await subscribeFrom('192.0.2.11', newAddress('neighbour'))).status).toBe(202);
    // Refused requests were not queued, and counted for nothing.
    for (const address of addresses.slice(10)) expect(await sentTo(address)).toEqual([]);
    expect(await sentTo(addresses[0] ?? '')).toHaveLength(1);

    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 200));
    expect((await subscribeFrom(source, newAddress('later'))).status).toBe(202);
  });

  it('counts IPv6 sources per /64', async () => {
    const answers: number[] = [];
    for (let i = 0; i < 11; i += 1) {
      answers.push((await subscribeFrom(`2001:db8:aa:1::${(i + 1).toString(16)}`, newAddress('v6'))).status);
    }
    expect(answers.slice(0, 10)).toEqual(Array(10).fill(202));
    expect(answers[10]).toBe(429);
    expect((await subscribeFrom('2001:db8:aa:2::1', newAddress('v6-other'))).status).toBe(202);
  });

  it('cannot be dodged by sending CloudFront’s viewer-address or origin header yourself', async () => {
    const source = '192.0.2.20';
    const statuses: number[] = [];
    for (let i = 0; i < 11; i += 1) {
      const response = await stack().api('/subscriptions', {
        token: null,
        body: { email: newAddress('spoof') },
        headers: {
          [TEST_SOURCE_HEADER]: source,
          'cloudfront-viewer-address': `198.51.100.${i}:443`,
          'x-forwarded-for': `198.51.100.${i}`,
          'x-origin-verify': 'guess',
        },
      });
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(202));
    expect(statuses[10]).toBe(429);
  });

  it('counts confirmations too, but never the pages or unsubscribes', async () => {
    const source = '192.0.2.30';
    const reader = newAddress('reader');
    expect((await subscribeFrom(sourceFor(reader), reader)).status).toBe(202);
    const [mail] = await sentTo(reader);
    const link = pathOf(confirmLinkIn(mail));
    for (let i = 0; i < 10; i += 1) {
      expect((await subscribeFrom(source, newAddress('filler'))).status).toBe(202);
    }
    // The source is spent: GET pages still answer, a confirmation POST does not.
    expect((await stack().api(link, { token: null, headers: { [TEST_SOURCE_HEADER]: source } })).status).toBe(
      200,
    );
    expect((await confirm(stack(), confirmLinkIn(mail), source)).status).toBe(429);
    expect((await subscriber(reader))?.status).toBe('pending');
  });
});

describe('unsubscribing', () => {
  it('is never throttled by subscription traffic, even from a spent source', async () => {
    const reader = newAddress('leaving');
    expect((await subscribeFrom(sourceFor(reader), reader)).status).toBe(202);
    const [mail] = await sentTo(reader);
    expect((await confirm(stack(), confirmLinkIn(mail), sourceFor(reader))).status).toBe(200);
    const { FileSecretSource } = await import('#adapters/secret-source');
    const { unsubscribeUrl } = await import('#core/subscriptions/links');
    const { subscriptionSecretPath } = await import('#local/subscription-environment');
    const key = await new FileSecretSource(subscriptionSecretPath(stack().dataDir)).key();
    const stored = await subscriber(reader);
    if (stored === undefined) throw new Error('no subscriber');
    const link = pathOf(unsubscribeUrl(stack().urls.gateway, key, stored));

    const source = '192.0.2.40';
    const flood = await Promise.all(
      Array.from({ length: 30 }, () => subscribeFrom(source, newAddress('flood')).then((r) => r.status)),
    );
    expect(flood.filter((status) => status === 429).length).toBeGreaterThanOrEqual(20);
    const statuses = await Promise.all(
      Array.from({ length: 5 }, () =>
        stack()
          .api(link, {
            method: 'POST',
            token: null,
            body: 'List-Unsubscribe=One-Click',
            headers: { 'content-type': 'application/x-www-form-urlencoded', [TEST_SOURCE_HEADER]: source },
          })
          .then((r) => r.status),
      ),
    );
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect((await subscriber(reader))?.status).toBe('unsubscribed');
  });
});

describe('what an answer gives away', () => {
  it('answers a new, a pending, a confirmed and a suppressed address alike, whatever SES does', async () => {
    const confirmed = newAddress('known');
    expect((await subscribeFrom(sourceFor(confirmed), confirmed)).status).toBe(202);
    const [mail] = await sentTo(confirmed);
    await confirm(stack(), confirmLinkIn(mail), sourceFor(confirmed));
    const pending = newAddress('pending');
    await subscribeFrom(sourceFor(pending), pending);
    const suppressed = `bounce+probe${Date.now()}@simulator.amazonses.com`;
    await subscribeFrom(sourceFor(suppressed), suppressed);
    await eventually(
      () => subscriber(suppressed),
      (found) => found?.status === 'suppressed',
      'the bounce',
    );
    await waitForQueuesIdle(stack());
    const before = (await stack().sentMail()).length;

    // SES is slow: a request that waited for it would show it. (It cannot call SES at all: its
    // role has no ses:SendEmail, which the local stack enforces; tests/infra/mailer.test.ts.)
    stack().faults.sesDelayMs = 8000;
    try {
      const answers = [];
      for (const address of [newAddress('new'), pending, confirmed, suppressed]) {
        const response = await subscribeFrom(sourceFor(`probe:${address}`), address);
        answers.push({
          status: response.status,
          body: await response.text(),
          headers: [...response.headers.entries()].filter(([name]) => !['date'].includes(name)),
        });
      }
      expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
      expect(answers[0]?.status).toBe(202);
      // Nothing was sent by the time every answer came: SES is reached only from the queue.
      expect((await stack().sentMail()).length).toBe(before);
    } finally {
      stack().faults.sesDelayMs = 0;
    }
    await waitForQueuesIdle(stack(), 30_000);
  }, 60_000);

  it('puts no address in any link', async () => {
    const address = newAddress('opaque');
    await subscribeFrom(sourceFor(address), address);
    const [mail] = await sentTo(address);
    const token = new URL(confirmLinkIn(mail)).searchParams.get('token') ?? '';
    for (const text of [token, Buffer.from(token, 'base64url').toString('latin1')]) {
      expect(text).not.toContain('opaque');
      expect(text).not.toContain('example');
    }
  });
});

describe('the origin', () => {
  it('refuses (403) a request that does not come through the site, on every subscription function', async () => {
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/subscriptions',
      rawQueryString: '',
      headers: { 'content-type': 'application/json', 'cloudfront-viewer-address': '203.0.113.9:443' },
      requestContext: { http: { method: 'POST', path: '/subscriptions', sourceIp: '203.0.113.9' } },
      body: JSON.stringify({ email: newAddress('direct') }),
      isBase64Encoded: false,
    };
    const direct = await invoke('subscriptions', event);
    expect(direct.statusCode).toBe(403);
    expect(JSON.parse(String(direct.body))).toMatchObject({
      error: expect.stringMatching(/through the site/),
    });
    const forged = await invoke('subscriptions', {
      ...event,
      headers: { ...event.headers, 'x-origin-verify': 'x'.repeat(64) },
    });
    expect(forged.statusCode).toBe(403);
    const unsubscribe = await invoke('unsubscribe', {
      ...event,
      rawPath: '/subscriptions/unsubscribe',
      requestContext: {
        http: { method: 'POST', path: '/subscriptions/unsubscribe', sourceIp: '203.0.113.9' },
      },
    });
    expect(unsubscribe.statusCode).toBe(403);
  });
});

describe('unconfirmed addresses', () => {
  it('read as absent 30 days after their last request, and the sweep deletes them', async () => {
    const store = new DynamoSubscriberStore();
    const old = newAddress('forgotten');
    const recent = newAddress('recent');
    const now = Date.now();
    const past = new Date(now - 31 * 86_400_000).toISOString();
    for (const [address, forgetAt] of [
      [old, new Date(now - 86_400_000).toISOString()],
      [recent, new Date(now + 29 * 86_400_000).toISOString()],
    ] as const) {
      await documents.send(
        new PutCommand({
          TableName: stack().environment[subscribersTable.envVar],
          Item: {
            mailbox: mailboxOf(address),
            address,
            status: 'pending',
            id: `id-${address}`,
            version: 1,
            createdAt: past,
            updatedAt: past,
            lastRequestAt: past,
            lastConfirmationSentAt: past,
            forgetAt,
            pendingKey: 'pending',
          },
        }),
      );
    }

    const swept = await invoke('subscriptionSweep', {});

    expect(swept.deleted).toBeGreaterThanOrEqual(1);
    expect(await store.get(mailboxOf(old))).toBeUndefined();
    expect((await store.get(mailboxOf(recent)))?.status).toBe('pending');
    // A forgotten address that asks again is new: it gets a confirmation at once.
    expect((await subscribeFrom(sourceFor(old), old)).status).toBe(202);
    expect(await sentTo(old)).toHaveLength(1);
  });
});

describe('any request to the subscription endpoints', () => {
  const paths = [
    '/subscriptions',
    '/subscriptions/confirm',
    '/subscriptions/unsubscribe',
    '/subscriptions/x',
  ];
  const bodies = fc.oneof(
    fc.json(),
    fc.string(),
    fc.constant('{"email":'),
    fc.constant('['.repeat(5000)),
    fc
      .record({ email: fc.oneof(fc.string(), fc.emailAddress(), fc.integer(), fc.constant(null)) })
      .map((v) => JSON.stringify(v)),
    fc.string().map((text) => `email=${encodeURIComponent(text)}`),
  );

  it('answers 2xx or 4xx, never 5xx, with the error shape or a page, and mails nobody it should not', async () => {
    await waitForQueuesIdle(stack());
    const before = (await stack().sentMail()).length;
    let valid = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
        fc.option(fc.string({ maxLength: 80 }), { nil: undefined }),
        bodies,
        fc.constantFrom(
          'application/json',
          'application/x-www-form-urlencoded',
          'text/plain',
          'application/xml',
        ),
        async (path, method, token, body, type) => {
          counter += 1;
          const query = token === undefined ? '' : `?token=${encodeURIComponent(token)}`;
          const response = await stack().api(`${path}${query}`, {
            method,
            token: null,
            ...(method === 'GET' ? {} : { body }),
            headers: {
              'content-type': type,
              [TEST_SOURCE_HEADER]: `198.18.${Math.floor(counter / 250) % 250}.${counter % 250}`,
            },
          });
          expect(response.status).toBeLessThan(500);
          const text = await response.text();
          if ((response.headers.get('content-type') ?? '').startsWith('application/json')) {
            const parsed = JSON.parse(text) as Record<string, unknown>;
            if (response.status >= 400) expect(parsed).toMatchObject({ error: expect.any(String) });
          } else {
            expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
          }
          if (response.status === 202) valid += 1;
        },
      ),
      { numRuns: 150 },
    );
    await waitForQueuesIdle(stack());
    // Only accepted subscribe requests can lead to mail, at most one each.
    expect((await stack().sentMail()).length - before).toBeLessThanOrEqual(valid);
  });
});
