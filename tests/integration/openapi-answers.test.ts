import { describe, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import {
  batchAnswerSchema,
  clientListSchema,
  createdClientSchema,
  disputeAnswerSchema,
  disputePageSchema,
  errorAnswerSchema,
  jurisdictionAnswerSchema,
  outcomeAnswerSchema,
  revokedClientSchema,
  voidAnswerSchema,
  writeAnswerSchema,
} from '#core/intake/responses';
import { openApiDocument } from '#http/openapi';
import { syntheticRecord } from '../support/api';
import { type ApiRequest, useLocalStack } from '../support/local-stack';

/**
 * Every answer of the intake API is what its OpenAPI document says: each call's body parsed
 * strictly with the schema the document was generated from (a field it does not name fails),
 * and the document names that schema for that operation and status.
 */
const stack = useLocalStack();

interface Operation {
  operationId: string;
  responses: Record<
    string,
    { headers?: Record<string, unknown>; content?: Record<string, { schema: { $ref?: string } }> }
  >;
}

const document = openApiDocument() as { paths: Record<string, Record<string, Operation>> };

/** The documented response of `method path` for `status`: its schema's component id and headers. */
function documented(method: string, path: string, status: number) {
  const template = Object.keys(document.paths).find((p) =>
    new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path.split('?')[0] ?? ''),
  );
  const operation = template === undefined ? undefined : document.paths[template]?.[method.toLowerCase()];
  const response = operation?.responses[String(status)];
  return {
    operationId: operation?.operationId,
    ref: response?.content?.['application/json']?.schema.$ref?.split('/').pop(),
    headers: Object.keys(response?.headers ?? {}),
  };
}

/** Calls the API and checks the answer against the document and the schema it was made from. */
async function call<S extends z.ZodMiniType>(
  path: string,
  request: ApiRequest & { method: string },
  status: number,
  schema: S,
  id: string,
): Promise<{ body: z.output<S>; headers: Headers }> {
  const response = await stack().api(path, request);
  const text = await response.text();
  expect(response.status, text).toBe(status);
  const doc = documented(request.method, path, status);
  expect(doc.operationId, `${request.method} ${path} is documented`).toBeDefined();
  expect(doc.ref, `${doc.operationId} ${status}`).toBe(id);
  for (const header of doc.headers)
    expect(response.headers.get(header), `${doc.operationId} ${status} sends ${header}`).not.toBeNull();
  const parsed = schema.safeParse(JSON.parse(text));
  expect(parsed.error?.issues ?? [], `${doc.operationId} ${status}: ${text}`).toEqual([]);
  return { body: parsed.data as z.output<S>, headers: response.headers };
}

describe('the intake API answers as its OpenAPI document says', () => {
  it('outcomes: write, batch, read, void', async () => {
    const record = syntheticRecord();
    await call('/outcomes/OA-1', { method: 'PUT', body: record }, 201, writeAnswerSchema, 'WriteAnswer');
    await call('/outcomes/OA-1', { method: 'PUT', body: record }, 200, writeAnswerSchema, 'WriteAnswer');
    const batch = await call(
      '/outcomes',
      {
        method: 'POST',
        body: {
          outcomes: [
            { detainerId: 'OA-2', ...record },
            { detainerId: 'OA-3', issuedOn: 'x' },
          ],
        },
      },
      200,
      batchAnswerSchema,
      'BatchAnswer',
    );
    expect(batch.body.results.map((r) => r.result)).toEqual(['created', 'invalid']);
    const read = await call('/outcomes/OA-1', { method: 'GET' }, 200, outcomeAnswerSchema, 'Outcome');
    expect(read.headers.get('etag')).toBe('"1"');
    const ref = (read.body as { ref: string }).ref;
    const byRef = await call(`/outcomes?ref=${ref}`, { method: 'GET' }, 200, outcomeAnswerSchema, 'Outcome');
    expect(byRef.body).toEqual(read.body);
    await call(
      '/outcomes/OA-2/void',
      { method: 'POST', body: { reason: 'entered in error (synthetic)' } },
      200,
      voidAnswerSchema,
      'VoidAnswer',
    );
    // A dispute step in the history: revision null.
    await call(
      '/outcomes/OA-1/disputes',
      { method: 'POST', body: { reason: 'the decline date is wrong (synthetic)' } },
      201,
      disputeAnswerSchema,
      'DisputeAnswer',
    );
    const history = await call('/outcomes/OA-1', { method: 'GET' }, 200, outcomeAnswerSchema, 'Outcome');
    expect(history.body.history.map((entry) => entry.revision)).toEqual([1, null]);
  });

  it('jurisdictions and disputes: write, open, page, resolve', async () => {
    const put = await call(
      '/jurisdictions/OA-J1',
      {
        method: 'PUT',
        body: {
          name: 'Synthetic Oa County',
          state: 'OR',
          policy: {
            enactedOn: '2016-01-01',
            type: 'ordinance',
            summary: 'Synthetic policy',
            criteria: 'Judicial warrant required',
            source: 'https://example.org/synthetic-policy',
          },
        },
      },
      201,
      jurisdictionAnswerSchema,
      'JurisdictionAnswer',
    );
    expect(put.body.jurisdiction.policies).toHaveLength(1);
    await call(
      '/outcomes/OA-4',
      { method: 'PUT', body: syntheticRecord() },
      201,
      writeAnswerSchema,
      'WriteAnswer',
    );
    const opened = await call(
      '/disputes',
      { method: 'POST', body: { detainerId: 'OA-4', reason: 'not ours (synthetic)' } },
      201,
      disputeAnswerSchema,
      'DisputeAnswer',
    );
    const page = await call(
      '/disputes?status=all&limit=1',
      { method: 'GET' },
      200,
      disputePageSchema,
      'DisputePage',
    );
    expect(page.body.next).not.toBeNull();
    const resolved = await call(
      `/disputes/${opened.body.id}/resolution`,
      { method: 'POST', body: { outcome: 'rejected', reason: 'the record is right (synthetic)' } },
      200,
      disputeAnswerSchema,
      'DisputeAnswer',
    );
    expect(resolved.body.resolution?.outcome).toBe('rejected');
  });

  it('clients: create, list, revoke', async () => {
    const created = await call(
      '/clients',
      { method: 'POST', body: { name: 'openapi check (synthetic)', role: 'intake' } },
      201,
      createdClientSchema,
      'CreatedClient',
    );
    await call('/clients', { method: 'GET' }, 200, clientListSchema, 'ClientList');
    await call(
      `/clients/${created.body.id}`,
      { method: 'DELETE' },
      200,
      revokedClientSchema,
      'RevokedClient',
    );
  });

  it('errors: the one error shape, with Retry-After where the document says', async () => {
    await call('/outcomes/OA-1', { method: 'PUT', body: { issuedOn: 1 } }, 400, errorAnswerSchema, 'Error');
    await call('/outcomes/OA-1', { method: 'GET', token: 'nope' }, 401, errorAnswerSchema, 'Error');
    await call('/outcomes/OA-404', { method: 'GET' }, 404, errorAnswerSchema, 'Error');
    await call(
      '/outcomes/OA-1',
      { method: 'PUT', body: syntheticRecord({ note: 'changed' }), headers: { 'if-match': '"9"' } },
      412,
      errorAnswerSchema,
      'Error',
    );
  });
});
