import { describe, expect, it } from 'vitest';
import { type AssemblyOptions, assembleEdition } from '#core/edition/assembly';
import { type ChangeInfo, correctionsBetween } from '#core/edition/corrections-log';
import type { Edition } from '#core/edition/model';
import type { HistoryEntry, JurisdictionItem, OutcomeItem, PolicyVersion } from '#core/intake/model';
import { type JurisdictionRef, type OutcomeRecord, recordChanges } from '#core/intake/outcome-record';

/**
 * Revision 1 of the week 2017-01-28 is published at PUBLISHED; records and jurisdictions then
 * change (each at its own time, T(n)); revision 2 is assembled from the changed data. The log must
 * list exactly the changes that altered the own content, under the jurisdiction the reader sees.
 */
const WEEK = '2017-01-28';
const PUBLISHED = '2017-02-04T14:00:00.000Z';
const REPUBLISHED = '2017-02-10T15:00:00.000Z';
const CLIENT = { id: 'c1', name: 'Synthetic intake' };

const T = (n: number) => `2017-02-05T${String(n).padStart(2, '0')}:00:00.000Z`;

const A = { id: 'ZZTX00001', name: "Synthetic County Sheriff's Office", state: 'TX' };
const B = { id: 'ZZOR00001', name: "Synthetic County Sheriff's Office", state: 'OR' };
const C = { id: 'ZZCA00001', name: 'Meadowvale City Police Department', state: 'CA' };
const D = { id: 'ZZNV00001', name: "Quietwater County Sheriff's Office", state: 'NV' };
const E = { id: 'ZZWA00001', name: 'Repealton County Jail', state: 'WA' };
const G = { id: 'ZZTX00002', name: 'Receiving County Detention Center', state: 'TX' };
const H = { id: 'ZZME00001', name: 'Policyport Town Police', state: 'ME' };
const B_RENAMED = { ...B, name: "Synthetic County Sheriff's Office (Oregon)" };

function policy(enactedOn: string, summary = `Synthetic policy of ${enactedOn}`): PolicyVersion {
  return {
    enactedOn,
    type: 'resolution',
    summary,
    criteria: 'Judicial warrant',
    source: 'https://example.org/p',
  };
}

/** A stored record and its history, changed only through `revise` (as the intake does). */
class RecordFixture {
  item: OutcomeItem;
  history: HistoryEntry[];

  constructor(
    key: string,
    record: Partial<OutcomeRecord> & { jurisdiction: JurisdictionRef; issuedOn: string },
    at = '2017-01-31T09:00:00.000Z',
  ) {
    const full: OutcomeRecord = {
      kind: 'detainer',
      facility: 'Synthetic Jail',
      status: 'pending',
      ...record,
    };
    const entry: HistoryEntry = {
      revision: 1,
      at,
      client: CLIENT,
      reason: null,
      changes: recordChanges(undefined, full),
    };
    this.item = {
      detainerId: `DET-${key}`,
      revision: 1,
      voided: false,
      ref: `R-${key}`,
      record: full,
      createdAt: at,
      updatedAt: at,
      lastChange: entry,
    };
    this.history = [entry];
  }

  revise(at: string, patch: Partial<OutcomeRecord>, reason: string | null = null): this {
    const record = { ...this.item.record, ...patch };
    const revision = this.item.revision + 1;
    const entry: HistoryEntry = {
      revision,
      at,
      client: CLIENT,
      reason,
      changes: recordChanges(this.item.record, record),
    };
    this.item = { ...this.item, record, revision, updatedAt: at, lastChange: entry };
    this.history = [...this.history, entry];
    return this;
  }

  void(at: string, reason: string): this {
    const revision = this.item.revision + 1;
    const entry: HistoryEntry = {
      revision,
      at,
      client: CLIENT,
      reason,
      changes: [{ field: 'voided', before: false, after: true }],
    };
    this.item = { ...this.item, voided: true, revision, updatedAt: at, lastChange: entry };
    this.history = [...this.history, entry];
    return this;
  }

  change(): ChangeInfo {
    return { kind: 'record', item: this.item, history: this.history };
  }
}

/** A jurisdiction changed only through `put` (as PUT /jurisdictions does). */
class JurisdictionFixture {
  item: JurisdictionItem;
  /** As the JurisdictionHistory table holds it: each change with only the versions it touched. */
  history: HistoryEntry[];

  constructor(ref: JurisdictionRef, policies: PolicyVersion[] = []) {
    const at = '2016-01-01T00:00:00.000Z';
    this.history = [{ revision: 1, at, client: CLIENT, reason: null, changes: [] }];
    this.item = {
      id: ref.id,
      state: ref.state,
      name: ref.name,
      policies,
      revision: 1,
      createdAt: at,
      updatedAt: at,
    };
  }

  put(at: string, patch: { name?: string; policies?: PolicyVersion[] }, reason: string | null = null): this {
    const changes = [];
    if (patch.name !== undefined && patch.name !== this.item.name) {
      changes.push({ field: 'jurisdiction.name', before: this.item.name ?? null, after: patch.name });
    }
    if (patch.policies !== undefined) {
      const key = (p: PolicyVersion) => JSON.stringify(p);
      const next = patch.policies;
      const was = this.item.policies.filter((p) => !next.some((q) => key(q) === key(p)));
      const now = next.filter((p) => !this.item.policies.some((q) => key(q) === key(p)));
      if (was.length > 0 || now.length > 0) changes.push({ field: 'policy', before: was, after: now });
    }
    const revision = this.item.revision + 1;
    const entry = { revision, at, client: CLIENT, reason, changes };
    this.item = { ...this.item, ...patch, revision, updatedAt: at, lastChange: entry };
    this.history = [...this.history, entry];
    return this;
  }

  change(): ChangeInfo {
    return { kind: 'jurisdiction', item: this.item, history: this.history };
  }
}

function options(revision: number, publishedAt: string): AssemblyOptions {
  return {
    revision,
    publishedAt,
    timeZone: 'America/New_York',
    synthetic: true,
    nextEditionOn: '2017-02-11',
    corrections: [],
    earlierCorrections: [],
    openDisputes: { count: 0 },
    correctionsSinceLastEdition: 0,
  };
}

/** The edition the publisher would assemble from these fixtures as they stand now. */
function editionOf(
  records: RecordFixture[],
  jurisdictions: JurisdictionFixture[],
  revision: number,
  at: string,
): Edition {
  const items = records.map((fixture) => fixture.item).filter((item) => !item.voided);
  return assembleEdition(
    {
      week: WEEK,
      issued: items.filter((item) => item.record.issuedOn >= WEEK && item.record.issuedOn <= '2017-02-03'),
      declined: items.filter(
        (item) =>
          item.record.status === 'declined' &&
          item.record.learnedOn !== undefined &&
          item.record.learnedOn >= WEEK &&
          item.record.learnedOn <= '2017-02-03',
      ),
      jurisdictions: new Map(jurisdictions.map((fixture) => [fixture.item.id, fixture.item])),
      trend: [],
    },
    options(revision, at),
  );
}

function scenario() {
  const declinedInWeek = { status: 'declined', declinedOn: '2017-01-30', learnedOn: '2017-01-31' } as const;
  const r = {
    a1: new RecordFixture('a1', {
      jurisdiction: A,
      issuedOn: '2017-01-28',
      ...declinedInWeek,
      facility: 'Synthetic County Jail',
    }),
    a2: new RecordFixture('a2', { jurisdiction: A, issuedOn: '2017-01-29' }),
    b1: new RecordFixture('b1', {
      jurisdiction: B,
      issuedOn: '2017-01-29',
      ...declinedInWeek,
      citizenship: 'Fictionland',
    }),
    b2: new RecordFixture('b2', { jurisdiction: B, issuedOn: '2017-01-30' }),
    c1: new RecordFixture('c1', { jurisdiction: C, issuedOn: '2017-01-30' }),
    c2: new RecordFixture('c2', { jurisdiction: C, issuedOn: '2017-01-31' }),
    d1: new RecordFixture('d1', { jurisdiction: D, issuedOn: '2017-01-31' }),
    e1: new RecordFixture('e1', { jurisdiction: E, issuedOn: '2017-02-01' }),
    x1: new RecordFixture('x1', { jurisdiction: C, issuedOn: '2017-01-20' }, '2017-01-20T09:00:00.000Z'),
  };
  const j = {
    A: new JurisdictionFixture(A, [policy('2016-05-01')]),
    B: new JurisdictionFixture(B),
    C: new JurisdictionFixture(C, [policy('2017-01-10')]),
    D: new JurisdictionFixture(D),
    E: new JurisdictionFixture(E),
    G: new JurisdictionFixture(G),
    H: new JurisdictionFixture(H, [policy('2016-09-01')]),
  };
  // Changed before revision 1 was published: already in it, never in its corrections.
  r.b1.revise('2017-02-03T09:00:00.000Z', { citizenship: 'Examplestan' }, 'before publication');

  const previous = editionOf(Object.values(r), Object.values(j), 1, PUBLISHED);

  r.a1.revise(T(1), { facility: 'Synthetic County Annex' }, 'facility misread');
  r.b2.void(T(2), 'entered in error');
  r.c1.revise(T(3), { note: 'Synthetic note' }, 'note only');
  r.d1.revise(T(4), { status: 'honored' }, 'honored, D not listed anywhere');
  r.e1.revise(T(5), { jurisdiction: D }, 'moved between two unlisted jurisdictions');
  r.a2.revise(T(6), {
    status: 'declined',
    declinedOn: '2017-02-01',
    learnedOn: '2017-02-02',
    transferredTo: G,
  });
  r.x1.revise(T(7), { issuedOn: '2017-01-29' }, 'issue date mistyped');
  j.C.put(T(8), { policies: [policy('2017-01-10', 'Corrected synthetic summary')] }, 'summary corrected');
  j.H.put(T(9), { policies: [policy('2016-09-01'), policy('2017-06-01')] }, 'a future policy');
  j.B.put(T(10), { name: B_RENAMED.name }, 'official name');
  r.b1.revise(T(11), { citizenship: 'Fictionland' }, 'wrong country');
  r.b1.revise(
    T(12),
    { citizenship: 'Examplestan', facility: 'Synthetic Annex' },
    'country restored, facility fixed',
  );
  const n1 = new RecordFixture(
    'n1',
    {
      jurisdiction: C,
      issuedOn: '2017-01-31',
      status: 'declined',
      declinedOn: '2017-02-01',
      learnedOn: '2017-02-02',
    },
    T(13),
  );
  const records = [...Object.values(r), n1];
  const next = editionOf(records, Object.values(j), 2, REPUBLISHED);
  const changes = [
    ...records.map((fixture) => fixture.change()),
    ...Object.values(j).map((fixture) => fixture.change()),
  ];
  return { previous, next, changes, r };
}

const pick = (ref: JurisdictionRef) => ({ id: ref.id, name: ref.name, state: ref.state });

describe('correctionsBetween', () => {
  it('lists exactly the changes that altered the own content, oldest first', () => {
    const { previous, next, changes } = scenario();
    const log = correctionsBetween(previous, next, changes);
    const entry = (fields: Record<string, unknown>) => ({ revision: 2, date: '2017-02-10', ...fields });
    const noReason = 'no reason given';

    expect(log).toEqual([
      entry({
        ref: 'R-a1',
        jurisdiction: pick(A),
        field: 'facility',
        before: 'Synthetic County Jail',
        after: 'Synthetic County Annex',
        reason: 'facility misread',
      }),
      // B is shown under the name it has now.
      entry({
        ref: 'R-b2',
        jurisdiction: pick(B_RENAMED),
        field: 'voided',
        before: false,
        after: true,
        reason: 'entered in error',
      }),
      // A decline after a transfer: listed under the receiving jurisdiction.
      entry({
        ref: 'R-a2',
        jurisdiction: pick(G),
        field: 'status',
        before: 'pending',
        after: 'declined',
        reason: noReason,
      }),
      entry({
        ref: 'R-a2',
        jurisdiction: pick(G),
        field: 'declinedOn',
        before: null,
        after: '2017-02-01',
        reason: noReason,
      }),
      entry({
        ref: 'R-a2',
        jurisdiction: pick(G),
        field: 'learnedOn',
        before: null,
        after: '2017-02-02',
        reason: noReason,
      }),
      entry({
        ref: 'R-a2',
        jurisdiction: pick(G),
        field: 'transferredTo',
        before: null,
        after: G,
        reason: noReason,
      }),
      entry({
        ref: 'R-x1',
        jurisdiction: pick(C),
        field: 'issuedOn',
        before: '2017-01-20',
        after: '2017-01-29',
        reason: 'issue date mistyped',
      }),
      entry({
        jurisdiction: pick(C),
        field: 'policy',
        before: {
          enactedOn: '2017-01-10',
          type: 'resolution',
          summary: 'Synthetic policy of 2017-01-10',
          criteria: 'Judicial warrant',
          source: 'https://example.org/p',
        },
        after: {
          enactedOn: '2017-01-10',
          type: 'resolution',
          summary: 'Corrected synthetic summary',
          criteria: 'Judicial warrant',
          source: 'https://example.org/p',
        },
        reason: 'summary corrected',
      }),
      entry({
        jurisdiction: pick(B_RENAMED),
        field: 'jurisdiction.name',
        before: B.name,
        after: B_RENAMED.name,
        reason: 'official name',
      }),
      // The citizenship went there and back: only the facility is listed.
      entry({
        ref: 'R-b1',
        jurisdiction: pick(B_RENAMED),
        field: 'facility',
        before: 'Synthetic Jail',
        after: 'Synthetic Annex',
        reason: 'country restored, facility fixed',
      }),
      // A record entered since: one entry, not one per field.
      entry({
        ref: 'R-n1',
        jurisdiction: pick(C),
        field: 'status',
        before: null,
        after: 'declined',
        reason: noReason,
      }),
    ]);
  });

  it('lists nothing when nothing changed since the previous revision', () => {
    const { previous } = scenario();
    const a = new RecordFixture(
      'a1',
      { jurisdiction: A, issuedOn: '2017-01-28' },
      '2017-01-31T09:00:00.000Z',
    );
    expect(
      correctionsBetween(previous, { ...previous, edition: { ...previous.edition, revision: 2 } }, [
        a.change(),
      ]),
    ).toEqual([]);
  });

  it('gives the same log whatever order the changes come in', () => {
    const { previous, next, changes } = scenario();
    const expected = JSON.stringify(correctionsBetween(previous, next, changes));
    expect(JSON.stringify(correctionsBetween(previous, next, [...changes].reverse()))).toBe(expected);
    const rotated = [...changes.slice(5), ...changes.slice(0, 5)];
    expect(JSON.stringify(correctionsBetween(previous, next, rotated))).toBe(expected);
  });

  it('uses the record’s last change when its copy has not reached the history yet', () => {
    const { previous, next, changes, r } = scenario();
    const withoutLast = changes.map((change) =>
      change.kind === 'record' && change.item.ref === r.a1.item.ref
        ? { ...change, history: change.history.slice(0, -1) }
        : change,
    );
    expect(correctionsBetween(previous, next, withoutLast)).toEqual(
      correctionsBetween(previous, next, changes),
    );
  });

  it('refuses to compare editions of two different weeks', () => {
    const { previous, next } = scenario();
    const otherWeek = { ...next, edition: { ...next.edition, week: '2017-02-04', weekEnd: '2017-02-10' } };
    expect(() => correctionsBetween(previous, otherWeek, [])).toThrow(/different weeks/);
  });
});
