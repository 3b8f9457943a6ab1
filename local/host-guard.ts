import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';

/**
 * Every local server, the emulators' own included, is reachable from any web page the developer
 * has open: a page can send requests to 127.0.0.1, and a DNS-rebinding name can make them
 * same-origin. So each answers only requests addressed to it by name (`Host` is
 * `127.0.0.1:<port>` or `localhost:<port>`, the port left out only when it is 80) and sends no
 * CORS header to any origin (contract §1). Installed on a listening-or-not `http.Server` by
 * wrapping its request listeners, so third-party servers (dynalite, s3rver, the SES server) get it
 * too without changes to them.
 */

/** Whether `host` names this server: loopback by IP or `localhost`, with the server's port. */
export function isLocalHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const value = host.toLowerCase();
  const names = ['127.0.0.1', 'localhost'];
  if (names.some((name) => value === `${name}:${port}`)) return true;
  return port === 80 && names.includes(value);
}

const isCorsHeader = (name: string) => name.toLowerCase().startsWith('access-control-');

function withoutCors(headers: OutgoingHttpHeaders | readonly unknown[] | undefined): unknown {
  if (headers === undefined) return undefined;
  if (Array.isArray(headers)) {
    // Either [name, value, name, value…] or [[name, value], …].
    if (headers.length > 0 && Array.isArray(headers[0])) {
      return headers.filter((pair) => !isCorsHeader(String((pair as unknown[])[0])));
    }
    const kept: unknown[] = [];
    for (let i = 0; i < headers.length; i += 2) {
      if (!isCorsHeader(String(headers[i]))) kept.push(headers[i], headers[i + 1]);
    }
    return kept;
  }
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !isCorsHeader(name)));
}

/** Makes `response` drop every `Access-Control-*` header, however the server sets it. */
function stripCors(response: ServerResponse): void {
  const setHeader = response.setHeader.bind(response);
  response.setHeader = ((name: string, value: number | string | readonly string[]) =>
    isCorsHeader(name) ? response : setHeader(name, value)) as ServerResponse['setHeader'];
  const writeHead = response.writeHead.bind(response) as (...args: unknown[]) => ServerResponse;
  response.writeHead = ((status: number, ...rest: unknown[]) => {
    const args = rest.map((arg) =>
      typeof arg === 'object' && arg !== null ? withoutCors(arg as never) : arg,
    );
    return writeHead(status, ...args);
  }) as ServerResponse['writeHead'];
}

function refuse(response: ServerResponse, host: string | undefined): void {
  const body = JSON.stringify({
    error: `refused: Host ${host === undefined ? '(none)' : JSON.stringify(host)} is not this local server; use 127.0.0.1:<port> or localhost:<port>`,
  });
  response.writeHead(403, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

const GUARDED = Symbol('ddor.hostGuard');

/**
 * Installs the guard on `server` (once), around the request listeners it has now (servers add
 * theirs when they are created): Host checked first, CORS headers never sent.
 */
export function guardHost(server: Server): void {
  const marked = server as Server & { [GUARDED]?: true };
  if (marked[GUARDED]) return;
  marked[GUARDED] = true;
  const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  const dispatch = (request: IncomingMessage, response: ServerResponse) => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    if (!isLocalHost(request.headers.host, port)) {
      request.resume();
      refuse(response, request.headers.host);
      return;
    }
    stripCors(response);
    for (const listener of listeners) listener.call(server, request, response);
  };
  server.on('request', dispatch);
}
