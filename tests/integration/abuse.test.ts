import { describe, expect, it } from 'vitest';
import { syntheticRecord } from '../support/api';
import { useLocalStack } from '../support/local-stack';

/**
 * Abuse resistance (issue 12; contract v3 §§1, 2, 4, 5), tried from outside against the running
 * stack as an attacker would: each attack as the issue wrote it, and the answer the contract gives.
 */
const stack = useLocalStack();

/** `{"a":{"a":…}}` nested `levels` deep (the top-level object is level 1), ending in `leaf`. */
function nested(levels: number, leaf: string): string {
  return `${'{"a":'.repeat(levels - 1)}{"a":${leaf}}${'}'.repeat(levels - 1)}`;
}

describe('a deeply nested JSON body', () => {
  it('is a 400 at any depth, with or without a token, on the intake API and the subscriptions API', async () => {
    for (const depth of [33, 5_000, 100_000]) {
      const body = nested(depth, '1');
      for (const [path, token] of [
        ['/subscriptions', null],
        ['/outcomes', undefined],
        ['/disputes', undefined],
      ] as const) {
        const response = await stack().api(path, {
          method: 'POST',
          body,
          ...(token === null ? { token } : {}),
          headers: { 'content-type': 'application/json' },
        });
        expect(response.status, `${path} at depth ${depth}`).toBe(response.status === 413 ? 413 : 400);
        const answer = (await response.json()) as { error?: string; message?: string };
        if (response.status === 400) expect(answer.error).toContain('nested deeper than 32 levels');
      }
    }
  });

  it('counts brackets inside strings as text, and takes a body 32 levels deep to its schema', async () => {
    const record = { detainerId: 'ABUSE-DEPTH', ...syntheticRecord({ facility: '[[[[{{{{'.repeat(20) }) };
    const written = await stack().api('/outcomes', { method: 'POST', body: { outcomes: [record] } });
    expect(written.status).toBe(200);
    const deep = await stack().api('/outcomes', {
      method: 'POST',
      body: nested(32, '1'),
      headers: { 'content-type': 'application/json' },
    });
    expect(deep.status).toBe(400);
    expect(((await deep.json()) as { error: string }).error).not.toContain('nested deeper');
  });
});

describe('disputes from one client', () => {
  const records = Array.from({ length: 34 }, (_, i) => ({
    detainerId: `ABUSE-D${String(i).padStart(2, '0')}`,
    ...syntheticRecord({
      jurisdiction: { id: 'XQAB0101', name: 'Synthetic Abbot County Sheriff’s Office', state: 'ME' },
    }),
  }));
  const dispute = (detainerId: string, headers: Record<string, string> = {}) =>
    stack().api('/disputes', { method: 'POST', body: { detainerId, reason: 'synthetic dispute' }, headers });

  it('holds at most 3 open about one record (409), and a repeated Idempotency-Key answers the same dispute', async () => {
    expect((await stack().api('/outcomes', { method: 'POST', body: { outcomes: records } })).status).toBe(
      200,
    );
    const key = { 'idempotency-key': 'synthetic-key-0001' };
    const first = await dispute('ABUSE-D00', key);
    expect(first.status).toBe(201);
    const id = ((await first.json()) as { id: string }).id;
    const again = await dispute('ABUSE-D00', key);
    expect(again.status).toBe(201);
    expect(((await again.json()) as { id: string }).id).toBe(id);
    // The repeat took no slot: two more may be opened about the record, then no more.
    expect((await dispute('ABUSE-D00')).status).toBe(201);
    expect((await dispute('ABUSE-D00')).status).toBe(201);
    const fourth = await dispute('ABUSE-D00');
    expect(fourth.status).toBe(409);
    expect(((await fourth.json()) as { error: string }).error).toContain('3 open disputes about this record');
  });

  it('opens at most 100 in 24 hours, then 429 with Retry-After', async () => {
    // Three already opened above.
    let opened = 3;
    for (const record of records.slice(1)) {
      for (let i = 0; i < 3 && opened < 100; i++, opened++)
        expect((await dispute(record.detainerId)).status).toBe(201);
    }
    const refused = await dispute('ABUSE-D33');
    expect(refused.status).toBe(429);
    const wait = Number(refused.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(23 * 3600);
    expect(wait).toBeLessThanOrEqual(24 * 3600);
  });

  it('lists them in pages, oldest first, each with its age, and refuses a cursor it did not give', async () => {
    const seen: { id: string; openedAt: string; ageSeconds: number }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await stack().api(`/disputes?limit=40${cursor === null ? '' : `&cursor=${cursor}`}`);
      expect(response.status).toBe(200);
      const page = (await response.json()) as { disputes: typeof seen; next: string | null };
      expect(page.disputes.length).toBeLessThanOrEqual(40);
      seen.push(...page.disputes);
      cursor = page.next;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(seen).toHaveLength(100);
    expect(new Set(seen.map((d) => d.id)).size).toBe(100);
    expect(pages).toBe(3);
    const order = seen.map((d) => d.openedAt);
    expect(order).toEqual([...order].sort());
    for (const d of seen) expect(d.ageSeconds).toBeGreaterThanOrEqual(0);
    expect((await stack().api('/disputes?cursor=not-a-cursor')).status).toBe(400);
    expect((await stack().api('/disputes?limit=0')).status).toBe(400);
    expect((await stack().api('/disputes?limit=501')).status).toBe(400);
    const resolved = await stack().api('/disputes?status=resolved');
    expect(((await resolved.json()) as { disputes: unknown[] }).disputes).toEqual([]);
  });
});

describe('pages whose URL carries a token', () => {
  it('reach the browser with Referrer-Policy: no-referrer, while site pages keep the site’s policy', async () => {
    const page = await stack().api('/subscriptions/confirm?token=synthetic-not-a-token', { token: null });
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const site = await stack().api('/feed.xml', { token: null });
    expect(site.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
  });
});

describe('a jurisdiction changed again and again', () => {
  const large = (n: number, day: number) => ({
    enactedOn: `2016-${String(Math.floor(day / 28) + 1).padStart(2, '0')}-${String((day % 28) + 1).padStart(2, '0')}`,
    type: `Synthetic policy type ${n} `.padEnd(200, 't').slice(0, 200),
    summary: `Synthetic summary ${n} `.padEnd(2000, 's'),
    criteria: `Synthetic criteria ${n} `.padEnd(2000, 'c'),
    source: 'https://example.org/synthetic-policy',
  });
  const put = (policy: unknown) =>
    stack().api('/jurisdictions/ZZBIG1', {
      method: 'PUT',
      body: { name: 'Synthetic Large Policy County', state: 'OR', policy },
    });

  it('takes every large policy PUT and correction (history is kept apart, each entry only what changed)', async () => {
    const statuses: number[] = [];
    // 50 versions of 4 KB each, then 20 corrections of one of them: the old item, which kept the
    // whole list before and after every change, passed 400 KB at the eighth.
    for (let n = 0; n < 50; n += 1) statuses.push((await put(large(n, n))).status);
    for (let n = 0; n < 20; n += 1) statuses.push((await put(large(100 + n, 7))).status);
    expect(statuses).toEqual([201, ...Array(69).fill(200)]);

    // A 51st version is refused, saying what to do; a correction still works.
    const more = await put(large(999, 60));
    expect(more.status).toBe(409);
    expect(JSON.stringify(await more.json())).toContain('correct an existing version');
    expect((await put(large(1000, 7))).status).toBe(200);

    // The last change holds the one version it corrected, before and after.
    const { DynamoJurisdictionStore } = await import('#adapters/jurisdiction-store');
    const store = new DynamoJurisdictionStore();
    const history = await store.listHistory('ZZBIG1');
    expect(history.map((entry) => entry.revision)).toEqual(Array.from({ length: 71 }, (_, i) => i + 1));
    const last = history.at(-1)?.changes.find((change) => change.field === 'policy');
    expect(last?.before).toHaveLength(1);
    expect(last?.after).toHaveLength(1);
    const item = await store.get('ZZBIG1');
    expect(JSON.stringify(item).length).toBeLessThan(250_000);
  }, 120_000);
});
