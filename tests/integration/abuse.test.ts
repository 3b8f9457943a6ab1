import { describe, expect, it } from 'vitest';
import { syntheticRecord } from '../support/api';
import { useLocalStack } from '../support/local-stack';

/**
 * Abuse resistance (issue 12; contract v3 §§1, 2, 4, 5), tried from outside against the running
 * stack as an attacker would: each attack as the issue wrote it, and the answer the contract gives.
 */
const stack = useLocalStack();

/** `{"a":{"a":…}}` nested `levels` deep (the top-level object is level 1), ending in `leaf`. */
function nested(levels: number, leaf: string): string {
  return `${'{"a":'.repeat(levels - 1)}{"a":${leaf}}${'}'.repeat(levels - 1)}`;
}

describe('a deeply nested JSON body', () => {
  it('is a 400 at any depth, with or without a token, on the intake API and the subscriptions API', async () => {
    for (const depth of [33, 5_000, 100_000]) {
      const body = nested(depth, '1');
      for (const [path, token] of [
        ['/subscriptions', null],
        ['/outcomes', undefined],
        ['/disputes', undefined],
      ] as const) {
        const response = await stack().api(path, {
          method: 'POST',
          body,
          ...(token === null ? { token } : {}),
          headers: { 'content-type': 'application/json' },
        });
        expect(response.status, `${path} at depth ${depth}`).toBe(response.status === 413 ? 413 : 400);
        const answer = (await response.json()) as { error?: string; message?: string };
        if (response.status === 400) expect(answer.error).toContain('nested deeper than 32 levels');
      }
    }
  });

  it('counts brackets inside strings as text, and takes a body 32 levels deep to its schema', async () => {
    const record = { detainerId: 'ABUSE-DEPTH', ...syntheticRecord({ facility: '[[[[{{{{'.repeat(20) }) };
    const written = await stack().api('/outcomes', { method: 'POST', body: { outcomes: [record] } });
    expect(written.status).toBe(200);
    const deep = await stack().api('/outcomes', {
      method: 'POST',
      body: nested(32, '1'),
      headers: { 'content-type': 'application/json' },
    });
    expect(deep.status).toBe(400);
    expect(((await deep.json()) as { error: string }).error).not.toContain('nested deeper');
  });
});
