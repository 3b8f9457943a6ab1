/**
 * The few domain errors. Each carries the HTTP status it maps to; one middleware
 * (lambdas/http/error-handler.ts) turns them into responses. Anything else is a 500 that says
 * nothing about internals.
 */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

export class DomainError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: readonly Issue[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  constructor(message: string, issues: readonly Issue[] = []) {
    super(400, message, issues);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = 'a valid bearer token is required') {
    super(401, message, [], { 'www-authenticate': 'Bearer realm="ddor"' });
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super(403, message);
  }
}

export class NotFoundError extends DomainError {
  constructor(message = 'not found') {
    super(404, message);
  }
}

export class MethodNotAllowedError extends DomainError {
  constructor(allowed: readonly string[]) {
    super(405, `method not allowed; use ${allowed.join(', ')}`, [], { allow: allowed.join(', ') });
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, issues: readonly Issue[] = []) {
    super(409, message, issues);
  }
}

export class PreconditionFailedError extends DomainError {
  constructor(message: string) {
    super(412, message);
  }
}

/**
 * A conditional write's `If-Match` (contract §2): `'*'` needs the item to exist, a revision
 * needs it to be that one; `what` names the item ("record X", "jurisdiction Y").
 */
export function checkIfMatch(
  what: string,
  stored: number | undefined,
  ifMatch: number | '*' | undefined,
): void {
  if (ifMatch === undefined) return;
  if (stored === undefined) throw new PreconditionFailedError(`${what} does not exist (If-Match was given)`);
  if (ifMatch !== '*' && ifMatch !== stored) {
    throw new PreconditionFailedError(`${what} is at revision ${stored}, not ${ifMatch}: read it again`);
  }
}

export class PayloadTooLargeError extends DomainError {
  constructor(limitBytes: number) {
    super(413, `request body is larger than ${limitBytes} bytes`);
  }
}

export class UnsupportedMediaTypeError extends DomainError {
  constructor() {
    super(415, 'request body must be JSON: send Content-Type: application/json');
  }
}

/**
 * The call ran out of time before the work began (its deadline, see lambdas/http/deadline.ts):
 * nothing was written, and sending the same request again is safe. A 429, as throttling is: the
 * contract allows no 5xx for anything a client sent.
 */
export class OutOfTimeError extends DomainError {
  constructor(message = 'the service is busy and did not get to this request: send it again') {
    super(429, message, [], { 'retry-after': '1' });
  }
}

/** A limit on what one client or source may start: 429 with the whole seconds until it may again. */
export class TooManyRequestsError extends DomainError {
  constructor(message: string, retryAfterSeconds: number) {
    super(429, message, [], { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}
