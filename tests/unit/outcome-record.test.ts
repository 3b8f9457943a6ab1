import { describe, expect, it } from 'vitest';
import {
  futureDateIssues,
  recordChanges,
  resolveRecord,
  sameRecord,
  weekKeys,
} from '#core/intake/outcome-record';
import { type OutcomeInput, putOutcomeBodySchema, recordRuleIssues } from '#core/intake/schemas';
import { toIssues } from '#core/issues';
import { stripNulls } from '#http/json-body';

const base: OutcomeInput = {
  issuedOn: '2017-01-30',
  jurisdiction: { id: 'ZZ0010000', name: 'Synthetic County Sheriff', state: 'CA' },
  facility: 'Synthetic Jail',
  status: 'declined',
  declinedOn: '2017-02-01',
};

describe('learnedOn defaults', () => {
  it('defaults the first recorded decline to the later of declinedOn and today', () => {
    expect(resolveRecord(base, undefined, '2017-02-02').learnedOn).toBe('2017-02-02');
    expect(resolveRecord({ ...base, declinedOn: '2017-02-03' }, undefined, '2017-02-02').learnedOn).toBe(
      '2017-02-03',
    );
  });

  it('keeps the stored value when a later write omits it, unless the new declinedOn is later', () => {
    const stored = resolveRecord(base, undefined, '2017-02-05');
    expect(resolveRecord(base, stored, '2017-03-01').learnedOn).toBe('2017-02-05');
    expect(resolveRecord({ ...base, declinedOn: '2017-02-04' }, stored, '2017-03-01').learnedOn).toBe(
      '2017-02-05',
    );
    expect(resolveRecord({ ...base, declinedOn: '2017-02-07' }, stored, '2017-03-01').learnedOn).toBe(
      '2017-02-07',
    );
  });

  it('takes a given learnedOn as is, and treats a decline after another status as the first', () => {
    expect(resolveRecord({ ...base, learnedOn: '2017-02-01' }, undefined, '2017-03-01').learnedOn).toBe(
      '2017-02-01',
    );
    const pending = resolveRecord(
      { ...base, status: 'pending', declinedOn: undefined },
      undefined,
      '2017-02-01',
    );
    expect(pending.learnedOn).toBeUndefined();
    expect(resolveRecord(base, pending, '2017-02-09').learnedOn).toBe('2017-02-09');
  });
});

describe('records', () => {
  it('applies kind detainer by default and compares canonically', () => {
    const a = resolveRecord(base, undefined, '2017-02-02');
    const b = resolveRecord({ ...base, kind: 'detainer', learnedOn: '2017-02-02' }, undefined, '2017-02-09');
    expect(a.kind).toBe('detainer');
    expect(sameRecord(a, b)).toBe(true);
  });

  it('lists field-level changes with before and after', () => {
    const before = resolveRecord(
      { ...base, status: 'pending', declinedOn: undefined },
      undefined,
      '2017-02-01',
    );
    const after = resolveRecord(base, before, '2017-02-02');
    expect(recordChanges(before, after)).toEqual([
      { field: 'status', before: 'pending', after: 'declined' },
      { field: 'declinedOn', before: null, after: '2017-02-01' },
      { field: 'learnedOn', before: null, after: '2017-02-02' },
    ]);
  });

  it('keys the decline by the week it was recorded, and a voided record by no week', () => {
    const record = resolveRecord({ ...base, issuedOn: '2015-06-01' }, undefined, '2017-02-06');
    expect(weekKeys(record, false)).toEqual({ issuedWeek: '2015-05-30', declinedWeek: '2017-02-04' });
    expect(weekKeys(record, true)).toEqual({});
  });

  it('refuses dates after tomorrow', () => {
    expect(futureDateIssues({ ...base, issuedOn: '2017-02-03' }, '2017-02-02')).toEqual([]);
    expect(futureDateIssues({ ...base, issuedOn: '2017-02-04' }, '2017-02-02')[0]?.path).toBe('issuedOn');
  });
});

describe('record rules', () => {
  const issuesOf = (body: unknown) => {
    const result = putOutcomeBodySchema.safeParse(stripNulls(body));
    return result.success ? [] : toIssues(result.error);
  };

  it('requires declinedOn exactly when declined, and orders the dates', () => {
    expect(recordRuleIssues({ ...base, declinedOn: undefined }).map((i) => i.path)).toEqual(['declinedOn']);
    expect(recordRuleIssues({ ...base, status: 'honored' }).map((i) => i.path)).toEqual(['declinedOn']);
    expect(recordRuleIssues({ ...base, declinedOn: '2017-01-01' }).map((i) => i.path)).toEqual([
      'declinedOn',
    ]);
    expect(recordRuleIssues({ ...base, learnedOn: '2017-01-31' }).map((i) => i.path)).toEqual(['learnedOn']);
  });

  it('ties transferredTo and lift fields to their statuses', () => {
    const to = { id: 'ZZ2', name: 'Other', state: 'CA' };
    expect(
      recordRuleIssues({ ...base, status: 'transferred', declinedOn: undefined }).map((i) => i.path),
    ).toEqual(['transferredTo']);
    expect(
      recordRuleIssues({ ...base, status: 'pending', declinedOn: undefined, transferredTo: to }),
    ).toHaveLength(1);
    expect(recordRuleIssues({ ...base, transferredTo: to, liftedOn: '2017-02-02', liftReason: 'x' })).toEqual(
      [],
    );
    expect(
      recordRuleIssues({ ...base, status: 'honored', declinedOn: undefined, liftedOn: '2017-02-02' }),
    ).toHaveLength(1);
  });

  it('treats null as absent and rejects unknown fields by name', () => {
    expect(issuesOf({ ...base, note: null, aor: null })).toEqual([]);
    expect(issuesOf({ ...base, colour: 'red' })).toEqual([
      { path: 'colour', message: 'unknown field colour: remove it' },
    ]);
    expect(issuesOf({ ...base, jurisdiction: { ...base.jurisdiction, state: 'XX' } })[0]?.path).toBe(
      'jurisdiction.state',
    );
  });
});
