import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '#local/stack';
import { type ApiClient, apiClient, syntheticRecord } from '../support/api';

let stack: LocalStack;
let dataDir: string;
let admin: ApiClient;
let anonymous: ApiClient;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'ddor-intake-'));
  stack = await startLocalStack({
    dataDir,
    inMemory: true,
    quiet: true,
    intakeToken: 'test-admin-token-0123456789-synthetic',
  });
  admin = apiClient(stack.urls.gateway, stack.token);
  anonymous = apiClient(stack.urls.gateway, undefined);
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function newClient(role: string, jurisdictionId?: string): Promise<ApiClient> {
  const created = await admin.call<{ token: string }>('POST', '/clients', {
    name: `test ${role}`,
    role,
    ...(jurisdictionId ? { jurisdictionId } : {}),
  });
  expect(created.status).toBe(201);
  return admin.withToken(created.body.token);
}

describe('PUT /outcomes/{detainerId}', () => {
  it('creates, replays as unchanged, and corrects with a history of the difference', async () => {
    const record = syntheticRecord();
    const created = await admin.call('PUT', '/outcomes/D-100', record);
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toMatchObject({
      result: 'created',
      revision: 1,
      record: { kind: 'detainer', status: 'declined' },
    });

    const replay = await admin.call('PUT', '/outcomes/D-100', record);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ result: 'unchanged', revision: 1 });

    const once = await admin.call<{ history: unknown[] }>('GET', '/outcomes/D-100');
    expect(once.status).toBe(200);
    expect(once.body.history).toHaveLength(1);

    const corrected = await admin.call('PUT', '/outcomes/D-100', {
      ...record,
      facility: 'Synthetic Annex',
      reason: 'facility was mistyped',
    });
    expect(corrected.status).toBe(200);
    expect(corrected.body).toMatchObject({ result: 'updated', revision: 2 });

    const twice = await admin.call<Record<string, unknown>>('GET', '/outcomes/D-100');
    expect(twice.body).toMatchObject({ detainerId: 'D-100', revision: 2, voided: false });
    expect(twice.body.history).toEqual([
      expect.objectContaining({
        revision: 1,
        reason: null,
        client: { id: 'bootstrap', name: expect.any(String) },
      }),
      {
        revision: 2,
        at: expect.any(String),
        client: { id: 'bootstrap', name: expect.any(String) },
        reason: 'facility was mistyped',
        changes: [{ field: 'facility', before: 'Synthetic County Jail', after: 'Synthetic Annex' }],
      },
    ]);
  });

  it('treats null as absent and defaults kind, so a replay with nulls is unchanged', async () => {
    const record = syntheticRecord();
    await admin.call('PUT', '/outcomes/D-101', record);
    const replay = await admin.call('PUT', '/outcomes/D-101', {
      ...record,
      kind: 'detainer',
      note: null,
      liftedOn: null,
    });
    expect(replay.body).toMatchObject({ result: 'unchanged', revision: 1 });
  });

  it('honours If-Match: 412 when stale or absent, unchanged whatever it says', async () => {
    const record = syntheticRecord();
    expect((await admin.call('PUT', '/outcomes/D-102', record, { 'if-match': '"1"' })).status).toBe(412);
    expect((await admin.call('GET', '/outcomes/D-102')).status).toBe(404);
    await admin.call('PUT', '/outcomes/D-102', record);
    expect((await admin.call('PUT', '/outcomes/D-102', record, { 'if-match': '"7"' })).body).toMatchObject({
      result: 'unchanged',
    });
    const stale = await admin.call('PUT', '/outcomes/D-102', { ...record, note: 'x' }, { 'if-match': '"7"' });
    expect(stale.status).toBe(412);
    const fresh = await admin.call('PUT', '/outcomes/D-102', { ...record, note: 'x' }, { 'if-match': '1' });
    expect(fresh.status).toBe(200);
    expect(fresh.body).toMatchObject({ result: 'updated', revision: 2 });
    expect((await admin.call('PUT', '/outcomes/D-102', record, { 'if-match': 'banana' })).status).toBe(400);
  });

  it('defaults learnedOn on the first recorded decline and keeps it afterwards', async () => {
    const { learnedOn: _omit, ...record } = syntheticRecord();
    const first = await admin.call<{ record: { learnedOn: string } }>('PUT', '/outcomes/D-103', record);
    const defaulted = first.body.record.learnedOn;
    expect(defaulted >= '2017-02-01').toBe(true);
    const again = await admin.call('PUT', '/outcomes/D-103', { ...record, note: 'later' });
    expect(again.body).toMatchObject({ result: 'updated', record: { learnedOn: defaulted } });
  });

  it('answers 409 for a known jurisdiction id with another state, and writes nothing', async () => {
    await admin.call('PUT', '/outcomes/D-104', syntheticRecord());
    const other = syntheticRecord({
      jurisdiction: { id: 'ZZ0010000', name: 'Synthetic County', state: 'NV' },
    });
    const conflict = await admin.call<{ issues: { path: string }[] }>('PUT', '/outcomes/D-105', other);
    expect(conflict.status).toBe(409);
    expect(conflict.body.issues[0]?.path).toBe('jurisdiction.state');
    expect((await admin.call('GET', '/outcomes/D-105')).status).toBe(404);
  });

  it('rejects invalid bodies with field-level issues and stores nothing', async () => {
    const bad = await admin.call<{ error: string; issues: { path: string; message: string }[] }>(
      'PUT',
      '/outcomes/D-106',
      {
        ...syntheticRecord(),
        status: 'released',
        colour: 'blue',
      },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i) => i.path).sort()).toEqual(['colour', 'status']);
    const future = await admin.call(
      'PUT',
      '/outcomes/D-106',
      syntheticRecord({ issuedOn: '2999-01-01', declinedOn: '2999-01-02', learnedOn: '2999-01-03' }),
    );
    expect(future.status).toBe(400);
    expect((await admin.call('GET', '/outcomes/D-106')).status).toBe(404);
  });

  it('maps transport errors: 415 without JSON, 400 bad JSON, 413 over 256 KiB, 400 bad path', async () => {
    expect(
      (
        await admin.call('PUT', '/outcomes/D-107', 'x=1', {
          'content-type': 'application/x-www-form-urlencoded',
        })
      ).status,
    ).toBe(415);
    expect((await admin.call('PUT', '/outcomes/D-107', '{"issuedOn":')).status).toBe(400);
    expect(
      (await admin.call('PUT', '/outcomes/D-107', { ...syntheticRecord(), note: 'x'.repeat(300 * 1024) }))
        .status,
    ).toBe(413);
    expect((await admin.call('PUT', `/outcomes/${'x'.repeat(65)}`, syntheticRecord())).status).toBe(400);
    expect((await admin.call('PUT', '/outcomes/-leading-dash', syntheticRecord())).status).toBe(400);
  });
});

describe('authentication and roles', () => {
  it('answers 401 for no, unknown and revoked tokens, and serves the OpenAPI document without one', async () => {
    expect((await anonymous.call('GET', '/outcomes/D-100')).status).toBe(401);
    expect((await admin.withToken('ddor_unknown').call('GET', '/outcomes/D-100')).status).toBe(401);
    const created = await admin.call<{ id: string; token: string }>('POST', '/clients', {
      name: 'temp',
      role: 'intake',
    });
    const temp = admin.withToken(created.body.token);
    expect((await temp.call('PUT', '/outcomes/D-110', syntheticRecord())).status).toBe(201);
    expect((await admin.call('DELETE', `/clients/${created.body.id}`)).status).toBe(200);
    expect((await temp.call('GET', '/outcomes/D-110')).status).toBe(401);
    const doc = await anonymous.call<{ openapi: string; paths: Record<string, unknown> }>(
      'GET',
      '/openapi.json',
    );
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toContain('/outcomes/{detainerId}');
  });

  it('lists clients without tokens, and keeps client management to admins', async () => {
    const intake = await newClient('intake');
    expect((await intake.call('GET', '/clients')).status).toBe(403);
    expect((await intake.call('POST', '/clients', { name: 'x', role: 'admin' })).status).toBe(403);
    const list = await admin.call<{ clients: Record<string, unknown>[] }>('GET', '/clients');
    expect(list.status).toBe(200);
    expect(list.body.clients.length).toBeGreaterThan(0);
    for (const client of list.body.clients) {
      expect(Object.keys(client)).not.toContain('token');
      expect(Object.keys(client)).not.toContain('tokenHash');
    }
    expect((await admin.call('DELETE', '/clients/c_nobody')).status).toBe(404);
    expect((await admin.call('POST', '/clients', { name: 'j', role: 'jurisdiction' })).status).toBe(400);
  });

  it('lets a jurisdiction token read only records that name it, and write nothing', async () => {
    await admin.call(
      'PUT',
      '/outcomes/D-120',
      syntheticRecord({ jurisdiction: { id: 'ZZJ1', name: 'Synthetic J1', state: 'OR' } }),
    );
    await admin.call(
      'PUT',
      '/outcomes/D-121',
      syntheticRecord({ jurisdiction: { id: 'ZZJ2', name: 'Synthetic J2', state: 'OR' } }),
    );
    await admin.call(
      'PUT',
      '/outcomes/D-122',
      syntheticRecord({
        jurisdiction: { id: 'ZZJ2', name: 'Synthetic J2', state: 'OR' },
        transferredTo: { id: 'ZZJ1', name: 'Synthetic J1', state: 'OR' },
      }),
    );
    const j1 = await newClient('jurisdiction', 'ZZJ1');
    expect((await j1.call('GET', '/outcomes/D-120')).status).toBe(200);
    expect((await j1.call('GET', '/outcomes/D-122')).status).toBe(200);
    expect((await j1.call('GET', '/outcomes/D-121')).status).toBe(404);
    expect((await j1.call('PUT', '/outcomes/D-120', syntheticRecord())).status).toBe(403);
    expect((await j1.call('POST', '/outcomes', { outcomes: [] })).status).toBe(403);
    expect((await j1.call('PUT', '/jurisdictions/ZZJ1', { name: 'x', state: 'OR' })).status).toBe(403);
    expect((await j1.call('POST', '/outcomes/D-121/disputes', { reason: 'not ours' })).status).toBe(404);
    expect(
      (await j1.call('POST', '/outcomes/D-120/disputes', { reason: 'person was transferred' })).status,
    ).toBe(201);
  });

  it('finds a record by the ref of its row: intake, admin and editor tokens; a jurisdiction token its own', async () => {
    await admin.call(
      'PUT',
      '/outcomes/D-130',
      syntheticRecord({ jurisdiction: { id: 'ZZJ3', name: 'Synthetic J3', state: 'OR' } }),
    );
    await admin.call(
      'PUT',
      '/outcomes/D-131',
      syntheticRecord({ jurisdiction: { id: 'ZZJ4', name: 'Synthetic J4', state: 'OR' } }),
    );
    const refOf = async (id: string) =>
      (await admin.call<{ ref: string }>('GET', `/outcomes/${id}`)).body.ref;
    const [ref3, ref4] = [await refOf('D-130'), await refOf('D-131')];
    const byRef = await admin.call<{ detainerId: string; ref: string; history: unknown[] }>(
      'GET',
      `/outcomes?ref=${encodeURIComponent(ref3)}`,
    );
    expect(byRef.status).toBe(200);
    expect(byRef.body).toMatchObject({ detainerId: 'D-130', ref: ref3 });
    expect(byRef.body.history).toHaveLength(1);
    expect(byRef.headers.get('etag')).toBe('"1"');

    const editor = await newClient('editor');
    expect((await editor.call('GET', `/outcomes?ref=${encodeURIComponent(ref4)}`)).status).toBe(200);
    const j3 = await newClient('jurisdiction', 'ZZJ3');
    const own = await j3.call<Record<string, unknown>>('GET', `/outcomes?ref=${encodeURIComponent(ref3)}`);
    expect(own.status).toBe(200);
    // From a ref, a jurisdiction gets its record but never the internal detainer id.
    expect(own.body).toMatchObject({ ref: ref3, revision: 1 });
    expect(own.body).not.toHaveProperty('detainerId');
    expect(JSON.stringify(own.body)).not.toContain('D-130');
    // Another jurisdiction's ref answers as an unknown one does.
    const other = await j3.call<{ error: string }>('GET', `/outcomes?ref=${encodeURIComponent(ref4)}`);
    const unknown = await j3.call<{ error: string }>('GET', '/outcomes?ref=RNOSUCHREF');
    expect(other.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(other.body.error.replace(ref4, 'R')).toBe(unknown.body.error.replace('RNOSUCHREF', 'R'));

    const missing = await admin.call<{ issues: { path: string; message: string }[] }>('GET', '/outcomes');
    expect(missing.status).toBe(400);
    expect(missing.body.issues).toEqual([
      expect.objectContaining({ path: 'ref', message: expect.stringMatching(/ref is required/) }),
    ]);
    expect((await admin.call('GET', `/outcomes?ref=${ref3}&status=declined`)).status).toBe(400);
  });

  it('lets an editor token read records and nothing else', async () => {
    await admin.call('PUT', '/outcomes/D-140', syntheticRecord());
    const editor = await newClient('editor');
    expect((await editor.call('GET', '/outcomes/D-140')).status).toBe(200);
    const refused: [string, string, unknown?][] = [
      ['PUT', '/outcomes/D-140', syntheticRecord()],
      ['POST', '/outcomes', { outcomes: [{ detainerId: 'D-141', ...syntheticRecord() }] }],
      ['POST', '/outcomes/D-140/void', { reason: 'entered in error' }],
      ['PUT', '/jurisdictions/ZZJ5', { name: 'Synthetic J5', state: 'OR', policy: null }],
      ['POST', '/disputes', { detainerId: 'D-140', reason: 'wrong facility' }],
      ['POST', '/outcomes/D-140/disputes', { reason: 'wrong facility' }],
      ['GET', '/disputes'],
      ['POST', '/disputes/d_nobody/resolution', { outcome: 'rejected', reason: 'no' }],
      ['POST', '/clients', { name: 'another', role: 'intake' }],
      ['GET', '/clients'],
    ];
    for (const [method, path, body] of refused) {
      const answer = await editor.call<{ error: string }>(method, path, body);
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body.error).toMatch(/^an editor token may not /);
    }
    // Nothing was written by the refused calls.
    const record = await admin.call<{ revision: number }>('GET', '/outcomes/D-140');
    expect(record.body.revision).toBe(1);
    expect((await admin.call('GET', '/outcomes/D-141')).status).toBe(404);
  });

  it('answers unmatched routes with the function’s own 404 and wrong methods with 405', async () => {
    const missing = await admin.call<{ error: string }>('GET', '/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/no such endpoint/);
    expect((await anonymous.call('GET', '/nowhere')).status).toBe(401);
    expect((await admin.call('PATCH', '/outcomes/D-100', {})).status).toBe(405);
  });
});

describe('POST /outcomes (batch)', () => {
  it('stores valid items even when others are invalid or conflict, answering in order', async () => {
    await admin.call('PUT', '/jurisdictions/ZZB1', { name: 'Synthetic Batch County', state: 'WA' });
    const batch = await admin.call<{ results: Record<string, unknown>[] }>('POST', '/outcomes', {
      outcomes: [
        { detainerId: 'B-1', ...syntheticRecord() },
        { detainerId: 'B-2', ...syntheticRecord({ status: 'nonsense' }) },
        { detainerId: 'B-3', ...syntheticRecord({ jurisdiction: { id: 'ZZB1', name: 'x', state: 'ID' } }) },
        { detainerId: 'B-1', ...syntheticRecord() },
        { detainerId: 'B-1', ...syntheticRecord({ note: 'second' }), reason: 'added a note' },
        'not an object',
      ],
    });
    expect(batch.status).toBe(200);
    expect(batch.body.results.map((r) => r.result)).toEqual([
      'created',
      'invalid',
      'conflict',
      'unchanged',
      'updated',
      'invalid',
    ]);
    expect(batch.body.results[1]).toMatchObject({
      detainerId: 'B-2',
      issues: [{ path: 'outcomes.1.status' }],
    });
    expect(batch.body.results[4]).toMatchObject({ revision: 2 });
    expect((await admin.call('GET', '/outcomes/B-3')).status).toBe(404);
  });

  it('rejects an empty or oversized batch as a whole', async () => {
    expect((await admin.call('POST', '/outcomes', { outcomes: [] })).status).toBe(400);
    const many = Array.from({ length: 101 }, (_, i) => ({ detainerId: `M-${i}`, ...syntheticRecord() }));
    expect((await admin.call('POST', '/outcomes', { outcomes: many })).status).toBe(400);
    expect((await admin.call('GET', '/outcomes/M-0')).status).toBe(404);
  });
});

describe('POST /outcomes/{detainerId}/void', () => {
  it('voids once, keeps history, refuses later writes, and answers 200 again', async () => {
    await admin.call('PUT', '/outcomes/V-1', syntheticRecord());
    expect((await admin.call('POST', '/outcomes/V-1/void', {})).status).toBe(400);
    const voided = await admin.call('POST', '/outcomes/V-1/void', { reason: 'issued to the wrong agency' });
    expect(voided.status).toBe(200);
    expect(voided.body).toMatchObject({ revision: 2, voided: true });
    expect((await admin.call('POST', '/outcomes/V-1/void', { reason: 'again' })).status).toBe(200);
    expect((await admin.call('PUT', '/outcomes/V-1', syntheticRecord())).status).toBe(409);
    const view = await admin.call<{ voided: boolean; history: { changes: unknown[] }[] }>(
      'GET',
      '/outcomes/V-1',
    );
    expect(view.body.voided).toBe(true);
    expect(view.body.history.at(-1)?.changes).toEqual([{ field: 'voided', before: false, after: true }]);
    expect((await admin.call('POST', '/outcomes/V-none/void', { reason: 'x' })).status).toBe(404);
  });
});

describe('PUT /jurisdictions/{id}', () => {
  const policy = {
    enactedOn: '2016-10-01',
    type: "Sheriff's Office policy",
    summary: 'Synthetic policy summary',
    criteria: 'Honours detainers only with a judicial warrant',
    source: 'https://example.org/synthetic-policy',
  };

  it('keeps every policy version, corrects by enactedOn, and clears with null', async () => {
    const created = await admin.call('PUT', '/jurisdictions/ZZP1', {
      name: 'Synthetic Policy County',
      state: 'CO',
      aor: 'Synthetic AOR',
      policy,
    });
    expect(created.status).toBe(201);
    const second = await admin.call<{ jurisdiction: { policies: unknown[] } }>('PUT', '/jurisdictions/ZZP1', {
      name: 'Synthetic Policy County',
      state: 'CO',
      aor: 'Synthetic AOR',
      policy: { ...policy, enactedOn: '2017-01-15', type: 'resolution' },
    });
    expect(second.status).toBe(200);
    expect(second.body.jurisdiction.policies).toHaveLength(2);
    const same = await admin.call('PUT', '/jurisdictions/ZZP1', {
      name: 'Synthetic Policy County',
      state: 'CO',
      aor: 'Synthetic AOR',
      policy: { ...policy, enactedOn: '2017-01-15', type: 'resolution' },
    });
    expect(same.body).toMatchObject({ result: 'unchanged' });
    const cleared = await admin.call<{ jurisdiction: { policies: unknown[] } }>(
      'PUT',
      '/jurisdictions/ZZP1',
      {
        name: 'Synthetic Policy County',
        state: 'CO',
        aor: 'Synthetic AOR',
        policy: null,
        reason: 'never had a policy',
      },
    );
    expect(cleared.body.jurisdiction.policies).toEqual([]);
  });

  it('binds the id to its state: 409 for another, unless an admin corrects it with a reason', async () => {
    await admin.call('PUT', '/jurisdictions/ZZS1', { name: 'Synthetic State County', state: 'KS' });
    const intake = await newClient('intake');
    expect(
      (await intake.call('PUT', '/jurisdictions/ZZS1', { name: 'x', state: 'MO', reason: 'r' })).status,
    ).toBe(409);
    expect((await admin.call('PUT', '/jurisdictions/ZZS1', { name: 'x', state: 'MO' })).status).toBe(409);
    const fixed = await admin.call('PUT', '/jurisdictions/ZZS1', {
      name: 'Synthetic State County',
      state: 'MO',
      reason: 'wrong state at intake',
    });
    expect(fixed.status).toBe(200);
    expect(fixed.body).toMatchObject({ jurisdiction: { state: 'MO' } });
    expect(
      (
        await admin.call('PUT', '/jurisdictions/ZZS1', {
          name: 'x',
          state: 'MO',
          policy: { ...policy, source: 'http://insecure.example' },
        })
      ).status,
    ).toBe(400);
  });
});

describe('disputes', () => {
  it('files by ref or detainer id, lists open ones, resolves, and records each step in the history', async () => {
    const created = await admin.call<{ record: unknown }>('PUT', '/outcomes/X-1', syntheticRecord());
    expect(created.status).toBe(201);
    const view = await admin.call<{ ref: string }>('GET', '/outcomes/X-1');
    const byRef = await admin.call<{ id: string; status: string }>('POST', '/disputes', {
      ref: view.body.ref,
      reason: 'person was transferred',
    });
    expect(byRef.status).toBe(201);
    expect(byRef.body.status).toBe('open');
    expect((await admin.call('POST', '/disputes', { ref: 'Rnope', reason: 'x' })).status).toBe(404);
    expect((await admin.call('POST', '/disputes', { reason: 'x' })).status).toBe(400);
    const open = await admin.call<{ disputes: { id: string }[] }>('GET', '/disputes?status=open');
    expect(open.body.disputes.map((d) => d.id)).toContain(byRef.body.id);
    expect((await admin.call('GET', '/disputes?status=maybe')).status).toBe(400);
    const resolved = await admin.call('POST', `/disputes/${byRef.body.id}/resolution`, {
      outcome: 'rejected',
      reason: 'records confirm the release',
    });
    expect(resolved.status).toBe(200);
    expect(
      (
        await admin.call('POST', `/disputes/${byRef.body.id}/resolution`, {
          outcome: 'rejected',
          reason: 'again',
        })
      ).status,
    ).toBe(409);
    const history = await admin.call<{ revision: number; history: { revision: number | null }[] }>(
      'GET',
      '/outcomes/X-1',
    );
    expect(history.body.revision).toBe(1);
    expect(history.body.history.map((h) => h.revision)).toEqual([1, null, null]);
  });
});
