import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '#local/stack';
import { type ApiClient, apiClient, syntheticRecord } from '../support/api';

/**
 * Many clients racing on the same and on different records, with retries, through the gateway:
 * the end state holds exactly the expected records, revisions and history.
 */
let stack: LocalStack;
let dataDir: string;
let clients: ApiClient[];

const WRITERS = 8;
const STEPS = 6;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'ddor-race-'));
  stack = await startLocalStack({
    dataDir,
    inMemory: true,
    quiet: true,
    intakeToken: 'race-admin-token-0123456789-synthetic',
  });
  const admin = apiClient(stack.urls.gateway, stack.token);
  clients = [];
  for (let i = 0; i < WRITERS; i++) {
    const created = await admin.call<{ token: string }>('POST', '/clients', {
      name: `writer ${i}`,
      role: 'intake',
    });
    clients.push(admin.withToken(created.body.token));
  }
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('concurrent writers', () => {
  it('lose no update on a shared record: every distinct write becomes exactly one revision', async () => {
    await Promise.all(
      clients.map(async (client, w) => {
        for (let step = 0; step < STEPS; step++) {
          const body = syntheticRecord({ note: `writer ${w} step ${step}` });
          const answer = await client.call('PUT', '/outcomes/RACE-SHARED', body);
          expect([200, 201]).toContain(answer.status);
          // A retry of the same write (as after a timeout) may be unchanged or, if another
          // writer got in between, a new revision with the same value: both are correct.
          await client.call('PUT', '/outcomes/RACE-SHARED', body);
        }
      }),
    );
    const view = await clients[0]?.call<{
      revision: number;
      history: { revision: number; changes: { field: string; after: unknown }[] }[];
    }>('GET', '/outcomes/RACE-SHARED');
    const history = view?.body.history ?? [];
    expect(history.map((h) => h.revision)).toEqual(Array.from({ length: history.length }, (_, i) => i + 1));
    expect(view?.body.revision).toBe(history.length);
    // Every first write of each note appears in the history (no lost update).
    const notes = new Set(
      history.flatMap((h) => h.changes.filter((c) => c.field === 'note').map((c) => c.after)),
    );
    for (let w = 0; w < WRITERS; w++)
      for (let s = 0; s < STEPS; s++) expect(notes.has(`writer ${w} step ${s}`)).toBe(true);
  });

  it('gives optimistic concurrency with If-Match: read-modify-write loops count exactly', async () => {
    const first = await clients[0]?.call('PUT', '/outcomes/RACE-COUNTER', syntheticRecord({ note: '0' }));
    expect(first?.status).toBe(201);
    let conflicts = 0;
    await Promise.all(
      clients.map(async (client, w) => {
        for (let step = 0; step < STEPS; step++) {
          for (;;) {
            const current = await client.call<{ revision: number; record: { note: string } }>(
              'GET',
              '/outcomes/RACE-COUNTER',
            );
            // Each write is unique (count and writer), so none is "unchanged" by coincidence: an
            // equal write is unchanged whatever If-Match says, which would hide a lost update.
            const next = `${Number.parseInt(current.body.record.note, 10) + 1} by writer ${w} step ${step}`;
            const answer = await client.call(
              'PUT',
              '/outcomes/RACE-COUNTER',
              syntheticRecord({ note: next }),
              {
                'if-match': `"${current.body.revision}"`,
              },
            );
            if (answer.status === 200) break;
            expect(answer.status).toBe(412);
            conflicts++;
          }
        }
      }),
    );
    const view = await clients[0]?.call<{ revision: number; record: { note: string } }>(
      'GET',
      '/outcomes/RACE-COUNTER',
    );
    expect(Number.parseInt(view?.body.record.note ?? '', 10)).toBe(WRITERS * STEPS);
    expect(view?.body.revision).toBe(WRITERS * STEPS + 1);
    expect(conflicts).toBeGreaterThan(0);
  });

  it('creates each of many different records exactly once under retries', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `RACE-${i}`);
    const results = await Promise.all(
      clients.flatMap((client) =>
        ids.map((id) =>
          client.call<{ result: string }>('PUT', `/outcomes/${id}`, syntheticRecord({ facility: id })),
        ),
      ),
    );
    const created = results.filter((r) => r.body.result === 'created').length;
    const unchanged = results.filter((r) => r.body.result === 'unchanged').length;
    expect(created).toBe(ids.length);
    expect(unchanged).toBe(ids.length * (WRITERS - 1));
    for (const id of ids.slice(0, 5)) {
      const view = await clients[1]?.call<{ revision: number; history: unknown[] }>('GET', `/outcomes/${id}`);
      expect(view?.body.revision).toBe(1);
      expect(view?.body.history).toHaveLength(1);
    }
  });
});
