import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from 'zod/mini';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '#core/errors';
import { toIssues } from '#core/issues';

export const MAX_BODY_BYTES = 256 * 1024;

/** Contract §2: a body nested deeper than this (the top-level value is level 1) is a 400. */
export const MAX_NESTING = 32;

/**
 * Whether JSON text opens more than `limit` objects and arrays inside one another. One pass over
 * the characters, no recursion, before anything parses it: a 5,000-deep body must cost a 400, not
 * a stack overflow in a recursive walk later. Brackets inside strings do not count.
 */
export function deeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

export function requestHeader(event: APIGatewayProxyEventV2, name: string): string | undefined {
  return header(event, name.toLowerCase());
}

function rawBody(event: APIGatewayProxyEventV2): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/**
 * Reads a JSON body in the contract's order of checks: size (413), media type (415), syntax
 * (400), then the schema (400 with field-level issues). `keepNulls` names top-level fields
 * whose null is meaningful (e.g. `policy: null`).
 */
export function parseJson(event: APIGatewayProxyEventV2, keepNulls: readonly string[] = []): unknown {
  const body = rawBody(event);
  if (body.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  const type = header(event, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json' && !(type?.startsWith('application/') && type.endsWith('+json'))) {
    throw new UnsupportedMediaTypeError();
  }
  if (body.length === 0)
    throw new ValidationError('a JSON body is required', [{ path: '', message: 'empty body' }]);
  const text = body.toString('utf8');
  if (deeperThan(text, MAX_NESTING)) {
    throw new ValidationError(`the body is nested deeper than ${MAX_NESTING} levels`, [
      { path: '', message: `at most ${MAX_NESTING} levels of objects and arrays` },
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : 'syntax error';
    throw new ValidationError('the body is not valid JSON', [{ path: '', message: detail }]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ValidationError('the body must be a JSON object', [
      { path: '', message: 'expected an object' },
    ]);
  }
  return stripNulls(parsed, keepNulls);
}

export function validate<S extends z.ZodMiniType>(
  schema: S,
  value: unknown,
  message = 'the body is invalid',
): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(message, toIssues(result.error));
  return result.data;
}

export function parseBody<S extends z.ZodMiniType>(
  event: APIGatewayProxyEventV2,
  schema: S,
  keepNulls: readonly string[] = [],
): z.infer<S> {
  return validate(schema, parseJson(event, keepNulls));
}

/** `null` means the same as absent: drop null members of objects (not of arrays), recursively. */
export function stripNulls(value: unknown, keepTopLevel: readonly string[] = []): unknown {
  if (Array.isArray(value)) return value.map((item) => stripNulls(item));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      if (member === null && !keepTopLevel.includes(key)) continue;
      out[key] = member === null ? null : stripNulls(member);
    }
    return out;
  }
  return value;
}
