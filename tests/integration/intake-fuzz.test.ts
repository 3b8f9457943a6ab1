import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '#local/stack';
import { syntheticRecord } from '../support/api';

/**
 * Thousands of malformed requests (bodies, paths, headers) through the real gateway: every
 * answer is a 4xx with the contract's error shape, and nothing is ever written.
 */
let stack: LocalStack;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'ddor-fuzz-'));
  stack = await startLocalStack({
    dataDir,
    inMemory: true,
    quiet: true,
    intakeToken: 'fuzz-admin-token-0123456789-synthetic',
  });
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Values that no field accepts (an empty array is valid offenses, so it gets an empty item). */
const wrongValue = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant([{}]),
  fc.constant({}),
  fc.constant(''),
  fc.constant('   '),
  fc.constant('x'.repeat(1001)),
);

const requiredFields = ['issuedOn', 'jurisdiction', 'facility', 'status'] as const;
const allFields = [
  ...requiredFields,
  'kind',
  'aor',
  'citizenship',
  'offenses',
  'declinedOn',
  'learnedOn',
  'note',
] as const;

/** A record made invalid by at least one mutation. */
const invalidRecord = fc.oneof(
  fc.constantFrom(...requiredFields).map((field) => {
    const { [field]: _removed, ...rest } = syntheticRecord();
    return rest;
  }),
  fc
    .tuple(fc.constantFrom(...allFields), wrongValue)
    .map(([field, value]) => ({ ...syntheticRecord(), [field]: value })),
  fc
    .string({ minLength: 1, maxLength: 12 })
    .filter((key) => !(key in syntheticRecord()) && key !== 'reason' && key !== '__proto__')
    .map((key) => ({ ...syntheticRecord(), [key]: 1 })),
  fc.constantFrom('ca', 'XX', 'California', '', 'C A').map((state) => ({
    ...syntheticRecord(),
    jurisdiction: { id: 'ZZF1', name: 'Synthetic', state },
  })),
  fc.constantFrom('-x', '', 'a'.repeat(33), 'a/b', 'é').map((id) => ({
    ...syntheticRecord(),
    jurisdiction: { id, name: 'Synthetic', state: 'CA' },
  })),
  fc.constant({ ...syntheticRecord(), status: 'pending' }),
  fc.constant({ ...syntheticRecord(), declinedOn: '2016-01-01' }),
  fc.constant({ ...syntheticRecord(), status: 'transferred', declinedOn: undefined, learnedOn: undefined }),
  fc.constant({
    ...syntheticRecord(),
    issuedOn: '2999-01-01',
    declinedOn: '2999-01-01',
    learnedOn: '2999-01-01',
  }),
  fc.constant({
    ...syntheticRecord(),
    offenses: Array.from({ length: 51 }, () => ({ description: 'x', status: 'charged' })),
  }),
);

const goodId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/);
const badId = fc.oneof(
  fc.constant('-lead'),
  fc.constant('a'.repeat(65)),
  fc.constant('%E0%A4%A'),
  fc.constant('has%20space'),
  fc.constant('%2F'),
);

type Case = { method: string; path: string; headers: Record<string, string>; body?: string };

const token = 'fuzz-admin-token-0123456789-synthetic';
const json = { 'content-type': 'application/json', authorization: `Bearer ${token}` };

const cases: fc.Arbitrary<Case> = fc.oneof(
  // Invalid bodies on every write endpoint.
  fc.tuple(goodId, invalidRecord).map(([id, body]) => ({
    method: 'PUT',
    path: `/outcomes/${id}`,
    headers: json,
    body: JSON.stringify(body),
  })),
  fc.tuple(goodId, invalidRecord).map(([id, body]) => ({
    method: 'POST',
    path: '/outcomes',
    headers: json,
    body: JSON.stringify({ outcomes: [{ detainerId: id, ...body }], extra: true }),
  })),
  fc
    .oneof(fc.constant({}), fc.constant({ outcomes: [] }), fc.constant({ outcomes: 'x' }), fc.constant([]))
    .map((body) => ({
      method: 'POST',
      path: '/outcomes',
      headers: json,
      body: JSON.stringify(body),
    })),
  // Bad paths with a valid body.
  badId.map((id) => ({
    method: 'PUT',
    path: `/outcomes/${id}`,
    headers: json,
    body: JSON.stringify(syntheticRecord()),
  })),
  // Random bytes as JSON, or JSON that is not an object.
  fc
    .tuple(goodId, fc.oneof(fc.string(), fc.constant('[1,2]'), fc.constant('null'), fc.constant('"s"')))
    .map(([id, body]) => ({
      method: 'PUT',
      path: `/outcomes/${id}`,
      headers: json,
      body: body === '' ? '{' : body,
    })),
  // Wrong or missing media type.
  fc
    .tuple(
      goodId,
      fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', ''),
    )
    .map(([id, type]) => ({
      method: 'PUT',
      path: `/outcomes/${id}`,
      headers: { authorization: `Bearer ${token}`, ...(type === '' ? {} : { 'content-type': type }) },
      body: JSON.stringify(syntheticRecord()),
    })),
  // Bad or missing tokens with a valid body.
  fc
    .tuple(
      goodId,
      fc.constantFrom(
        '',
        'Bearer',
        'Bearer ',
        'Basic abc',
        `Bearer ${token}x`,
        'bearer nope',
        `Token ${token}`,
      ),
    )
    .map(([id, auth]) => ({
      method: 'PUT',
      path: `/outcomes/${id}`,
      headers: { 'content-type': 'application/json', ...(auth === '' ? {} : { authorization: auth }) },
      body: JSON.stringify(syntheticRecord()),
    })),
  // Bad If-Match on a record that does not exist: 400 or 412, never a write.
  fc.tuple(goodId, fc.oneof(fc.string({ maxLength: 8 }), fc.nat().map(String))).map(([id, tag]) => ({
    method: 'PUT',
    path: `/outcomes/${id}`,
    headers: { ...json, 'if-match': tag.replace(/[\r\n]/g, '') || '0' },
    body: JSON.stringify(syntheticRecord()),
  })),
  // Jurisdictions and clients with invalid bodies.
  fc
    .tuple(goodId, fc.record({ name: wrongValue, state: fc.constantFrom('ZZ', 'ca', 1) }))
    .map(([id, body]) => ({
      method: 'PUT',
      path: `/jurisdictions/${id.replace(/:/g, '')}`,
      headers: json,
      body: JSON.stringify(body),
    })),
  fc.record({ name: fc.string(), role: fc.constantFrom('root', 'jurisdiction', '') }).map((body) => ({
    method: 'POST',
    path: '/clients',
    headers: json,
    body: JSON.stringify(body),
  })),
);

describe('malformed requests', () => {
  it('always get a 4xx with the error shape, and never write', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const init: RequestInit = { method: c.method, headers: c.headers };
        if (c.body !== undefined) init.body = c.body;
        const response = await fetch(`${stack.urls.gateway}${c.path}`, init);
        const body = (await response.json()) as { error?: unknown; issues?: unknown };
        expect(response.status, `${c.method} ${c.path} ${c.body?.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expect(typeof body.error).toBe('string');
        expect(Array.isArray(body.issues)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    const dynamo = new DynamoDBClient({ endpoint: stack.urls.dynamodb });
    for (const name of ['OUTCOMES_TABLE', 'HISTORY_TABLE', 'JURISDICTIONS_TABLE', 'DISPUTES_TABLE']) {
      const table = stack.tables[name];
      const scan = await dynamo.send(new ScanCommand({ TableName: table, Select: 'COUNT' }));
      expect(scan.Count, `${name} must stay empty`).toBe(0);
    }
    // Only the bootstrap client's two items: no malformed request created a client.
    const clients = await dynamo.send(
      new ScanCommand({ TableName: stack.tables.CLIENTS_TABLE, Select: 'COUNT' }),
    );
    expect(clients.Count).toBe(2);
  }, 180_000);
});
