import { describe, expect, it } from 'vitest';
import type { PendingWrite } from '#core/edition/ports';
import { ABANDONED_WRITE_MS, type ReissueMarkDeps, settleReissueMark } from '#core/edition/reissue';
import type { OutcomeItem } from '#core/intake/model';

/** When a week's re-issue mark may go: each write it stands for read, or known not to concern the week. */

const WEEK = '2017-07-01';
const NOW = new Date('2017-08-01T12:00:00Z');

function item(detainerId: string, revision: number, issuedOn: string, voided = false): OutcomeItem {
  return {
    detainerId,
    revision,
    voided,
    record: { issuedOn, status: 'honored' },
  } as unknown as OutcomeItem;
}

function fakes(pending: PendingWrite[], records: Record<string, OutcomeItem>) {
  const settled: string[] = [];
  let cleared = false;
  const deps: ReissueMarkDeps = {
    editions: {
      pendingWrites: async () => pending,
      settlePending: async (_week, write) => {
        settled.push(write.detainerId);
      },
      clearDirty: async () => {
        cleared = true;
      },
    },
    currentRecord: async (id) => records[id],
    now: () => NOW,
  };
  return { deps, settled, cleared: () => cleared };
}

const recent = new Date(NOW.getTime() - 1000).toISOString();

describe('settling a re-issue mark', () => {
  it('clears the mark when the publication read every noted revision', async () => {
    const { deps, settled, cleared } = fakes([{ detainerId: 'A', revision: 2, at: recent }], {});
    expect(await settleReissueMark(deps, WEEK, recent, new Map([['A', 2]]))).toEqual([]);
    expect(settled).toEqual(['A']);
    expect(cleared()).toBe(true);
  });

  it('keeps it for a write not landed yet, and for one the week’s index did not show', async () => {
    const { deps, settled, cleared } = fakes(
      [
        { detainerId: 'IN-FLIGHT', revision: 3, at: recent },
        { detainerId: 'LAGGING', revision: 2, at: recent },
      ],
      { 'IN-FLIGHT': item('IN-FLIGHT', 2, WEEK), LAGGING: item('LAGGING', 2, WEEK) },
    );
    expect(await settleReissueMark(deps, WEEK, recent, new Map([['LAGGING', 1]]))).toEqual([
      'IN-FLIGHT',
      'LAGGING',
    ]);
    expect(settled).toEqual([]);
    expect(cleared()).toBe(false);
  });

  it('lets go of a write that left the week, was voided, or was abandoned an hour ago', async () => {
    const old = new Date(NOW.getTime() - ABANDONED_WRITE_MS - 1000).toISOString();
    const { deps, settled, cleared } = fakes(
      [
        { detainerId: 'MOVED', revision: 2, at: recent },
        { detainerId: 'VOIDED', revision: 4, at: recent },
        { detainerId: 'DIED', revision: 2, at: old },
      ],
      {
        MOVED: item('MOVED', 2, '2017-07-15'),
        VOIDED: item('VOIDED', 4, WEEK, true),
        DIED: item('DIED', 1, WEEK),
      },
    );
    expect(await settleReissueMark(deps, WEEK, recent, new Map())).toEqual([]);
    expect(settled).toEqual(['MOVED', 'VOIDED', 'DIED']);
    expect(cleared()).toBe(true);
  });
});
