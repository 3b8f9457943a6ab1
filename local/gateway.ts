import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ORIGIN_MAY_SET } from '#lib/security-headers';
import { LOCAL_HOST, listen } from './emulators';

/** What a call that ran past its function's timeout answers: nothing (Lambda ended it). */
const TIMED_OUT = Symbol('timed out');

/** A function behind the HTTP API, called as Lambda calls it: payload format 2.0. */
export type HttpFunction = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** What a route is matched on. */
export interface RouteRequest {
  readonly method: string;
  /** The decoded path, as in the event's rawPath. */
  readonly path: string;
  /** Whether it carries an `Authorization` header: such a request is the API's (contract §1). */
  readonly authorized: boolean;
}

export interface Route {
  /**
   * A path prefix (`/subscriptions` matches `/subscriptions` and `/subscriptions/…`, not
   * `/subscriptionsx`) or a predicate.
   */
  readonly match: string | ((request: RouteRequest) => boolean);
  readonly handler: HttpFunction;
  /** The function name in the fake Lambda context and in error logs. */
  readonly name: string;
  /** Headers added to this route's responses (e.g. the site's security headers), over the function's own. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The function's timeout: past it the answer is lost and the caller gets API Gateway's own
   * `500 {"message":"Internal Server Error"}`, as when Lambda ends a call. @default the gateway's timeoutMs
   */
  readonly timeoutMs?: number;
  /**
   * What CloudFront does to the request before it reaches this origin (headers it adds or
   * overwrites), for the routes the site's distribution serves from an API.
   */
  readonly viewerRequest?: (event: APIGatewayProxyEventV2) => APIGatewayProxyEventV2;
}

/**
 * The routing: the first matching route wins; anything unmatched goes to `fallback`. `GET /health`
 * is the gateway's own and never reaches a function.
 */
export interface Routing {
  readonly routes: readonly Route[];
  /** Unmatched requests: the intake function answers them itself, as deployed ($default route). */
  readonly fallback: Omit<Route, 'match'>;
}

export interface GatewayOptions {
  /** 0 or absent: a free port. */
  readonly port?: number;
  /** Routing known at start; without it the gateway answers 503 until setRouting(). */
  readonly routing?: Routing;
  /** Headers added to every response, over the function's and the route's. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Largest request body accepted. @default 10 MiB, API Gateway's own limit */
  readonly maxBodyBytes?: number;
  /** The Lambda timeout the fake context counts down from. @default 30000 */
  readonly timeoutMs?: number;
  /** Where handler errors are reported. @default stderr */
  readonly logError?: (message: string, error: unknown) => void;
}

export interface Gateway {
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Installs the routing and answers `/health` with 200 from now on. */
  setRouting(routing: Routing): void;
  /** Stops accepting requests and resolves once those in flight have been answered. */
  close(): Promise<void>;
}

/** API Gateway HTTP APIs refuse larger payloads before invoking anything. */
export const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Bodies past this are not even drained: the connection is cut. */
const DRAIN_LIMIT_BYTES = 8 * API_GATEWAY_MAX_BODY_BYTES;

const LOCAL_ACCOUNT_ID = '000000000000';
const LOCAL_API_ID = 'local';

/** An API Gateway HTTP API in front of Lambda functions, locally: one node:http server. */
export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  let routing = options.routing;
  let state: GatewayState = routing === undefined ? 'starting' : 'ready';
  const settings: HandlerSettings = {
    maxBodyBytes: options.maxBodyBytes ?? API_GATEWAY_MAX_BODY_BYTES,
    timeoutMs: options.timeoutMs ?? 30_000,
    headers: options.headers ?? {},
    logError:
      options.logError ??
      ((message, error) => {
        console.error(message, error);
      }),
  };

  const inFlight = new Set<Promise<void>>();
  const server = createServer((request, response) => {
    const handled = handleRequest(request, response, settings, state === 'ready' ? routing : state);
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
  });
  const port = await listen(server, 'gateway', options.port ?? 0);

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Every function call finishes its writes before the stores behind it are closed.
      await Promise.allSettled([...inFlight]);
      server.closeAllConnections();
      await stopped;
    })();
    return closed;
  };
  return {
    port,
    url: `http://${LOCAL_HOST}:${port}`,
    setRouting(next) {
      routing = next;
      if (state === 'starting') state = 'ready';
    },
    close() {
      // Requests already being handled finish; any that still arrive on open connections get 503.
      state = 'stopping';
      return close();
    },
  };
}

type GatewayState = 'starting' | 'ready' | 'stopping';

interface HandlerSettings {
  readonly maxBodyBytes: number;
  readonly timeoutMs: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly logError: (message: string, error: unknown) => void;
}

async function handleRequest(
  request: IncomingMessage,
  response: ServerResponse,
  settings: HandlerSettings,
  routing: Routing | Exclude<GatewayState, 'ready'> | undefined,
): Promise<void> {
  const unsafe = unsafePath(request.url ?? '/');
  if (unsafe !== undefined) {
    // Before any route: such a path would reach files outside the site's own (s3rver keeps
    // objects as files) or put a line break into a redirect's Location.
    writeJson(
      response,
      400,
      { error: `the path is not allowed: ${unsafe}`, issues: [{ path: 'path', message: unsafe }] },
      settings.headers,
    );
    request.resume();
    return;
  }
  const { path, rawQueryString } = splitTarget(request.url ?? '/');
  const method = request.method ?? 'GET';
  try {
    const body = await readBody(request, settings.maxBodyBytes);
    if (body === 'cut-off') {
      response.destroy();
      return;
    }
    if (body === 'too-large') {
      // API Gateway's own answer, before any function runs.
      writeJson(response, 413, { message: 'Request Entity Too Large' }, settings.headers);
      return;
    }
    if (path === '/health' && (method === 'GET' || method === 'HEAD')) {
      if (typeof routing === 'object') {
        writeJson(response, 200, { status: 'ok' }, settings.headers);
      } else {
        writeJson(response, 503, { status: routing ?? 'starting' }, settings.headers);
      }
      return;
    }
    if (typeof routing !== 'object') {
      writeJson(response, 503, { error: `the local stack is ${routing ?? 'starting'}` }, settings.headers);
      return;
    }
    const route =
      routing.routes.find((candidate) =>
        matches(candidate, { method, path, authorized: request.headers.authorization !== undefined }),
      ) ?? routing.fallback;
    const received = toEvent(request, { method, path, rawQueryString, body });
    const event = route.viewerRequest === undefined ? received : route.viewerRequest(received);
    const timeoutMs = route.timeoutMs ?? settings.timeoutMs;
    const context = fakeContext(route.name, timeoutMs);
    let result: APIGatewayProxyStructuredResultV2 | typeof TIMED_OUT;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
      });
      result = await Promise.race([route.handler(event, context), timedOut]);
      if (result === TIMED_OUT) {
        settings.logError(
          `[gateway] ${route.name} timed out after ${timeoutMs / 1000} s on ${method} ${path}`,
          undefined,
        );
        writeJson(response, 500, { message: 'Internal Server Error' }, settings.headers);
        return;
      }
    } catch (error) {
      settings.logError(`[gateway] ${route.name} failed on ${method} ${path}:`, error);
      writeJson(response, 500, { error: 'internal error' }, settings.headers);
      return;
    } finally {
      clearTimeout(timer);
    }
    writeResult(response, result, { ...(route.headers ?? {}), ...settings.headers });
  } catch (error) {
    // A result that cannot be written (an invalid header value, say) is the function's fault too.
    settings.logError(`[gateway] could not answer ${method} ${path}:`, error);
    if (!response.headersSent) {
      for (const name of response.getHeaderNames()) response.removeHeader(name);
      writeJson(response, 500, { error: 'internal error' }, settings.headers);
    } else {
      response.destroy();
    }
  }
}

/**
 * Why a request target's path may not be served (contract §1: dot segments, encoded slashes or
 * backslashes, control characters, raw or percent-encoded), or undefined when it may.
 */
export function unsafePath(target: string): string | undefined {
  const queryAt = target.indexOf('?');
  const raw = queryAt === -1 ? target : target.slice(0, queryAt);
  // Raw or encoded: C0 controls and DEL.
  const control = [...raw].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f);
  if (control || /%(?:[01][0-9a-f]|7f)/i.test(raw)) return 'it holds a control character';
  if (raw.includes('\\') || /%(?:2f|5c)/i.test(raw)) return 'it holds an encoded slash or a backslash';
  for (const segment of raw.split('/')) {
    const dots = segment.replace(/%2e/gi, '.');
    if (dots === '.' || dots === '..') return 'it holds a dot segment';
  }
  return undefined;
}

function matches(route: Route, request: RouteRequest): boolean {
  if (typeof route.match === 'function') return route.match(request);
  const prefix = route.match.endsWith('/') ? route.match.slice(0, -1) : route.match;
  return prefix === '' || request.path === prefix || request.path.startsWith(`${prefix}/`);
}

/** Splits the request target; HTTP APIs hand functions a decoded path and the raw query string. */
function splitTarget(target: string): { path: string; rawQueryString: string } {
  const queryAt = target.indexOf('?');
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  const rawQueryString = queryAt === -1 ? '' : target.slice(queryAt + 1);
  return { path: safeDecode(rawPath), rawQueryString };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // A malformed escape is passed on as sent, as the function must cope with it anyway.
    return text;
  }
}

/**
 * Reads the whole body, or answers 'too-large' once past the limit. A large body is still
 * drained (up to a bound) so that the client reads the 413 rather than a reset connection;
 * past that bound the connection is cut.
 */
function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer | 'too-large' | 'cut-off'> {
  return new Promise((resolve) => {
    if (Number(request.headers['content-length'] ?? '0') > DRAIN_LIMIT_BYTES) {
      resolve('cut-off');
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > DRAIN_LIMIT_BYTES) {
        request.off('data', onData);
        resolve('cut-off');
      } else if (received <= maxBytes) {
        chunks.push(chunk);
      }
    };
    request.on('data', onData);
    request.on('end', () => resolve(received > maxBytes ? 'too-large' : Buffer.concat(chunks)));
    // A client that went away needs no answer.
    request.on('error', () => resolve('cut-off'));
  });
}

interface RequestParts {
  readonly method: string;
  readonly path: string;
  readonly rawQueryString: string;
  readonly body: Buffer;
}

/** The payload format 2.0 event API Gateway would send for this request ($default route and stage). */
export function toEvent(request: IncomingMessage, parts: RequestParts): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    const value = raw[i + 1] ?? '';
    if (name === 'cookie') {
      // Format 2.0 moves cookies out of the headers into `cookies`, one entry per cookie.
      for (const cookie of value.split(';')) if (cookie.trim() !== '') cookies.push(cookie.trim());
      continue;
    }
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous},${value}`;
  }
  const sourceIp = (request.socket.remoteAddress ?? LOCAL_HOST).replace(/^::ffff:/, '');
  headers['x-forwarded-for'] =
    headers['x-forwarded-for'] === undefined ? sourceIp : `${headers['x-forwarded-for']}, ${sourceIp}`;
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-port'] = String(request.socket.localPort ?? '');

  const now = new Date();
  // The Host header keeps its port so that a URL a function builds from it reaches this gateway.
  const domainName = headers.host ?? LOCAL_HOST;
  const queryStringParameters = parseQuery(parts.rawQueryString);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: parts.path,
    rawQueryString: parts.rawQueryString,
    ...(cookies.length === 0 ? {} : { cookies }),
    headers,
    ...(queryStringParameters === undefined ? {} : { queryStringParameters }),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_API_ID,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: parts.method,
        path: parts.path,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomBytes(12).toString('base64'),
      routeKey: '$default',
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    ...(parts.body.length === 0 ? {} : { body: parts.body.toString('utf8') }),
    isBase64Encoded: false,
  };
}

/** Repeated names are joined with commas, as API Gateway does; values are decoded. */
function parseQuery(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const parameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    const previous = parameters[name];
    parameters[name] = previous === undefined ? value : `${previous},${value}`;
  }
  return parameters;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, the format of requestContext.time. */
function apiGatewayTime(date: Date): string {
  const two = (value: number): string => String(value).padStart(2, '0');
  return (
    `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()] ?? ''}/${date.getUTCFullYear()}:` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`
  );
}

/** A Lambda context good enough for middy and Powertools: names, ids and the remaining time. */
export function fakeContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const unsupported = (): never => {
    throw new Error('callback-style context methods are not supported: return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${functionName}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

function writeResult(
  response: ServerResponse,
  result: APIGatewayProxyStructuredResultV2,
  extraHeaders: Readonly<Record<string, string>>,
): void {
  // A result without statusCode is taken as the body itself (API Gateway's format inference).
  if (result.statusCode === undefined) {
    writeJson(response, 200, result, extraHeaders);
    return;
  }
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, String(value));
  if (result.cookies !== undefined && result.cookies.length > 0)
    response.setHeader('set-cookie', result.cookies);
  for (const [name, value] of Object.entries(extraHeaders)) {
    // As CloudFront's `override: false`: the function's own value of such a header wins.
    if (
      ORIGIN_MAY_SET.some((header) => header.toLowerCase() === name.toLowerCase()) &&
      response.hasHeader(name)
    )
      continue;
    response.setHeader(name, value);
  }
  const body =
    result.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(result.body, result.isBase64Encoded === true ? 'base64' : 'utf8');
  response.statusCode = result.statusCode;
  response.setHeader('content-length', body.length);
  response.end(body);
}

function writeJson(
  response: ServerResponse,
  statusCode: number,
  value: unknown,
  extraHeaders: Readonly<Record<string, string>>,
): void {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  response.statusCode = statusCode;
  response.setHeader('content-type', 'application/json');
  for (const [name, header] of Object.entries(extraHeaders)) response.setHeader(name, header);
  response.setHeader('content-length', body.length);
  response.end(body);
}
