import { describe, expect, it } from 'vitest';
import { inHistoryOrder } from '#core/intake/history-order';
import type { HistoryEntry } from '#core/intake/model';

/** A record's history in the order it happened, whatever the clocks of the containers said. */
const revision = (n: number, at: string) => ({ revision: n, at }) as unknown as HistoryEntry;
const step = (name: string, at: string) =>
  ({ revision: null, at, dispute: { id: 'd1', step: name } }) as unknown as HistoryEntry;

describe('history order', () => {
  it('lists revisions by number even when a container’s clock put revision 3 before revision 2', () => {
    const entries = [
      revision(1, '2017-03-01T10:00:00Z'),
      revision(3, '2017-03-01T10:00:01Z'),
      revision(2, '2017-03-01T10:00:02Z'),
    ];
    expect(inHistoryOrder(entries).map((e) => e.revision)).toEqual([1, 2, 3]);
  });

  it('places dispute steps by time among the revisions, after those before them', () => {
    const entries = [
      step('resolved', '2017-03-05T00:00:00Z'),
      revision(2, '2017-03-03T00:00:00Z'),
      step('opened', '2017-03-02T00:00:00Z'),
      revision(1, '2017-03-01T00:00:00Z'),
    ];
    expect(inHistoryOrder(entries).map((e) => e.revision ?? e.dispute?.step)).toEqual([
      1,
      'opened',
      2,
      'resolved',
    ]);
  });
});
