import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '#http/openapi';
import { servedOpenApi } from '#http/openapi-served';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Operation {
  operationId?: string;
  tags?: string[];
  responses: Record<string, { headers?: Record<string, unknown>; content?: unknown }>;
}
const document = openApiDocument() as {
  servers?: unknown[];
  paths: Record<string, Record<string, Operation | unknown[]>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
};
const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => method !== 'parameters')
    .map(([method, operation]) => ({ path, method, operation: operation as Operation })),
);

describe('the OpenAPI document', () => {
  it('served by the intake function is the one the schemas generate now (built, not stale)', () => {
    expect(servedOpenApi()).toEqual(openApiDocument());
  });

  it("passes Redocly's recommended rules with every warning an error", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddor-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(openApiDocument()));
      const run = spawnSync(
        join(PROJECT_ROOT, 'node_modules/.bin/redocly'),
        ['lint', file, '--config', join(PROJECT_ROOT, 'redocly.yaml'), '--format', 'stylish'],
        {
          encoding: 'utf8',
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        },
      );
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
      // Node 20's deprecation banner aside, nothing to report.
      expect(`${run.stdout}${run.stderr}`).toContain('Your API description is valid');
      expect(`${run.stdout}${run.stderr}`).not.toMatch(/You have \d+ (warning|error)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('names a server, and gives every operation a unique operationId, a tag and a typed success answer', () => {
    expect(document.servers?.length).toBeGreaterThan(0);
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(operations.length);
    for (const { path, method, operation } of operations) {
      expect(operation.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
      expect(operation.tags?.length, `${method} ${path}`).toBe(1);
      const success = Object.entries(operation.responses).filter(([status]) => status.startsWith('2'));
      expect(success.length, `${method} ${path}`).toBeGreaterThan(0);
      // A JSON answer names its schema; an HTML page (a draft's) is typed by its media type.
      if (path !== '/openapi.json')
        for (const [, response] of success) {
          const content = response.content as Record<string, unknown> | undefined;
          if (content !== undefined && Object.keys(content).join() === 'text/html') continue;
          expect(JSON.stringify(content), `${method} ${path}`).toContain('#/components/schemas/');
        }
    }
  });

  it('documents the ETag of every answer that shows a revision and Retry-After on every 429', () => {
    const withEtag = operations
      .filter(({ operation }) =>
        Object.values(operation.responses).some((r) => r.headers?.ETag !== undefined),
      )
      .map(({ operation }) => operation.operationId)
      .sort();
    expect(withEtag).toEqual([
      'getJurisdiction',
      'getOutcome',
      'getOutcomeByRef',
      'putJurisdiction',
      'putOutcome',
      'voidOutcome',
    ]);
    for (const { operation } of operations)
      expect(operation.responses['429']?.headers?.['Retry-After'], operation.operationId).toBeDefined();
  });

  it('says a request may send null for an optional field, and an answer never does unless the field is nullable', () => {
    const put = document.components.schemas.PutOutcome?.properties ?? {};
    expect(put.note).toEqual({ anyOf: [expect.any(Object), { type: 'null' }] });
    // A required field does not accept null.
    expect(JSON.stringify(put.issuedOn)).not.toContain('null');
    const stored = document.components.schemas.StoredRecord?.properties ?? {};
    expect(JSON.stringify(stored)).not.toContain('"null"');
    const page = document.components.schemas.DisputePage?.properties ?? {};
    expect(JSON.stringify(page.next)).toContain('"null"');
  });
});
