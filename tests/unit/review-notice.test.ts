import { describe, expect, it } from 'vitest';
import type { Edition } from '#core/edition/model';
import type { StoredDraft } from '#core/review/gate';
import {
  NOTICE_LEASE_MS,
  type NoticeDeps,
  noticeChanged,
  type RunNotices,
  settleRunWeek,
} from '#core/review/notice';
import { fixtureEdition } from '../fixtures/edition';

const RUN = '2017-03-13T13:00:00.000Z';

/** The run's item as DynamoDB keeps it, with the same conditions. */
function memoryRuns(): RunNotices & { readonly item: Map<string, Record<string, unknown>> } {
  const item = new Map<string, Record<string, unknown>>();
  const of = (runId: string) => {
    let found = item.get(runId);
    if (found === undefined) {
      found = { settled: new Set<string>(), sentTo: new Set<string>() };
      item.set(runId, found);
    }
    return found;
  };
  return {
    item,
    settle: async (runId, week) => {
      const settled = of(runId).settled as Set<string>;
      settled.add(week);
      return [...settled];
    },
    claim: async (runId, at, staleBefore) => {
      const run = of(runId);
      const free =
        run.notifiedAt === undefined || (run.sentAt === undefined && String(run.notifiedAt) < staleBefore);
      if (free) run.notifiedAt = at;
      return free;
    },
    release: async (runId) => {
      delete of(runId).notifiedAt;
    },
    claimed: async (runId) => of(runId).notifiedAt !== undefined,
    sentTo: async (runId) => new Set(of(runId).sentTo as Set<string>),
    markSent: async (runId, recipient) => {
      (of(runId).sentTo as Set<string>).add(recipient);
    },
    finish: async (runId, at) => {
      of(runId).sentAt = at;
    },
  };
}

function stored(week: string, contentHash: string, notifiedHash?: string): StoredDraft {
  return {
    draft: {
      week,
      runId: RUN,
      contentHash,
      status: 'awaiting-review',
      decisions: [{ kind: 'assembled', at: RUN, by: 'schedule', contentHash }],
    },
    version: 1,
    email: true,
    checks: [],
    ...(notifiedHash === undefined ? {} : { notifiedHash }),
  };
}

function deps(drafts: StoredDraft[], options: { failFor?: Set<string>; now?: Date } = {}) {
  const sent: string[] = [];
  const notified: string[] = [];
  const runs = memoryRuns();
  const value: NoticeDeps = {
    runs,
    drafts: { list: async () => drafts },
    edition: async () => fixtureEdition() as Edition,
    latest: async () => undefined,
    preview: async (week) => ({
      url: `https://api.example.org/editions/${week}/draft?key=k`,
      expiresAt: RUN,
    }),
    render: (weeks, kind) => ({ subject: `${kind}: ${weeks.length}`, html: '<p>x</p>', text: 'x' }),
    editors: ['a@example.org', 'b@example.org'],
    sendTo: async (to) => {
      if (options.failFor?.has(to)) throw new Error('Throttling');
      sent.push(to);
    },
    recipientKey: (to) => `key:${to}`,
    notified: async (week, hash) => {
      notified.push(`${week}@${hash}`);
    },
    now: () => options.now ?? new Date('2017-03-13T13:05:00Z'),
  };
  return { value, sent, notified, runs };
}

describe('the editors’ email of a run', () => {
  it('goes when the last of the run’s weeks settles, in any order, once', async () => {
    const weeks = ['2017-02-25', '2017-03-04'];
    const { value, sent, notified } = deps([stored('2017-03-04', 'h1')]);
    expect(await settleRunWeek(value, RUN, '2017-03-04', weeks)).toBe('waiting');
    expect(await settleRunWeek(value, RUN, '2017-02-25', weeks)).toBe('sent');
    // A redelivered message of either week sends nothing more.
    expect(await settleRunWeek(value, RUN, '2017-03-04', weeks)).toBe('nothing');
    expect(sent).toEqual(['a@example.org', 'b@example.org']);
    expect(notified).toEqual(['2017-03-04@h1']);
  });

  it('sends nothing for a run that left no draft', async () => {
    const { value, sent } = deps([]);
    expect(await settleRunWeek(value, RUN, '2017-03-04', ['2017-03-04'])).toBe('nothing');
    expect(sent).toEqual([]);
  });

  it('after a failed send, the retry reaches only the editors not yet reached', async () => {
    const drafts = [stored('2017-03-04', 'h1')];
    const failing = deps(drafts, { failFor: new Set(['b@example.org']) });
    await expect(settleRunWeek(failing.value, RUN, '2017-03-04', ['2017-03-04'])).rejects.toThrow(
      'Throttling',
    );
    expect(failing.sent).toEqual(['a@example.org']);
    // The same run's item, SES answering again.
    const retry = { ...failing.value, sendTo: async (to: string) => void failing.sent.push(to) };
    expect(await settleRunWeek(retry, RUN, '2017-03-04', ['2017-03-04'])).toBe('sent');
    expect(failing.sent).toEqual(['a@example.org', 'b@example.org']);
  });

  it('is taken over from a claimant that died mid-send once its lease ran out', async () => {
    const { value, runs, sent } = deps([stored('2017-03-04', 'h1')]);
    await runs.settle(RUN, '2017-03-04');
    await runs.claim(RUN, '2017-03-13T13:00:00.000Z', '2017-03-13T12:00:00.000Z');
    expect(await settleRunWeek(value, RUN, '2017-03-04', ['2017-03-04'])).toBe('nothing');
    const later = { ...value, now: () => new Date(Date.parse('2017-03-13T13:00:00Z') + NOTICE_LEASE_MS + 1) };
    expect(await settleRunWeek(later, RUN, '2017-03-04', ['2017-03-04'])).toBe('sent');
    expect(sent).toHaveLength(2);
  });
});

describe('the email of a draft changed after its run’s email', () => {
  it('goes until it is sent, then never again for that content', async () => {
    const { value, runs, sent, notified } = deps([]);
    // Before the run's email: that email will show it.
    expect(await noticeChanged(value, stored('2017-03-04', 'h2', 'h1'))).toBe(false);
    await runs.claim(RUN, RUN, RUN);
    expect(await noticeChanged(value, stored('2017-03-04', 'h2', 'h1'))).toBe(true);
    expect(sent).toEqual(['a@example.org', 'b@example.org']);
    expect(notified).toEqual(['2017-03-04@h2']);
    expect(await noticeChanged(value, stored('2017-03-04', 'h2', 'h2'))).toBe(false);
  });
});
