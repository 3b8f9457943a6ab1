import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  UnauthorizedError,
  ValidationError,
} from '#core/errors';
import { authenticate, createClient, hashToken, revokeClient, TOKEN_PREFIX } from '#core/intake/clients';
import { type DisputeDeps, listDisputes, openDispute, resolveDispute } from '#core/intake/disputes';
import { type PutJurisdictionCommand, putJurisdiction } from '#core/intake/jurisdictions';
import type { Actor, HistoryEntry } from '#core/intake/model';
import {
  getOutcome,
  type IntakeDeps,
  type PutOutcomeCommand,
  putOutcome,
  voidOutcome,
} from '#core/intake/outcomes';
import { type OutcomeInput, outcomeRecordSchema, type PolicyInput } from '#core/intake/schemas';
import { ALL_WEEKS } from '#core/reissue-marks';
import {
  MemoryClientStore,
  MemoryDisputeStore,
  MemoryJurisdictionStore,
  MemoryOutcomeStore,
} from './intake-fakes';

/** Wednesday: the week of Saturday 2017-03-11 has not ended; that of 2017-03-04 has. */
const TODAY = '2017-03-15';

const SYNTHETIC: OutcomeInput['jurisdiction'] = {
  id: 'SYN-001',
  name: 'Synthetic County Sheriff',
  state: 'CA',
};
const FICTIONAL: OutcomeInput['jurisdiction'] = { id: 'SYN-002', name: 'Fictional City Police', state: 'CA' };

const intake: Actor = { id: 'c_intake', name: 'Synthetic Intake Desk', role: 'intake' };

/** A record's whole history as GET /outcomes/{id} shows it: the history table and the item's own last change. */
async function historyOf(
  outcomes: Pick<IntakeDeps, 'outcomes'>['outcomes'],
  id: string,
): Promise<HistoryEntry[]> {
  return (await getOutcome({ outcomes }, id, intake)).history;
}
const otherIntake: Actor = { id: 'c_intake2', name: 'Second Synthetic Desk', role: 'intake' };
const admin: Actor = { id: 'c_admin', name: 'Synthetic Admin', role: 'admin' };
const synClerk: Actor = {
  id: 'c_syn',
  name: 'Synthetic County Clerk',
  role: 'jurisdiction',
  jurisdictionId: 'SYN-001',
};
const fictionalClerk: Actor = {
  id: 'c_fic',
  name: 'Fictional City Clerk',
  role: 'jurisdiction',
  jurisdictionId: 'SYN-002',
};

/** A valid record body (checked by the same schema the API uses), pending by default. */
function outcome(overrides: Partial<OutcomeInput> = {}): OutcomeInput {
  return outcomeRecordSchema.parse({
    issuedOn: '2017-02-01',
    jurisdiction: SYNTHETIC,
    facility: 'Synthetic County Jail',
    status: 'pending',
    ...overrides,
  });
}

const declined = (declinedOn: string, overrides: Partial<OutcomeInput> = {}) =>
  outcome({ status: 'declined', declinedOn, ...overrides });

interface Mark {
  weeks: string[];
  at: string;
  /** The stored revision of every record when the mark was made. */
  revisions: Record<string, number>;
}

function setup() {
  const outcomes = new MemoryOutcomeStore();
  const jurisdictions = new MemoryJurisdictionStore();
  const disputes = new MemoryDisputeStore();
  const marks: Mark[] = [];
  let clock = Date.parse('2017-03-15T17:00:00Z');
  let today = TODAY;
  const deps: IntakeDeps = {
    outcomes,
    jurisdictions,
    today: () => today,
    now: () => new Date(clock),
    markDirty: async (weeks, at) => {
      marks.push({
        weeks: [...weeks],
        at,
        revisions: Object.fromEntries([...outcomes.items].map(([id, item]) => [id, item.revision])),
      });
    },
  };
  const disputeDeps: DisputeDeps = { outcomes, disputes, now: deps.now };
  const put = (detainerId: string, input: OutcomeInput, extra: Partial<PutOutcomeCommand> = {}) =>
    putOutcome(deps, { detainerId, input, actor: intake, ...extra });
  return {
    outcomes,
    jurisdictions,
    disputes,
    marks,
    deps,
    disputeDeps,
    put,
    advance(ms: number) {
      clock += ms;
    },
    setToday(date: string) {
      today = date;
    },
  };
}

/** The error a promise rejects with; fails the test when it fulfils. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to be refused');
}

const HOUR = 3_600_000;

describe('putOutcome', () => {
  it('creates a new record with its defaults, a random public ref and a first history entry', async () => {
    const { put, outcomes, deps } = setup();

    const out = await put('DET-0001', outcome(), { reason: 'first report' });

    expect(out).toMatchObject({ result: 'created', revision: 1 });
    expect(out.record.kind).toBe('detainer');
    const stored = outcomes.items.get('DET-0001');
    expect(stored).toMatchObject({
      revision: 1,
      voided: false,
      createdAt: deps.now().toISOString(),
      updatedAt: deps.now().toISOString(),
    });
    expect(stored?.ref).toMatch(/^R[A-Za-z0-9_-]{20}$/);
    expect(stored?.ref).not.toContain('DET-0001');
    const history = await historyOf(outcomes, 'DET-0001');
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ revision: 1, reason: 'first report' });
    expect(history[0]?.client).toStrictEqual({ id: intake.id, name: intake.name });
    expect(history[0]?.changes).toContainEqual({ field: 'status', before: null, after: 'pending' });
  });

  it('binds each jurisdiction a new record names to the state it gives', async () => {
    const { put, jurisdictions } = setup();

    await put('DET-0001', outcome({ status: 'transferred', transferredTo: FICTIONAL }));

    expect(jurisdictions.items.get('SYN-001')).toMatchObject({
      state: 'CA',
      recordName: SYNTHETIC.name,
      revision: 0,
    });
    expect(jurisdictions.items.get('SYN-002')).toMatchObject({ state: 'CA', recordName: FICTIONAL.name });
  });

  it('updates a record as one new revision whose history lists only the changed fields', async () => {
    const { put, outcomes, advance } = setup();
    await put('DET-0001', outcome());
    const ref = outcomes.items.get('DET-0001')?.ref;
    advance(HOUR);

    const out = await put('DET-0001', declined('2017-03-06', { learnedOn: '2017-03-07' }), {
      reason: 'the jail declined',
    });

    expect(out).toMatchObject({ result: 'updated', revision: 2 });
    const stored = outcomes.items.get('DET-0001');
    expect(stored?.record).toMatchObject({ status: 'declined', declinedOn: '2017-03-06' });
    expect(stored?.ref).toBe(ref);
    expect(stored?.createdAt).not.toBe(stored?.updatedAt);
    expect(stored?.lastChange.changes).toStrictEqual([
      { field: 'status', before: 'pending', after: 'declined' },
      { field: 'declinedOn', before: null, after: '2017-03-06' },
      { field: 'learnedOn', before: null, after: '2017-03-07' },
    ]);
    expect(stored?.lastChange.reason).toBe('the jail declined');
  });

  it('keeps one history entry per revision, each with its own client and reason', async () => {
    const { put, outcomes, advance } = setup();
    await put('DET-0001', outcome(), { reason: 'one' });
    advance(HOUR);
    await put('DET-0001', outcome({ note: 'two' }), { reason: 'two', actor: otherIntake });
    advance(HOUR);
    await put('DET-0001', outcome({ note: 'three' }));

    const history = await historyOf(outcomes, 'DET-0001');

    expect(history.map((entry) => [entry.revision, entry.client.id, entry.reason])).toStrictEqual([
      [1, intake.id, 'one'],
      [2, otherIntake.id, 'two'],
      [3, intake.id, null],
    ]);
  });

  it('answers unchanged to a replay, even days later without the defaulted fields, and makes no revision', async () => {
    const { put, outcomes, marks, setToday, advance } = setup();
    await put('DET-0001', declined('2017-03-06'));
    const before = outcomes.items.get('DET-0001');
    const marksBefore = marks.length;
    const callsBefore = outcomes.calls.length;
    setToday('2017-03-20');
    advance(5 * 24 * HOUR);

    const out = await put('DET-0001', declined('2017-03-06'));

    expect(out).toStrictEqual({ result: 'unchanged', revision: 1, record: before?.record });
    expect(before?.record.learnedOn).toBe(TODAY);
    expect(outcomes.items.get('DET-0001')).toStrictEqual(before);
    expect(outcomes.revisions('DET-0001')).toStrictEqual([1]);
    expect(marks).toHaveLength(marksBefore);
    expect(outcomes.calls.slice(callsBefore)).toStrictEqual(['get:DET-0001']);
  });

  it('returns 412 when If-Match names a stale revision, and writes nothing', async () => {
    const { put, outcomes, marks } = setup();
    await put('DET-0001', outcome());
    await put('DET-0001', outcome({ note: 'second' }));
    const before = outcomes.items.get('DET-0001');
    const marksBefore = marks.length;

    const error = await rejection(put('DET-0001', outcome({ note: 'stale' }), { ifMatch: 1 }));

    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect(error).toMatchObject({ status: 412 });
    expect(outcomes.items.get('DET-0001')).toStrictEqual(before);
    expect(outcomes.revisions('DET-0001')).toStrictEqual([1, 2]);
    expect(marks).toHaveLength(marksBefore);
  });

  it('writes when If-Match names the stored revision, or is * on a stored record', async () => {
    const { put } = setup();
    await put('DET-0001', outcome());

    expect(await put('DET-0001', outcome({ note: 'a' }), { ifMatch: 1 })).toMatchObject({
      result: 'updated',
      revision: 2,
    });
    expect(await put('DET-0001', outcome({ note: 'b' }), { ifMatch: '*' })).toMatchObject({
      result: 'updated',
      revision: 3,
    });
  });

  it('returns 412 for If-Match on a missing record, and neither stores it nor binds its jurisdiction', async () => {
    const { put, outcomes, jurisdictions } = setup();

    for (const ifMatch of ['*', 1] as const) {
      const error = await rejection(put('DET-0001', outcome(), { ifMatch }));
      expect(error).toBeInstanceOf(PreconditionFailedError);
    }

    expect(outcomes.items.size).toBe(0);
    expect(jurisdictions.items.size).toBe(0);
  });

  it('answers unchanged, not 412, to a replay sent with a stale If-Match', async () => {
    const { put } = setup();
    await put('DET-0001', outcome());
    await put('DET-0001', outcome({ note: 'landed' }), { ifMatch: 1 });

    // The client retries the same write after a timeout, with the revision it had then.
    const out = await put('DET-0001', outcome({ note: 'landed' }), { ifMatch: 1 });

    expect(out).toMatchObject({ result: 'unchanged', revision: 2 });
  });

  it('returns 409 when the jurisdiction is bound to another state, and writes nothing', async () => {
    const { put, outcomes, jurisdictions, marks } = setup();
    await jurisdictions.bind('SYN-001', 'NV', 'Synthetic County Sheriff', '2017-01-01T00:00:00.000Z');

    const error = await rejection(put('DET-0001', outcome()));

    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ status: 409, issues: [{ path: 'jurisdiction.state' }] });
    expect(outcomes.items.size).toBe(0);
    expect(outcomes.history.size).toBe(0);
    expect(marks).toHaveLength(0);
    expect(jurisdictions.items.get('SYN-001')?.state).toBe('NV');
  });

  it('returns 409 naming transferredTo.state when the receiving agency is bound elsewhere, keeping the stored record', async () => {
    const { put, outcomes, jurisdictions } = setup();
    await put('DET-0001', outcome());
    await jurisdictions.bind('SYN-002', 'NV', 'Fictional City Police', '2017-01-01T00:00:00.000Z');
    const before = outcomes.items.get('DET-0001');

    const error = await rejection(
      put('DET-0001', outcome({ status: 'transferred', transferredTo: FICTIONAL })),
    );

    expect(error).toMatchObject({ status: 409, issues: [{ path: 'transferredTo.state' }] });
    expect(outcomes.items.get('DET-0001')).toStrictEqual(before);
    expect(outcomes.revisions('DET-0001')).toStrictEqual([1]);
  });

  it('retries a lost race on the re-read record, so the other write keeps its revision', async () => {
    const { put, outcomes } = setup();
    await put('DET-0001', outcome());
    outcomes.beforeNext('replace', async () => {
      await put('DET-0001', outcome({ note: 'written meanwhile' }), { actor: otherIntake });
    });

    const out = await put('DET-0001', declined('2017-03-06'), { reason: 'mine' });

    expect(out).toMatchObject({ result: 'updated', revision: 3 });
    expect(outcomes.items.get('DET-0001')?.record).toMatchObject({ status: 'declined' });
    expect(outcomes.revisions('DET-0001')).toStrictEqual([1, 2, 3]);
    const history = await historyOf(outcomes, 'DET-0001');
    expect(history[1]).toMatchObject({ revision: 2, client: { id: otherIntake.id } });
    // Revision 3 was computed against revision 2, not against the record first read.
    expect(history[2]?.changes).toContainEqual({ field: 'note', before: 'written meanwhile', after: null });
    expect(history[2]).toMatchObject({ revision: 3, reason: 'mine', client: { id: intake.id } });
  });

  it('returns 412 instead of retrying when a race is lost under If-Match', async () => {
    const { put, outcomes } = setup();
    await put('DET-0001', outcome());
    outcomes.beforeNext('replace', async () => {
      await put('DET-0001', outcome({ note: 'written meanwhile' }), { actor: otherIntake });
    });

    const error = await rejection(put('DET-0001', declined('2017-03-06'), { ifMatch: 1 }));

    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect(outcomes.items.get('DET-0001')).toMatchObject({
      revision: 2,
      record: { note: 'written meanwhile', status: 'pending' },
    });
  });

  it('creates a record once when many first writes of it race', async () => {
    const { put, outcomes } = setup();

    const results = await Promise.all(Array.from({ length: 8 }, () => put('DET-0001', outcome())));

    expect(results.filter((r) => r.result === 'created')).toHaveLength(1);
    expect(results.filter((r) => r.result === 'unchanged')).toHaveLength(7);
    expect(outcomes.revisions('DET-0001')).toStrictEqual([1]);
  });

  it('gives each of many racing distinct updates its own revision, each built on the one before', async () => {
    const { put, outcomes } = setup();
    await put('DET-0001', outcome());

    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => put('DET-0001', outcome({ note: `writer ${i}` }))),
    );

    expect(results.every((r) => r.result === 'updated')).toBe(true);
    expect(results.map((r) => r.revision).sort()).toStrictEqual([2, 3, 4, 5, 6, 7]);
    const history = await historyOf(outcomes, 'DET-0001');
    expect(history.map((entry) => entry.revision)).toStrictEqual([1, 2, 3, 4, 5, 6, 7]);
    const noteOf = (entry: HistoryEntry | undefined, side: 'before' | 'after') =>
      entry?.changes.find((change) => change.field === 'note')?.[side];
    for (let i = 2; i < history.length; i++) {
      expect(noteOf(history[i], 'before')).toBe(noteOf(history[i - 1], 'after'));
    }
    expect(outcomes.items.get('DET-0001')?.record.note).toBe(noteOf(history[6], 'after'));
  });

  it('returns 400 naming each date after tomorrow, and writes nothing', async () => {
    const { put, outcomes, jurisdictions } = setup();

    const error = await rejection(put('DET-0001', declined('2017-03-18', { issuedOn: '2017-03-17' })));

    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ status: 400 });
    expect((error as ValidationError).issues.map((issue) => issue.path)).toStrictEqual([
      'issuedOn',
      'declinedOn',
    ]);
    expect(outcomes.items.size).toBe(0);
    expect(jurisdictions.items.size).toBe(0);
  });

  it('accepts dates up to tomorrow in the report time zone', async () => {
    const { put } = setup();

    const out = await put('DET-0001', declined('2017-03-16', { issuedOn: '2017-03-16' }));

    expect(out.result).toBe('created');
    expect(out.record.learnedOn).toBe('2017-03-16');
  });

  it('marks the ended weeks of the stored and the new record before it writes', async () => {
    const { put, marks } = setup();
    await put('DET-0001', outcome());
    expect(marks).toStrictEqual([expect.objectContaining({ weeks: ['2017-01-28'], revisions: {} })]);

    await put('DET-0001', declined('2017-03-06', { issuedOn: '2017-02-08', learnedOn: '2017-03-06' }));

    expect(marks).toHaveLength(2);
    expect(marks[1]?.weeks).toStrictEqual(['2017-01-28', '2017-02-04', '2017-03-04']);
    // Still revision 1 when marked: the mark came first.
    expect(marks[1]?.revisions).toStrictEqual({ 'DET-0001': 1 });
  });

  it('marks no week for a record that counts only in the current week', async () => {
    const { put, marks } = setup();

    await put('DET-0001', declined('2017-03-14', { issuedOn: '2017-03-13' }));

    expect(marks).toHaveLength(0);
  });

  it('marks every week before a write that changes the name a jurisdiction shows', async () => {
    const { put, marks, jurisdictions } = setup();
    await put('DET-0001', outcome({ issuedOn: '2017-03-13' }));
    expect(marks).toHaveLength(0);

    const renamed = { ...SYNTHETIC, name: 'Synthetic County Sheriff Office' };
    await put('DET-0002', outcome({ issuedOn: '2017-03-13', jurisdiction: renamed }));

    // Once, and before the record was written: a crash after the write cannot lose it.
    expect(marks).toStrictEqual([
      expect.objectContaining({ weeks: [ALL_WEEKS], revisions: { 'DET-0001': 1 } }),
    ]);
    expect(jurisdictions.items.get('SYN-001')?.recordName).toBe('Synthetic County Sheriff Office');
  });

  it('marks no week for a new record name while a PUT name is shown', async () => {
    const { put, marks, deps } = setup();
    await put('DET-0001', outcome({ issuedOn: '2017-03-13' }));
    await putJurisdiction(deps, { id: 'SYN-001', name: 'Synthetic County', state: 'CA', actor: admin });
    const marksBefore = marks.length;

    await put('DET-0002', outcome({ issuedOn: '2017-03-13', jurisdiction: { ...SYNTHETIC, name: 'Other' } }));

    expect(marks).toHaveLength(marksBefore);
  });

  it('returns 409 for a write to a voided record', async () => {
    const { put, deps } = setup();
    await put('DET-0001', outcome());
    await voidOutcome(deps, { detainerId: 'DET-0001', reason: 'entered in error', actor: admin });

    const error = await rejection(put('DET-0001', outcome({ note: 'again' })));

    expect(error).toBeInstanceOf(ConflictError);
  });

  it('keeps a change on the record item only, and copies it to the history before the next write', async () => {
    const { put, outcomes } = setup();
    await put('DET-0001', outcome());
    // No history call for the write itself: its change is on the item.
    expect(outcomes.copiedRevisions('DET-0001')).toStrictEqual([]);
    expect(outcomes.calls.filter((call) => call.startsWith('putHistory'))).toStrictEqual([]);

    await put('DET-0001', outcome({ note: 'next' }));

    expect(outcomes.copiedRevisions('DET-0001')).toStrictEqual([1]);
    expect(outcomes.revisions('DET-0001')).toStrictEqual([1, 2]);
  });
});

describe('voidOutcome', () => {
  it('voids a record as a new revision with its reason, after marking its weeks', async () => {
    const { put, deps, outcomes, marks } = setup();
    await put('DET-0001', declined('2017-03-06', { learnedOn: '2017-03-06' }));

    const out = await voidOutcome(deps, { detainerId: 'DET-0001', reason: 'entered in error', actor: admin });

    expect(out).toMatchObject({ result: 'updated', revision: 2, voided: true });
    expect(outcomes.items.get('DET-0001')).toMatchObject({ revision: 2, voided: true });
    expect(outcomes.items.get('DET-0001')?.lastChange).toMatchObject({
      revision: 2,
      reason: 'entered in error',
      client: { id: admin.id },
      changes: [{ field: 'voided', before: false, after: true }],
    });
    expect(outcomes.revisions('DET-0001')).toStrictEqual([1, 2]);
    expect(marks.at(-1)).toStrictEqual(
      expect.objectContaining({ weeks: ['2017-01-28', '2017-03-04'], revisions: { 'DET-0001': 1 } }),
    );
    const view = await getOutcome(deps, 'DET-0001', intake);
    expect(view).toMatchObject({ voided: true, revision: 2, record: { status: 'declined' } });
    expect(view.history.map((entry) => entry.revision)).toStrictEqual([1, 2]);
  });

  it('answers unchanged when voiding again, and 404 for an unknown record', async () => {
    const { put, deps, outcomes } = setup();
    await put('DET-0001', outcome());
    await voidOutcome(deps, { detainerId: 'DET-0001', reason: 'entered in error', actor: admin });

    const again = await voidOutcome(deps, { detainerId: 'DET-0001', reason: 'twice', actor: admin });
    const unknown = await rejection(voidOutcome(deps, { detainerId: 'DET-9999', reason: 'x', actor: admin }));

    expect(again).toMatchObject({ result: 'unchanged', revision: 2, voided: true });
    expect(outcomes.revisions('DET-0001')).toStrictEqual([1, 2]);
    expect(unknown).toBeInstanceOf(NotFoundError);
  });

  it('retries a lost race and voids the record the other writer left', async () => {
    const { put, deps, outcomes } = setup();
    await put('DET-0001', outcome());
    outcomes.beforeNext('replace', async () => {
      await put('DET-0001', outcome({ note: 'written meanwhile' }), { actor: otherIntake });
    });

    const out = await voidOutcome(deps, { detainerId: 'DET-0001', reason: 'entered in error', actor: admin });

    expect(out).toMatchObject({ result: 'updated', revision: 3 });
    expect(outcomes.items.get('DET-0001')).toMatchObject({
      voided: true,
      record: { note: 'written meanwhile' },
    });
    expect(outcomes.revisions('DET-0001')).toStrictEqual([1, 2, 3]);
  });
});

describe('getOutcome', () => {
  it('shows a jurisdiction token the records that name its jurisdiction, and the others as absent', async () => {
    const { put, deps } = setup();
    await put('DET-0001', outcome());
    await put(
      'DET-0002',
      outcome({ jurisdiction: FICTIONAL, status: 'transferred', transferredTo: SYNTHETIC }),
    );
    await put('DET-0003', outcome({ jurisdiction: FICTIONAL }));

    expect((await getOutcome(deps, 'DET-0001', synClerk)).detainerId).toBe('DET-0001');
    expect((await getOutcome(deps, 'DET-0002', synClerk)).detainerId).toBe('DET-0002');
    const hidden = await rejection(getOutcome(deps, 'DET-0003', synClerk));
    expect(hidden).toBeInstanceOf(NotFoundError);
    expect(hidden).toMatchObject({ status: 404 });
    expect((await getOutcome(deps, 'DET-0003', fictionalClerk)).detainerId).toBe('DET-0003');
    expect(await rejection(getOutcome(deps, 'DET-0001', fictionalClerk))).toBeInstanceOf(NotFoundError);
    expect((await getOutcome(deps, 'DET-0003', intake)).record.jurisdiction.id).toBe('SYN-002');
    expect(await rejection(getOutcome(deps, 'DET-9999', admin))).toBeInstanceOf(NotFoundError);
  });

  it('answers the record with its ref, revision and whole history', async () => {
    const { put, deps, outcomes, advance } = setup();
    await put('DET-0001', outcome());
    advance(HOUR);
    await put('DET-0001', outcome({ note: 'second' }));

    const view = await getOutcome(deps, 'DET-0001', intake);

    expect(view).toMatchObject({
      detainerId: 'DET-0001',
      ref: outcomes.items.get('DET-0001')?.ref,
      revision: 2,
      voided: false,
      record: { note: 'second' },
    });
    expect(view.history.map((entry) => entry.revision)).toStrictEqual([1, 2]);
  });

  it('includes the last change even when its history copy never landed', async () => {
    const { put, deps, outcomes, advance } = setup();
    await put('DET-0001', outcome());
    advance(HOUR);
    await put('DET-0001', outcome({ note: 'second' }));
    outcomes.dropHistory('DET-0001', 2);

    const view = await getOutcome(deps, 'DET-0001', intake);

    expect(view.history.map((entry) => entry.revision)).toStrictEqual([1, 2]);
    expect(view.history[1]).toStrictEqual(outcomes.items.get('DET-0001')?.lastChange);
  });
});

const policyA: PolicyInput = {
  enactedOn: '2016-01-01',
  type: 'ordinance',
  summary: 'Honors detainers only with a judicial warrant.',
  criteria: 'judicial warrant',
  source: 'https://synthetic-county.example/policy-a',
};
const policyB: PolicyInput = {
  enactedOn: '2017-01-01',
  type: 'resolution',
  summary: 'Declines all detainers.',
  criteria: 'none honored',
  source: 'https://synthetic-county.example/policy-b',
};

describe('putJurisdiction', () => {
  const command = (overrides: Partial<PutJurisdictionCommand> = {}): PutJurisdictionCommand => ({
    id: 'SYN-001',
    name: 'Synthetic County',
    state: 'CA',
    actor: admin,
    ...overrides,
  });

  it('marks no week for a new jurisdiction without a policy in effect: no published week names it', async () => {
    const { deps, marks } = setup();
    await putJurisdiction(deps, command({ aor: 'Synthetic AOR' }));
    await putJurisdiction(deps, {
      ...command({ policy: { ...policyA, enactedOn: '2099-01-01' } }),
      id: 'SYN-002',
    });
    expect(marks).toHaveLength(0);
  });

  it('creates a new jurisdiction at revision 1 with a history entry, marking every week when its policy was already in effect', async () => {
    const { deps, jurisdictions, marks } = setup();

    const out = await putJurisdiction(deps, command({ aor: 'Synthetic AOR', policy: policyA }));

    expect(out.result).toBe('created');
    expect(out.jurisdiction).toStrictEqual({
      id: 'SYN-001',
      name: 'Synthetic County',
      state: 'CA',
      aor: 'Synthetic AOR',
      policy: policyA,
      policies: [policyA],
      revision: 1,
    });
    const history = await jurisdictions.listHistory('SYN-001');
    expect(history).toHaveLength(1);
    expect(jurisdictions.items.get('SYN-001')?.lastChange).toStrictEqual(history[0]);
    expect(history[0]?.changes.map((change) => change.field)).toStrictEqual([
      'jurisdiction.name',
      'jurisdiction.state',
      'aor',
      'policy',
    ]);
    // Section III of every week since 2016 changes.
    expect(marks).toStrictEqual([expect.objectContaining({ weeks: [ALL_WEEKS] })]);
  });

  it('answers unchanged to the same PUT again, with no revision, history entry or mark', async () => {
    const { deps, jurisdictions, marks } = setup();
    await putJurisdiction(deps, command({ aor: 'Synthetic AOR', policy: policyA }));
    const before = jurisdictions.items.get('SYN-001');
    const marksBefore = marks.length;

    const out = await putJurisdiction(deps, command({ aor: 'Synthetic AOR', policy: policyA }));
    const withoutPolicy = await putJurisdiction(deps, command({ aor: 'Synthetic AOR' }));

    expect(out).toMatchObject({ result: 'unchanged', jurisdiction: { revision: 1 } });
    expect(withoutPolicy.result).toBe('unchanged');
    expect(jurisdictions.items.get('SYN-001')).toStrictEqual(before);
    expect(marks).toHaveLength(marksBefore);
  });

  it('updates a jurisdiction a record bound, keeping its record name, and marks every week', async () => {
    const { deps, put, jurisdictions, marks } = setup();
    await put('DET-0001', outcome({ issuedOn: '2017-03-13' }));

    const out = await putJurisdiction(deps, command());

    expect(out).toMatchObject({ result: 'updated', jurisdiction: { name: 'Synthetic County', revision: 1 } });
    expect(jurisdictions.items.get('SYN-001')).toMatchObject({
      name: 'Synthetic County',
      recordName: SYNTHETIC.name,
      revision: 1,
    });
    expect(marks.map((mark) => mark.weeks)).toStrictEqual([[ALL_WEEKS]]);
  });

  it('returns 409 when a non-admin, or an admin without a reason, moves it to another state', async () => {
    const { deps, jurisdictions } = setup();
    await putJurisdiction(deps, command());
    const before = jurisdictions.items.get('SYN-001');

    const byIntake = await rejection(
      putJurisdiction(deps, command({ state: 'NV', actor: intake, reason: 'moved' })),
    );
    const withoutReason = await rejection(putJurisdiction(deps, command({ state: 'NV' })));

    for (const error of [byIntake, withoutReason]) {
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ status: 409, issues: [{ path: 'state' }] });
    }
    expect(jurisdictions.items.get('SYN-001')).toStrictEqual(before);
  });

  it('lets an admin with a reason correct the state, recorded in its history', async () => {
    const { deps, jurisdictions } = setup();
    await putJurisdiction(deps, command());

    const out = await putJurisdiction(
      deps,
      command({ state: 'NV', reason: 'entered under the wrong state' }),
    );

    expect(out).toMatchObject({ result: 'updated', jurisdiction: { state: 'NV', revision: 2 } });
    const entry = (await jurisdictions.listHistory('SYN-001'))[1];
    expect(entry).toMatchObject({ revision: 2, reason: 'entered under the wrong state' });
    expect(entry?.changes).toStrictEqual([{ field: 'jurisdiction.state', before: 'CA', after: 'NV' }]);
    expect(await jurisdictions.bind('SYN-001', 'CA', 'x', 'y')).toMatchObject({ state: 'NV' });
  });

  it('merges policies by enactedOn: a new date adds, the same date corrects, absent keeps, null clears', async () => {
    const { deps, jurisdictions } = setup();
    await putJurisdiction(deps, command({ policy: policyA }));

    const added = await putJurisdiction(deps, command({ policy: policyB }));
    expect(added.jurisdiction.policies).toStrictEqual([policyA, policyB]);
    expect(added.jurisdiction.policy).toStrictEqual(policyB);

    const correctedB = { ...policyB, summary: 'Declines all detainers, corrected.' };
    const corrected = await putJurisdiction(deps, command({ policy: correctedB }));
    expect(corrected.jurisdiction.policies).toStrictEqual([policyA, correctedB]);

    const kept = await putJurisdiction(deps, command({ name: 'Synthetic County (renamed)' }));
    expect(kept.jurisdiction.policies).toStrictEqual([policyA, correctedB]);

    const cleared = await putJurisdiction(
      deps,
      command({ name: 'Synthetic County (renamed)', policy: null }),
    );
    expect(cleared.jurisdiction).toMatchObject({ policies: [], policy: null, revision: 5 });
    expect((await jurisdictions.listHistory('SYN-001')).map((entry) => entry.revision)).toStrictEqual([
      1, 2, 3, 4, 5,
    ]);
  });

  it('shows the policy in force today, not one repealed', async () => {
    const { deps } = setup();

    const out = await putJurisdiction(deps, command({ policy: { ...policyB, repealedOn: '2017-03-01' } }));

    expect(out.jurisdiction.policy).toBeNull();
    expect(out.jurisdiction.policies).toHaveLength(1);
  });

  it('retries a lost save on the re-read item, keeping the other writer’s policy', async () => {
    const { deps, jurisdictions } = setup();
    await putJurisdiction(deps, command());
    jurisdictions.beforeNext('save', async () => {
      await putJurisdiction(deps, command({ policy: policyA, actor: intake }));
    });

    const out = await putJurisdiction(deps, command({ policy: policyB }));

    expect(out).toMatchObject({ result: 'updated', jurisdiction: { revision: 3 } });
    expect(jurisdictions.items.get('SYN-001')?.policies).toStrictEqual([policyA, policyB]);
    expect((await jurisdictions.listHistory('SYN-001')).map((entry) => entry.client.id)).toStrictEqual([
      admin.id,
      intake.id,
      admin.id,
    ]);
  });
});

describe('disputes', () => {
  async function withRecords() {
    const context = setup();
    await context.put('DET-0001', outcome());
    await context.put('DET-0002', outcome({ jurisdiction: FICTIONAL }));
    return context;
  }

  it('opens a dispute by ref as a history step that keeps the record’s revision', async () => {
    const { outcomes, disputes, disputeDeps, deps } = await withRecords();
    const ref = outcomes.items.get('DET-0001')?.ref ?? '';

    const view = await openDispute(disputeDeps, { ref }, 'we never held this person', synClerk);

    expect(view).toMatchObject({ status: 'open', ref, reason: 'we never held this person' });
    expect(view.openedBy).toStrictEqual({ id: synClerk.id, name: synClerk.name });
    expect(view).not.toHaveProperty('detainerId');
    expect(disputes.items.get(view.id)).toMatchObject({
      detainerId: 'DET-0001',
      jurisdictionIds: ['SYN-001'],
    });
    const record = await getOutcome(deps, 'DET-0001', admin);
    expect(record.revision).toBe(1);
    expect(record.history.at(-1)).toMatchObject({
      revision: null,
      reason: 'we never held this person',
      dispute: { id: view.id, step: 'opened' },
    });
  });

  it('opens a dispute by detainer id for an intake client, showing it the detainer id', async () => {
    const { disputeDeps } = await withRecords();

    const view = await openDispute(disputeDeps, { detainerId: 'DET-0002' }, 'wrong facility', intake);

    expect(view).toMatchObject({ status: 'open', detainerId: 'DET-0002' });
  });

  it('answers 404 to a jurisdiction token disputing a record that does not name it, storing nothing', async () => {
    const { outcomes, disputes, disputeDeps } = await withRecords();
    const ref = outcomes.items.get('DET-0002')?.ref ?? '';

    const byRef = await rejection(openDispute(disputeDeps, { ref }, 'not ours', synClerk));
    const byId = await rejection(openDispute(disputeDeps, { detainerId: 'DET-0002' }, 'not ours', synClerk));
    const unknown = await rejection(openDispute(disputeDeps, { ref: 'Rnope' }, 'no such', admin));

    for (const error of [byRef, byId, unknown]) expect(error).toBeInstanceOf(NotFoundError);
    expect(disputes.items.size).toBe(0);
  });

  it('lists to a jurisdiction token only the disputes about it', async () => {
    const { disputeDeps } = await withRecords();
    const mine = await openDispute(disputeDeps, { detainerId: 'DET-0001' }, 'one', admin);
    const theirs = await openDispute(disputeDeps, { detainerId: 'DET-0002' }, 'two', admin);

    const forSyn = await listDisputes(disputeDeps, 'open', synClerk);
    const forFictional = await listDisputes(disputeDeps, 'all', fictionalClerk);
    const forAdmin = await listDisputes(disputeDeps, 'all', admin);

    expect(forSyn.map((d) => d.id)).toStrictEqual([mine.id]);
    expect(forFictional.map((d) => d.id)).toStrictEqual([theirs.id]);
    expect(forSyn[0]).not.toHaveProperty('detainerId');
    expect(forAdmin.map((d) => d.id).sort()).toStrictEqual([mine.id, theirs.id].sort());
  });

  it('resolves an open dispute once; resolving it again is a 409 that adds no step', async () => {
    const { disputes, disputeDeps, outcomes, advance } = await withRecords();
    const opened = await openDispute(disputeDeps, { detainerId: 'DET-0001' }, 'wrong date', synClerk);
    advance(HOUR);

    const resolved = await resolveDispute(disputeDeps, opened.id, 'corrected', 'date fixed', admin);
    const again = await rejection(
      resolveDispute(disputeDeps, opened.id, 'rejected', 'changed my mind', admin),
    );

    expect(resolved).toMatchObject({
      status: 'corrected',
      resolution: { outcome: 'corrected', reason: 'date fixed', by: { id: admin.id, name: admin.name } },
    });
    expect(again).toBeInstanceOf(ConflictError);
    expect(again).toMatchObject({ status: 409 });
    expect(disputes.items.get(opened.id)?.status).toBe('corrected');
    const steps = (await historyOf(outcomes, 'DET-0001')).flatMap((entry) =>
      entry.dispute ? [entry.dispute.step] : [],
    );
    expect(steps).toStrictEqual(['opened', 'corrected']);
    expect(outcomes.items.get('DET-0001')?.revision).toBe(1);
  });

  it('lets the receiving agency of a transfer dispute the record and find the dispute listed', async () => {
    const { disputeDeps, put } = setup();
    await put(
      'DET-0003',
      outcome({ jurisdiction: FICTIONAL, status: 'transferred', transferredTo: SYNTHETIC }),
    );

    const opened = await openDispute(disputeDeps, { detainerId: 'DET-0003' }, 'never received', synClerk);

    expect((await listDisputes(disputeDeps, 'open', synClerk)).map((d) => d.id)).toStrictEqual([opened.id]);
    expect((await listDisputes(disputeDeps, 'open', fictionalClerk)).map((d) => d.id)).toStrictEqual([
      opened.id,
    ]);
  });

  it('answers 409 to the loser of two racing resolutions', async () => {
    const { disputes, disputeDeps } = await withRecords();
    const opened = await openDispute(disputeDeps, { detainerId: 'DET-0001' }, 'wrong date', synClerk);

    const settled = await Promise.allSettled([
      resolveDispute(disputeDeps, opened.id, 'corrected', 'fixed', admin),
      resolveDispute(disputeDeps, opened.id, 'rejected', 'not wrong', intake),
    ]);

    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
    const refused = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(ConflictError);
    const winner = settled.find((s) => s.status === 'fulfilled');
    expect(disputes.items.get(opened.id)?.status).toBe(
      winner?.status === 'fulfilled' ? winner.value.status : 'none',
    );
  });

  it('answers 409 when the dispute is resolved between its read and its write', async () => {
    const { disputes, disputeDeps } = await withRecords();
    const opened = await openDispute(disputeDeps, { detainerId: 'DET-0001' }, 'wrong date', synClerk);
    disputes.beforeNext('resolve', async () => {
      await resolveDispute(disputeDeps, opened.id, 'rejected', 'not wrong', intake);
    });

    const error = await rejection(resolveDispute(disputeDeps, opened.id, 'corrected', 'fixed', admin));

    expect(error).toBeInstanceOf(ConflictError);
    expect(disputes.items.get(opened.id)?.resolution).toMatchObject({
      outcome: 'rejected',
      by: { id: intake.id },
    });
  });

  it('forbids a jurisdiction token to resolve, and answers 404 for an unknown dispute', async () => {
    const { disputes, disputeDeps } = await withRecords();
    const opened = await openDispute(disputeDeps, { detainerId: 'DET-0001' }, 'wrong date', synClerk);

    const forbidden = await rejection(resolveDispute(disputeDeps, opened.id, 'corrected', 'mine', synClerk));
    const unknown = await rejection(resolveDispute(disputeDeps, 'Dnope', 'corrected', 'x', admin));

    expect(forbidden).toBeInstanceOf(ForbiddenError);
    expect(forbidden).toMatchObject({ status: 403 });
    expect(disputes.items.get(opened.id)?.status).toBe('open');
    expect(unknown).toBeInstanceOf(NotFoundError);
  });
});

describe('clients', () => {
  const now = new Date('2017-03-15T17:00:00Z');

  it('creates a client whose token is answered once and stored only as its hash', async () => {
    const store = new MemoryClientStore();

    const created = await createClient(store, { name: 'Synthetic Intake Desk', role: 'intake' }, now);

    expect(created.token.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(created.token.length).toBeGreaterThanOrEqual(TOKEN_PREFIX.length + 43);
    expect(created).toMatchObject({ name: 'Synthetic Intake Desk', role: 'intake' });
    expect(created).not.toHaveProperty('jurisdictionId');
    expect(store.clients.get(created.id)?.tokenHash).toBe(hashToken(created.token));
    expect(store.tokens.get(hashToken(created.token))?.id).toBe(created.id);
    const everything = JSON.stringify([...store.clients.entries(), ...store.tokens.entries()]);
    expect(everything).not.toContain(created.token);
    expect(everything).not.toContain(created.token.slice(TOKEN_PREFIX.length));
    expect((await store.get(created.id))?.createdAt).toBe(now.toISOString());
  });

  it('gives every client its own id and token', async () => {
    const store = new MemoryClientStore();

    const a = await createClient(store, { name: 'A', role: 'intake' }, now);
    const b = await createClient(store, { name: 'B', role: 'intake' }, now);

    expect(a.id).not.toBe(b.id);
    expect(a.token).not.toBe(b.token);
    expect(await store.list()).toHaveLength(2);
  });

  it('authenticates a token as its client, with the jurisdiction for that role only', async () => {
    const store = new MemoryClientStore();
    const desk = await createClient(store, { name: 'Synthetic Intake Desk', role: 'intake' }, now);
    const clerk = await createClient(
      store,
      { name: 'Synthetic County Clerk', role: 'jurisdiction', jurisdictionId: 'SYN-001' },
      now,
    );

    expect(await authenticate(store, desk.token)).toStrictEqual({
      id: desk.id,
      name: 'Synthetic Intake Desk',
      role: 'intake',
    });
    expect(await authenticate(store, clerk.token)).toStrictEqual({
      id: clerk.id,
      name: 'Synthetic County Clerk',
      role: 'jurisdiction',
      jurisdictionId: 'SYN-001',
    });
  });

  it('answers 401 to an unknown token and to a revoked one, leaving other clients working', async () => {
    const store = new MemoryClientStore();
    const revoked = await createClient(store, { name: 'Revoked Desk', role: 'intake' }, now);
    const kept = await createClient(store, { name: 'Kept Desk', role: 'admin' }, now);

    const out = await revokeClient(store, revoked.id, new Date('2017-03-16T09:00:00Z'));

    expect(out).toMatchObject({ id: revoked.id, revokedAt: '2017-03-16T09:00:00.000Z' });
    for (const token of [revoked.token, `${TOKEN_PREFIX}unknown`]) {
      const error = await rejection(authenticate(store, token));
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect(error).toMatchObject({ status: 401 });
    }
    expect((await authenticate(store, kept.token)).id).toBe(kept.id);
  });

  it('answers a second revocation with the client still revoked, and 404 for an unknown id', async () => {
    const store = new MemoryClientStore();
    const client = await createClient(store, { name: 'Synthetic Intake Desk', role: 'intake' }, now);
    await revokeClient(store, client.id, new Date('2017-03-16T09:00:00Z'));

    const again = await revokeClient(store, client.id, new Date('2017-03-17T09:00:00Z'));
    const unknown = await rejection(revokeClient(store, 'c_nope', now));

    expect(again).toMatchObject({ id: client.id, revokedAt: '2017-03-16T09:00:00.000Z' });
    expect(await rejection(authenticate(store, client.token))).toBeInstanceOf(UnauthorizedError);
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect(unknown).toMatchObject({ status: 404 });
  });
});
