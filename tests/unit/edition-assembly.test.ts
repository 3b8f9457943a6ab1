import { describe, expect, it } from 'vitest';
import {
  type AssemblyOptions,
  assembleEdition,
  canonicalJson,
  contentHashOf,
  ownContent,
} from '#core/edition/assembly';
import type { TrendPoint } from '#core/edition/model';
import type { WeekData } from '#core/edition/week-data';
import type { JurisdictionItem, OutcomeItem, PolicyVersion } from '#core/intake/model';
import type { JurisdictionRef, OutcomeRecord } from '#core/intake/outcome-record';
import { compareCodePoints } from '#core/ordering';

/**
 * One hand-counted week (2017-01-28 to 2017-02-03) of fictional jurisdictions. The counts in the
 * expectations below were worked out by hand from this table, not by running the code:
 *
 * | jurisdiction | issued in week | declines in week | policy at week end |
 * | A  Synthetic County Sheriff's Office, TX | 5 (a1 a2 a3 a4 t1; a5 voided) | 1 (a1; v2 voided) | yes (2016-05-01) |
 * | B  Synthetic County Sheriff's Office, OR | 5 (b1..b5)                     | 2 (b1, l1 late)   | no |
 * | C  Meadowvale City Police Department, CA | 3                              | 0                 | yes (2017-01-10) |
 * | D  Quietwater County Sheriff's Office, NV| 5 (d5's decline is next week)  | 0                 | no |
 * | E  Repealton County Jail, WA             | 2                              | 0                 | repealed on the week's end |
 * | F  Futureburg Police Department, AZ      | 1                              | 0                 | enacted the day after |
 * | G  Receiving County Detention Center, TX | 0                              | 1 (t1, transfer)  | no |
 * | K  Keelby County Sheriff's Office, CO (no stored item) | 0               | 1 (k1, issued earlier) | – |
 * | H  Policyport Town Police, ME            | 0                              | 0                 | yes (2016-09-01) |
 * | I  Alpha Township Police, VT             | 0                              | 0                 | yes (2016-09-01) |
 */
const WEEK = '2017-01-28';

const A = { id: 'ZZTX00001', name: "Synthetic County Sheriff's Office", state: 'TX' };
const B = { id: 'ZZOR00001', name: "Synthetic County Sheriff's Office", state: 'OR' };
const C = { id: 'ZZCA00001', name: 'Meadowvale City Police Department', state: 'CA' };
const D = { id: 'ZZNV00001', name: "Quietwater County Sheriff's Office", state: 'NV' };
const E = { id: 'ZZWA00001', name: 'Repealton County Jail', state: 'WA' };
const F = { id: 'ZZAZ00001', name: 'Futureburg Police Department', state: 'AZ' };
const G = { id: 'ZZTX00002', name: 'Receiving County Detention Center', state: 'TX' };
const K = { id: 'ZZCO00001', name: "Keelby County Sheriff's Office", state: 'CO' };
const H = { id: 'ZZME00001', name: 'Policyport Town Police', state: 'ME' };
const I = { id: 'ZZVT00001', name: 'Alpha Township Police', state: 'VT' };

function policy(enactedOn: string, extra: Partial<PolicyVersion> = {}): PolicyVersion {
  return {
    enactedOn,
    type: 'Sheriff’s Office policy',
    summary: `Synthetic policy of ${enactedOn}`,
    criteria: 'Judicial warrant',
    source: 'https://example.org/synthetic-policy',
    ...extra,
  };
}

function jurisdiction(
  ref: JurisdictionRef,
  policies: PolicyVersion[] = [],
  // `name: undefined` stands for a jurisdiction no PUT has named (its records name it).
  extra: { [K in keyof JurisdictionItem]?: JurisdictionItem[K] | undefined } = {},
): JurisdictionItem {
  return {
    id: ref.id,
    state: ref.state,
    name: ref.name,
    policies,
    revision: 1,
    history: [],
    createdAt: '2016-01-01T00:00:00.000Z',
    updatedAt: '2016-01-01T00:00:00.000Z',
    ...extra,
  } as JurisdictionItem;
}

interface Spec extends Partial<OutcomeRecord> {
  jurisdiction: JurisdictionRef;
  issuedOn: string;
  voided?: boolean;
}

/** A stored item whose detainer id and ref both come from `key` (the ref must never be the id). */
function outcome(key: string, spec: Spec): OutcomeItem {
  const { voided = false, ...fields } = spec;
  const record: OutcomeRecord = {
    kind: 'detainer',
    facility: 'Synthetic Jail',
    status: 'pending',
    ...fields,
  };
  const at = '2017-02-04T12:00:00.000Z';
  return {
    detainerId: `DET-${key}`,
    revision: 1,
    voided,
    ref: `R-${key}`,
    record,
    createdAt: at,
    updatedAt: at,
    lastChange: {
      revision: 1,
      at,
      client: { id: 'c1', name: 'Synthetic intake' },
      reason: null,
      changes: [],
    },
  };
}

function declined(declinedOn: string, learnedOn: string): Partial<OutcomeRecord> {
  return { status: 'declined', declinedOn, learnedOn };
}

const records = {
  a1: outcome('a1', {
    jurisdiction: A,
    issuedOn: '2017-01-28',
    ...declined('2017-01-30', '2017-01-31'),
    facility: 'Synthetic County Jail',
    citizenship: 'Fictionland',
    offenses: [{ description: 'Synthetic offense', status: 'convicted' }],
    liftedOn: '2017-02-02',
    liftReason: 'Synthetic lift',
  }),
  a2: outcome('a2', { jurisdiction: A, issuedOn: '2017-01-29' }),
  a3: outcome('a3', { jurisdiction: A, issuedOn: '2017-01-30', status: 'honored' }),
  a4: outcome('a4', { jurisdiction: A, issuedOn: '2017-02-03', kind: 'notification_request' }),
  a5: outcome('a5', { jurisdiction: A, issuedOn: '2017-02-01', voided: true }),
  v2: outcome('v2', {
    jurisdiction: A,
    issuedOn: '2017-01-10',
    ...declined('2017-01-29', '2017-01-29'),
    voided: true,
  }),
  t1: outcome('t1', {
    jurisdiction: A,
    issuedOn: '2017-01-29',
    ...declined('2017-02-01', '2017-02-01'),
    transferredTo: G,
    facility: 'Receiving Detention Center',
  }),
  b1: outcome('b1', {
    jurisdiction: B,
    issuedOn: '2017-01-30',
    ...declined('2017-02-01', '2017-02-02'),
    citizenship: 'Fictionland',
  }),
  b2: outcome('b2', { jurisdiction: B, issuedOn: '2017-01-30', note: 'Synthetic note' }),
  b3: outcome('b3', { jurisdiction: B, issuedOn: '2017-01-31', status: 'lifted', liftedOn: '2017-02-01' }),
  b4: outcome('b4', { jurisdiction: B, issuedOn: '2017-02-01', status: 'transferred', transferredTo: D }),
  b5: outcome('b5', { jurisdiction: B, issuedOn: '2017-02-02' }),
  l1: outcome('l1', {
    jurisdiction: B,
    issuedOn: '2016-11-01',
    ...declined('2016-12-01', '2017-02-02'),
    citizenship: 'Examplestan',
  }),
  c1: outcome('c1', { jurisdiction: C, issuedOn: '2017-01-28', aor: 'Synthetic Field Office' }),
  c2: outcome('c2', { jurisdiction: C, issuedOn: '2017-01-29' }),
  c3: outcome('c3', { jurisdiction: C, issuedOn: '2017-01-30' }),
  d1: outcome('d1', { jurisdiction: D, issuedOn: '2017-01-28', status: 'honored' }),
  d2: outcome('d2', { jurisdiction: D, issuedOn: '2017-01-29', status: 'honored' }),
  d3: outcome('d3', { jurisdiction: D, issuedOn: '2017-01-30' }),
  d4: outcome('d4', { jurisdiction: D, issuedOn: '2017-01-31' }),
  d5: outcome('d5', { jurisdiction: D, issuedOn: '2017-01-28', ...declined('2017-02-03', '2017-02-04') }),
  e1: outcome('e1', { jurisdiction: E, issuedOn: '2017-01-28' }),
  e2: outcome('e2', { jurisdiction: E, issuedOn: '2017-01-29' }),
  f1: outcome('f1', { jurisdiction: F, issuedOn: '2017-01-30' }),
  k1: outcome('k1', { jurisdiction: K, issuedOn: '2017-01-20', ...declined('2017-01-29', '2017-01-30') }),
};

/** What the reader would return: the two index reads (voided items included, to be dropped). */
const issuedKeys = [
  'a1',
  'a2',
  'a3',
  'a4',
  'a5',
  't1',
  'b1',
  'b2',
  'b3',
  'b4',
  'b5',
  'c1',
  'c2',
  'c3',
] as const;
const moreIssued = ['d1', 'd2', 'd3', 'd4', 'd5', 'e1', 'e2', 'f1'] as const;
const declinedKeys = ['a1', 'v2', 't1', 'b1', 'l1', 'k1'] as const;

function items(keys: readonly (keyof typeof records)[]): OutcomeItem[] {
  return keys.map((key) => records[key]);
}

const jurisdictionItems = [
  jurisdiction(A, [policy('2014-03-01'), policy('2016-05-01')], { aor: 'Synthetic Field Office' }),
  // B's name comes from its records only (no PUT): the latest record name is shown.
  jurisdiction(B, [], { name: undefined, recordName: B.name, recordNameAt: '2017-02-01T00:00:00.000Z' }),
  jurisdiction(C, [policy('2017-01-10', { type: 'municipal code change' })]),
  jurisdiction(D),
  jurisdiction(E, [policy('2015-01-01', { repealedOn: '2017-02-03' })]),
  jurisdiction(F, [policy('2017-02-04')]),
  jurisdiction(G),
  jurisdiction(H, [policy('2016-09-01')]),
  jurisdiction(I, [policy('2016-09-01', { type: 'resolution' })]),
];

/** The 11 earlier weeks: issued 10 + i and declined i in the i-th (oldest first). */
const earlierTrend: TrendPoint[] = Array.from({ length: 11 }, (_, i) => ({
  week: new Date(Date.UTC(2016, 10, 12 + 7 * i)).toISOString().slice(0, 10),
  issued: 10 + i,
  declined: i,
}));

function weekData(): WeekData {
  return {
    week: WEEK,
    issued: items([...issuedKeys, ...moreIssued]),
    declined: items(declinedKeys),
    jurisdictions: new Map(jurisdictionItems.map((item) => [item.id, item])),
    trend: earlierTrend,
  };
}

const options: AssemblyOptions = {
  revision: 1,
  publishedAt: '2017-02-04T14:00:00.000Z',
  timeZone: 'America/New_York',
  synthetic: true,
  nextEditionOn: '2017-02-11',
  corrections: [],
  earlierCorrections: [],
  openDisputes: { count: 2, oldestOpenedAt: '2017-01-30T10:00:00.000Z', oldestAgeDays: 5 },
  correctionsSinceLastEdition: 1,
};

function shuffled<T>(list: readonly T[], seed: number): T[] {
  const out = [...list];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = state % (i + 1);
    const a = out[i];
    const b = out[j];
    if (a !== undefined && b !== undefined) {
      out[i] = b;
      out[j] = a;
    }
  }
  return out;
}

const name = (ref: JurisdictionRef) => ({ id: ref.id, name: ref.name, state: ref.state });

describe('assembleEdition: the hand-counted week', () => {
  const edition = assembleEdition(weekData(), options);

  it('names the week by its Saturday and carries the options', () => {
    expect(edition.edition).toEqual({
      week: '2017-01-28',
      weekEnd: '2017-02-03',
      revision: 1,
      publishedAt: '2017-02-04T14:00:00.000Z',
      timeZone: 'America/New_York',
      nextEditionOn: '2017-02-11',
      contentHash: contentHashOf(ownContent(edition)),
    });
    expect(edition.edition.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(edition.synthetic).toBe(true);
  });

  it('counts the headline: voided records nowhere, a decline recorded next week not yet', () => {
    // Issued: A 5 + B 5 + C 3 + D 5 + E 2 + F 1; declined: a1, t1, b1, l1, k1.
    expect(edition.headline).toEqual({
      issued: 21,
      declined: 5,
      jurisdictionsWithDeclines: 4,
      statesWithDeclines: 3,
    });
  });

  it('lists in Section I only jurisdictions with a policy in force or a decline, ties in name order', () => {
    // A and B tie on 5 issued and share a name: state decides (OR before TX). They never merge.
    // D (issued, no policy, no decline this week), E (repealed on the week's end) and F (enacted
    // the day after) are left out; G and K had declines but no detainer issued in the week.
    expect(edition.sectionI).toEqual([
      { rank: 1, jurisdiction: name(B), issued: 5, declined: 2, hasPolicy: false },
      { rank: 2, jurisdiction: name(A), issued: 5, declined: 1, hasPolicy: true },
      { rank: 3, jurisdiction: name(C), issued: 3, declined: 0, hasPolicy: true },
    ]);
  });

  it('groups Section II by state then name, counts a transfer for the receiver, orders rows by dates', () => {
    expect(
      edition.sectionII.map((group) => [group.jurisdiction, group.declines.map((row) => row.ref)]),
    ).toEqual([
      [name(K), ['R-k1']],
      [name(B), ['R-l1', 'R-b1']],
      [name(G), ['R-t1']],
      [name(A), ['R-a1']],
    ]);
  });

  it('shows each decline row with its published fields only', () => {
    const rows = edition.sectionII.flatMap((group) => group.declines);
    const byRef = new Map(rows.map((row) => [row.ref, row]));
    expect(byRef.get('R-a1')).toEqual({
      ref: 'R-a1',
      kind: 'detainer',
      facility: 'Synthetic County Jail',
      citizenship: 'Fictionland',
      offenses: [{ description: 'Synthetic offense', status: 'convicted' }],
      issuedOn: '2017-01-28',
      declinedOn: '2017-01-30',
      learnedOn: '2017-01-31',
      liftedOn: '2017-02-02',
    });
    expect(byRef.get('R-t1')).toEqual({
      ref: 'R-t1',
      kind: 'detainer',
      facility: 'Receiving Detention Center',
      offenses: [],
      issuedOn: '2017-01-29',
      declinedOn: '2017-02-01',
      learnedOn: '2017-02-01',
      transferredFrom: name(A),
    });
    // K has no stored item: the record's own name and state are shown.
    expect(edition.sectionII[0]?.jurisdiction).toEqual(name(K));
  });

  it('lists in Section III every policy in force at the week end, newest first, then name order', () => {
    expect(
      edition.sectionIII.map((row) => [row.jurisdiction.id, row.policy.enactedOn, row.jurisdiction.aor]),
    ).toEqual([
      [C.id, '2017-01-10', undefined],
      [I.id, '2016-09-01', undefined],
      [H.id, '2016-09-01', undefined],
      [A.id, '2016-05-01', 'Synthetic Field Office'],
    ]);
    expect(edition.sectionIII[0]?.policy).toEqual({
      enactedOn: '2017-01-10',
      type: 'municipal code change',
      summary: 'Synthetic policy of 2017-01-10',
      criteria: 'Judicial warrant',
      source: 'https://example.org/synthetic-policy',
    });
  });

  it('computes Section IV from the data and carries the live figures', () => {
    // 23 distinct records: the 21 issued plus l1 and k1 (a1, t1 and b1 are in both lists).
    expect(edition.sectionIV).toEqual({
      recordedLate: { thresholdDays: 30, count: 1, share: 0.2, oldestIssuedOn: '2016-11-01' },
      issuedEarlier: 2,
      completeness: [
        { field: 'citizenship', present: 3, total: 23, share: 0.1304 },
        { field: 'offenses', present: 1, total: 23, share: 0.0435 },
        { field: 'aor', present: 1, total: 23, share: 0.0435 },
        { field: 'note', present: 1, total: 23, share: 0.0435 },
      ],
      issuedByOutcome: { pending: 12, honored: 3, declined: 4, transferred: 1, lifted: 1 },
      issuedByKind: { detainer: 20, notification_request: 1 },
      declinesAfterTransfer: 1,
      declinesLifted: 1,
      jurisdictionsWithPolicy: 4,
      openDisputes: { count: 2, oldestOpenedAt: '2017-01-30T10:00:00.000Z', oldestAgeDays: 5 },
      correctionsSinceLastEdition: 1,
    });
  });

  it('ends the 12-week trend with this week and averages the 12 weeks to one decimal', () => {
    expect(edition.trend).toHaveLength(12);
    expect(edition.trend[0]).toEqual({ week: '2016-11-12', issued: 10, declined: 0 });
    expect(edition.trend[10]).toEqual({ week: '2017-01-21', issued: 20, declined: 10 });
    expect(edition.trend[11]).toEqual({ week: '2017-01-28', issued: 21, declined: 5 });
    // Issued (165 + 21) / 12 = 15.5; declined (55 + 5) / 12 = 5.
    expect(edition.comparison).toEqual({
      previousWeek: { issued: 20, declined: 10 },
      twelveWeekAverage: { issued: 15.5, declined: 5 },
    });
  });

  it('publishes no detainer id and no note', () => {
    const json = JSON.stringify(edition);
    expect(json).not.toContain('DET-');
    expect(json).not.toContain('Synthetic note');
    expect(json).not.toContain('Synthetic lift');
  });
});

describe('assembleEdition: determinism', () => {
  it('gives byte-identical JSON for the same input, and for the same input in any order', () => {
    const first = JSON.stringify(assembleEdition(weekData(), options));
    expect(JSON.stringify(assembleEdition(weekData(), options))).toBe(first);
    for (const seed of [1, 7, 42, 1234]) {
      const data = weekData();
      const reordered: WeekData = {
        week: WEEK,
        issued: shuffled(data.issued, seed),
        declined: shuffled(data.declined, seed + 1),
        jurisdictions: new Map(shuffled([...data.jurisdictions], seed + 2)),
        trend: shuffled(data.trend, seed + 3),
      };
      expect(JSON.stringify(assembleEdition(reordered, options))).toBe(first);
    }
  });

  it('counts a record read twice once', () => {
    const data = weekData();
    const twice = {
      ...data,
      issued: [...data.issued, ...data.issued],
      declined: [...data.declined, records.b1],
    };
    expect(assembleEdition(twice, options).headline).toEqual(assembleEdition(data, options).headline);
  });

  it('hashes only the own content: live figures and revision do not change it', () => {
    const first = assembleEdition(weekData(), options);
    const later = assembleEdition(weekData(), {
      ...options,
      revision: 2,
      publishedAt: '2017-02-10T09:00:00.000Z',
      openDisputes: { count: 0 },
      correctionsSinceLastEdition: 7,
    });
    expect(later.edition.contentHash).toBe(first.edition.contentHash);
    const data = weekData();
    const withoutB2 = { ...data, issued: data.issued.filter((item) => item.ref !== 'R-b2') };
    expect(assembleEdition(withoutB2, options).edition.contentHash).not.toBe(first.edition.contentHash);
  });

  it('hashes canonical JSON: key order does not matter', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });
});

/** A week where every named jurisdiction has a policy, with `issued` detainers each. */
function policyWeek(list: { ref: JurisdictionRef; issued: number }[]): WeekData {
  const issued: OutcomeItem[] = [];
  for (const { ref, issued: count } of list) {
    for (let n = 0; n < count; n++)
      issued.push(outcome(`${ref.id}-${n}`, { jurisdiction: ref, issuedOn: WEEK }));
  }
  return {
    week: WEEK,
    issued,
    declined: [],
    jurisdictions: new Map(list.map(({ ref }) => [ref.id, jurisdiction(ref, [policy('2016-01-01')])])),
    trend: [],
  };
}

describe('assembleEdition: order and limits', () => {
  it('keeps the ten with the most issued when there are more candidates, ranked 1 to 10', () => {
    const list = Array.from({ length: 12 }, (_, i) => ({
      ref: { id: `ZZKS${String(i).padStart(5, '0')}`, name: `Synthetic Town ${i} Police`, state: 'KS' },
      issued: i + 1,
    }));
    const { sectionI } = assembleEdition(policyWeek(list), options);
    expect(sectionI.map((row) => [row.rank, row.issued])).toEqual(
      Array.from({ length: 10 }, (_, i) => [i + 1, 12 - i]),
    );
  });

  it('orders names by code points after NFC: "Zeta" before "alpha", composed and decomposed É alike', () => {
    const composed = { id: 'ZZNM00001', name: '\u00C9cole Town Police', state: 'NM' };
    const decomposed = { id: 'ZZNM00002', name: 'E\u0301cole Town Police', state: 'NM' };
    const list = [
      { ref: { id: 'ZZNM00003', name: 'alpha Town Police', state: 'NM' }, issued: 1 },
      { ref: decomposed, issued: 1 },
      { ref: { id: 'ZZNM00004', name: 'Zeta Town Police', state: 'NM' }, issued: 1 },
      { ref: composed, issued: 1 },
      { ref: { id: 'ZZNM00005', name: 'Eagle Town Police', state: 'NM' }, issued: 1 },
    ];
    const { sectionI } = assembleEdition(policyWeek(list), options);
    // The two É names are equal after NFC: same state, so the id decides. Names are shown as given.
    expect(sectionI.map((row) => row.jurisdiction.name)).toEqual([
      'Eagle Town Police',
      'Zeta Town Police',
      'alpha Town Police',
      '\u00C9cole Town Police',
      'E\u0301cole Town Police',
    ]);
  });

  it('compares code points, not UTF-16 units, above U+FFFF', () => {
    expect(compareCodePoints('\u{1F600}', '\uFFFD')).toBe(1);
    expect(compareCodePoints('\u00C9', 'E\u0301')).toBe(0);
    expect(compareCodePoints('Zeta', 'alpha')).toBe(-1);
    expect(compareCodePoints('abc', 'ab')).toBe(1);
  });

  it('fills a trend week it was not given with zeros and ignores weeks outside the span', () => {
    const data = {
      ...policyWeek([]),
      trend: [
        { week: '2017-01-21', issued: 4, declined: 1 },
        { week: '2016-01-02', issued: 99, declined: 99 },
      ],
    };
    const edition = assembleEdition(data, options);
    expect(edition.trend.map((point) => point.issued)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0]);
    expect(edition.comparison.twelveWeekAverage).toEqual({ issued: 0.3, declined: 0.1 });
  });
});
