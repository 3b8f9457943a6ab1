import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { MethodNotAllowedError, NotFoundError, ValidationError } from '#core/errors';

export interface RouteRequest<A> {
  event: APIGatewayProxyEventV2;
  params: Record<string, string>;
  query: URLSearchParams;
  actor: A;
  /** Aborts when the call must start no more work (its deadline, lambdas/http/deadline.ts). */
  signal: AbortSignal;
}

export interface Route<A> {
  method: string;
  /** Path with `{name}` segments; each segment matches one path segment. */
  path: string;
  handle: (request: RouteRequest<A>) => Promise<APIGatewayProxyStructuredResultV2>;
}

interface CompiledRoute<A> extends Route<A> {
  pattern: RegExp;
  names: string[];
}

function compile<A>(route: Route<A>): CompiledRoute<A> {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const name = /^\{(\w+)\}$/.exec(segment)?.[1];
      if (name === undefined) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(name);
      return '([^/]+)';
    })
    .join('/');
  return { ...route, pattern: new RegExp(`^${source}/?$`), names };
}

/** A small method-and-path router: unknown paths are 404, known paths with another method 405. */
export function router<A>(routes: readonly Route<A>[]) {
  const compiled = routes.map(compile);
  return async (
    event: APIGatewayProxyEventV2,
    actor: A,
    signal: AbortSignal = new AbortController().signal,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const method = event.requestContext.http.method.toUpperCase();
    const path = event.rawPath;
    const allowed: string[] = [];
    for (const route of compiled) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      for (const [index, name] of route.names.entries()) {
        const raw = match[index + 1] ?? '';
        try {
          params[name] = decodeURIComponent(raw);
        } catch {
          throw new ValidationError(`the path segment ${name} is not valid percent-encoding`, [
            { path: name, message: 'invalid percent-encoding' },
          ]);
        }
      }
      const query = new URLSearchParams(event.rawQueryString ?? '');
      return route.handle({ event, params, query, actor, signal });
    }
    if (allowed.length > 0) throw new MethodNotAllowedError(allowed);
    throw new NotFoundError(`no such endpoint: ${method} ${path}`);
  };
}
