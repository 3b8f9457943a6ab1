import { describe, expect, it } from 'vitest';
import type { Edition } from '#core/edition/model';
import { ConflictError } from '#core/errors';
import {
  decide,
  publishingDraft,
  type ReviewStore,
  reviewDraft,
  type StoredDraft,
  settlePublished,
} from '#core/review/gate';
import { fixtureEdition } from '../fixtures/edition';

/** The stored drafts in memory, with a version condition as DynamoDB's; `lose` loses the next saves. */
class MemoryReviews implements ReviewStore {
  readonly items = new Map<string, StoredDraft>();
  writes = 0;
  lose = 0;
  async get(week: string) {
    return this.items.get(week);
  }
  async list() {
    return [...this.items.values()];
  }
  async save(stored: StoredDraft, expectedVersion: number) {
    if (this.lose > 0) {
      this.lose -= 1;
      // Another writer came first: the version moved on.
      const current = this.items.get(stored.draft.week);
      if (current) this.items.set(stored.draft.week, { ...current, version: current.version + 1 });
      return false;
    }
    if ((this.items.get(stored.draft.week)?.version ?? 0) !== expectedVersion) return false;
    this.items.set(stored.draft.week, stored);
    this.writes += 1;
    return true;
  }
}

const WEEK = '2017-01-28';
const RUN = '2017-02-06T13:00:00.000Z';
const AT = '2017-02-06T13:01:00.000Z';
const window = { mode: 'window', windowHours: 3 } as const;

function edition(hash = 'hash-1'): Edition {
  const base = fixtureEdition();
  return { ...base, edition: { ...base.edition, contentHash: hash } };
}

const input = (at: string, hash?: string, email = true) => ({
  week: WEEK,
  edition: edition(hash),
  runId: RUN,
  email,
  at,
});

describe('the review gate', () => {
  it('makes a draft that is not due before its window ends, then is due at the end unless held', async () => {
    const store = new MemoryReviews();
    const made = await reviewDraft(store, window, input(AT));
    expect(made).toMatchObject({ publish: false, changed: true });
    expect(made.stored.draft).toMatchObject({
      status: 'awaiting-review',
      publishAt: '2017-02-06T16:01:00.000Z',
    });
    expect(made.stored.email).toBe(true);

    // The same content again writes nothing.
    const again = await reviewDraft(store, window, input('2017-02-06T14:00:00.000Z'));
    expect(again).toMatchObject({ publish: false, changed: false });
    expect(store.writes).toBe(1);

    expect((await reviewDraft(store, window, input('2017-02-06T16:01:00.000Z'))).publish).toBe(true);
    await decide(
      store,
      WEEK,
      { decision: 'hold', reason: 'check the county' },
      'Editor',
      '2017-02-06T15:00:00.000Z',
    );
    expect((await reviewDraft(store, window, input('2017-02-06T17:00:00.000Z'))).publish).toBe(false);
  });

  it('publishes an approval of the content as it stands; a change after it makes the approval lapse', async () => {
    const store = new MemoryReviews();
    await reviewDraft(store, { mode: 'required', windowHours: 3 }, input(AT));
    await decide(store, WEEK, { decision: 'approve' }, 'Editor', '2017-02-06T13:30:00.000Z');
    expect((await reviewDraft(store, { mode: 'required', windowHours: 3 }, input(AT))).publish).toBe(true);
    const changed = await reviewDraft(store, { mode: 'required', windowHours: 3 }, input(AT, 'hash-2'));
    expect(changed).toMatchObject({ publish: false, changed: true });
    expect(changed.stored.draft.status).toBe('awaiting-review');
    expect(changed.stored.draft.decisions.map((d) => d.kind)).toContain('approval-lapsed');
  });

  it('keeps its run’s email intent, and tries again when another writer came first', async () => {
    const store = new MemoryReviews();
    await reviewDraft(store, window, input(AT, 'hash-1', true));
    store.lose = 2;
    const reassembled = await reviewDraft(store, window, input(AT, 'hash-2', false));
    expect(reassembled.stored.email).toBe(true);
    expect(reassembled.stored.draft.contentHash).toBe('hash-2');
  });

  it('says in Section IV how the edition was reviewed, and records its publication once', async () => {
    const store = new MemoryReviews();
    const { stored } = await reviewDraft(store, window, input(AT));
    expect(publishingDraft(stored, 'hash-1', '2017-02-06T16:01:00.000Z', 'America/New_York')?.sentence).toBe(
      'Offered for review as a draft; no editor held it, and it was published when its review window ended on 2017-02-06.',
    );
    const held = await decide(store, WEEK, { decision: 'hold', reason: 'wait' }, 'Editor', AT);
    expect(publishingDraft(held, 'hash-1', AT, 'America/New_York', 'Operator')?.sentence).toMatch(
      /^Published by the operator Operator on 2017-02-06, over Editor's hold/,
    );
    await settlePublished(store, WEEK, 'hash-1', AT, 'Operator');
    await settlePublished(store, WEEK, 'hash-1', AT, 'Operator');
    const published = await store.get(WEEK);
    expect(published?.draft.status).toBe('published');
    expect(published?.draft.decisions.filter((d) => d.kind === 'published-by-operator')).toHaveLength(1);
    expect(publishingDraft(published, 'hash-1', AT, 'America/New_York')).toBeUndefined();
    await expect(decide(store, WEEK, { decision: 'approve' }, 'Editor', AT)).rejects.toThrow(ConflictError);
  });

  it('refuses a decision on a week with no draft', async () => {
    await expect(decide(new MemoryReviews(), WEEK, { decision: 'approve' }, 'Editor', AT)).rejects.toThrow(
      'there is no draft of 2017-01-28 to review',
    );
  });

  it('starts a new draft for a week whose last draft was published (a re-issue is reviewed too)', async () => {
    const store = new MemoryReviews();
    await reviewDraft(store, window, input(AT));
    await settlePublished(store, WEEK, 'hash-1', AT);
    const next = await reviewDraft(store, window, input('2017-02-13T13:00:00.000Z', 'hash-2', false));
    expect(next.stored.draft).toMatchObject({ status: 'awaiting-review', contentHash: 'hash-2' });
    expect(next.stored.email).toBe(false);
    expect(next.stored.version).toBe(3);
  });
});
