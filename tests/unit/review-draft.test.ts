import { describe, expect, it } from 'vitest';
import {
  approve,
  type Draft,
  hold,
  isDue,
  newDraft,
  published,
  reassemble,
  reviewSentence,
} from '#core/review/draft';

const RUN_AT = '2017-02-06T14:00:00.000Z';
const NY = 'America/New_York';

function draft(mode: 'window' | 'required' = 'window'): Draft {
  return newDraft({
    week: '2017-01-28',
    runId: 'run-1',
    contentHash: 'h1',
    mode,
    windowHours: 3,
    runAt: RUN_AT,
  });
}

const hoursAfterRun = (hours: number) => new Date(Date.parse(RUN_AT) + hours * 3_600_000).toISOString();

describe('a draft under review', () => {
  it('awaits review, and under window publishes when the window ends', () => {
    const d = draft();
    expect(d).toMatchObject({ status: 'awaiting-review', publishAt: '2017-02-06T17:00:00.000Z' });
    expect(isDue(d, 'window', hoursAfterRun(2.99))).toBe(false);
    expect(isDue(d, 'window', hoursAfterRun(3))).toBe(true);
  });

  it('takes fractions of an hour for its window', () => {
    const d = newDraft({
      week: '2017-01-28',
      runId: 'r',
      contentHash: 'h',
      mode: 'window',
      windowHours: 0.25,
      runAt: RUN_AT,
    });
    expect(d.publishAt).toBe('2017-02-06T14:15:00.000Z');
    expect(() =>
      newDraft({
        week: '2017-01-28',
        runId: 'r',
        contentHash: 'h',
        mode: 'window',
        windowHours: 0,
        runAt: RUN_AT,
      }),
    ).toThrow(/positive number of hours/);
  });

  it('under required publishes only once approved, at once', () => {
    const d = draft('required');
    expect(d.publishAt).toBeUndefined();
    expect(isDue(d, 'required', hoursAfterRun(1_000))).toBe(false);
    const approved = approve(d, 'Synthetic Editor', hoursAfterRun(1));
    expect(approved).toMatchObject({ status: 'approved', approvedHash: 'h1' });
    expect(isDue(approved, 'required', hoursAfterRun(1))).toBe(true);
  });

  it('held: never due at the window’s end; a hold needs a reason; approving releases it', () => {
    expect(() => hold(draft(), 'Synthetic Editor', hoursAfterRun(1), '  ')).toThrow(/needs a reason/);
    const held = hold(draft(), 'Synthetic Editor', hoursAfterRun(1), 'check the Amberfield dates');
    expect(held.status).toBe('held');
    expect(isDue(held, 'window', hoursAfterRun(100))).toBe(false);
    const released = approve(held, 'Synthetic Editor', hoursAfterRun(5));
    expect(isDue(released, 'window', hoursAfterRun(5))).toBe(true);
    expect(released.decisions.map((decision) => decision.kind)).toEqual(['assembled', 'hold', 'approve']);
  });

  it('an approval is of one content: a changed content makes it lapse, the same content does not', () => {
    const approved = approve(draft('required'), 'Synthetic Editor', hoursAfterRun(1));
    expect(reassemble(approved, 'h1', hoursAfterRun(1.5))).toEqual({ draft: approved, changed: false });
    const { draft: changed, changed: didChange } = reassemble(approved, 'h2', hoursAfterRun(1.5));
    expect(didChange).toBe(true);
    expect(changed).toMatchObject({ status: 'awaiting-review', contentHash: 'h2' });
    expect(changed.approvedHash).toBeUndefined();
    expect(isDue(changed, 'required', hoursAfterRun(2))).toBe(false);
    expect(changed.decisions.map((decision) => decision.kind)).toEqual([
      'assembled',
      'approve',
      'reassembled',
      'approval-lapsed',
    ]);
  });

  it('refuses an approval of a content the editor did not read', () => {
    const { draft: changed } = reassemble(draft(), 'h2', hoursAfterRun(1));
    expect(() => approve(changed, 'Synthetic Editor', hoursAfterRun(1.1), undefined, 'h1')).toThrow(
      /changed since it was read/,
    );
    expect(approve(changed, 'Synthetic Editor', hoursAfterRun(1.1), undefined, 'h2').status).toBe('approved');
  });

  it('under window, a change in the last hour before publishAt moves it one hour later; earlier, not', () => {
    const early = reassemble(draft(), 'h2', hoursAfterRun(1)).draft;
    expect(early.publishAt).toBe('2017-02-06T17:00:00.000Z');
    const late = reassemble(draft(), 'h2', hoursAfterRun(2.5)).draft;
    expect(late.publishAt).toBe('2017-02-06T18:00:00.000Z');
    expect(late.decisions.at(-1)?.kind).toBe('window-extended');
    // Locally the hour shrinks with the window (LOCAL_TIME_SCALE 0.01: 36 s).
    const scaled = reassemble(draft(), 'h2', hoursAfterRun(2.5), 36_000).draft;
    expect(scaled.publishAt).toBe(draft().publishAt);
    const lastSeconds = reassemble(draft(), 'h2', '2017-02-06T16:59:40.000Z', 36_000).draft;
    expect(lastSeconds.publishAt).toBe('2017-02-06T17:00:36.000Z');
  });

  it('a hold survives a re-assembly; a held draft or a change after the window keeps publishAt', () => {
    const held = hold(draft(), 'Synthetic Editor', hoursAfterRun(1), 'dates to check');
    const again = reassemble(held, 'h2', hoursAfterRun(2.5)).draft;
    expect(again.status).toBe('held');
    expect(again.publishAt).toBe(held.publishAt);
    expect(reassemble(draft(), 'h2', hoursAfterRun(3.2)).draft.publishAt).toBe('2017-02-06T17:00:00.000Z');
  });

  it('publishes once; an operator’s publish overrides a hold and is recorded as theirs', () => {
    const held = hold(draft(), 'Synthetic Editor', hoursAfterRun(1), 'dates to check');
    const out = published(held, hoursAfterRun(2), 'synthetic-operator');
    expect(out.status).toBe('published');
    expect(out.decisions.at(-1)).toMatchObject({ kind: 'published-by-operator', by: 'synthetic-operator' });
    expect(() => published(out, hoursAfterRun(3))).toThrow(/already published/);
    expect(() => approve(out, 'Synthetic Editor', hoursAfterRun(3))).toThrow(/already published/);
    expect(() => hold(out, 'Synthetic Editor', hoursAfterRun(3), 'late')).toThrow(/already published/);
    expect(isDue(out, 'window', hoursAfterRun(100))).toBe(false);
  });

  it('says in Section IV how the edition was reviewed, in the dates of the report', () => {
    const approved = published(
      approve(draft(), 'Synthetic Editor', '2017-02-06T15:00:00.000Z'),
      hoursAfterRun(1),
    );
    expect(reviewSentence(approved, NY)).toBe(
      'Reviewed as a draft and approved by Synthetic Editor on 2017-02-06.',
    );
    expect(reviewSentence(published(draft(), '2017-02-06T17:00:00.000Z'), NY)).toBe(
      'Offered for review as a draft; no editor held it, and it was published when its review window ended on 2017-02-06.',
    );
    const operator = published(
      hold(draft(), 'E', hoursAfterRun(1), 'dates to check'),
      '2017-02-07T15:00:00.000Z',
      'ops',
    );
    expect(reviewSentence(operator, NY)).toBe(
      "Published by the operator ops on 2017-02-07, over E's hold of 2017-02-06 (dates to check).",
    );
    // 02:00 UTC on the 7th is still the evening of the 6th in New York.
    const evening = published(
      approve(draft(), 'Synthetic Editor', '2017-02-07T02:00:00.000Z'),
      hoursAfterRun(13),
    );
    expect(reviewSentence(evening, NY)).toContain('on 2017-02-06.');
  });
});
