import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small HTTP proxy in front of the local SES server (aws-ses-v2-local has no throttling): it
 * forwards every call, except the SendEmail calls `decide` picks, which it answers as SES does
 * when throttling (`429`, `x-amzn-errortype: TooManyRequestsException`, a JSON message) or
 * rejecting, so the SDK raises the real error classes.
 */
export type Fault = 'pass' | 'throttle' | 'reject';

export interface SendCall {
  /** 0, 1, 2, … over every SendEmail call the proxy has seen. */
  readonly n: number;
  readonly to: readonly string[];
}

export interface SesFaultProxy {
  readonly url: string;
  /** SendEmail calls seen, answered 429, rejected, and forwarded. */
  readonly counts: { calls: number; throttled: number; rejected: number; forwarded: number };
  /** Which SendEmail calls to fail; every other request is forwarded untouched. */
  decide: (call: SendCall) => Fault;
  /** Holds each forwarded SendEmail answer this long after SES accepted it (a slow network). */
  delayMs: number;
  close(): Promise<void>;
}

const SEND_EMAIL_PATH = '/v2/email/outbound-emails';

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function recipients(body: Buffer): string[] {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { Destination?: { ToAddresses?: string[] } };
    return parsed.Destination?.ToAddresses ?? [];
  } catch {
    return [];
  }
}

function answer(response: ServerResponse, status: number, errorType: string, message: string): void {
  const body = JSON.stringify({ message });
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-errortype': errorType,
    'x-amzn-requestid': crypto.randomUUID(),
  });
  response.end(body);
}

/** `target` may be a function: the stack behind the proxy may start after it (its functions need the proxy's URL). */
export async function startSesFaultProxy(target: string | (() => string)): Promise<SesFaultProxy> {
  const counts = { calls: 0, throttled: 0, rejected: 0, forwarded: 0 };
  const proxy: Omit<SesFaultProxy, 'url' | 'close'> = { counts, decide: () => 'pass', delayMs: 0 };
  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const path = request.url ?? '/';
      let sendEmail = false;
      if (request.method === 'POST' && path.startsWith(SEND_EMAIL_PATH)) {
        const fault = proxy.decide({ n: counts.calls++, to: recipients(body) });
        if (fault === 'throttle') {
          counts.throttled++;
          return answer(response, 429, 'TooManyRequestsException', 'Maximum sending rate exceeded.');
        }
        if (fault === 'reject') {
          counts.rejected++;
          return answer(response, 400, 'MessageRejected', 'Email address is not verified.');
        }
        counts.forwarded++;
        sendEmail = true;
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers)) {
        if (value === undefined || name === 'host' || name === 'connection' || name === 'content-length')
          continue;
        headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const upstream = await fetch(new URL(path, typeof target === 'function' ? target() : target), {
        method: request.method ?? 'GET',
        headers,
        ...(body.length > 0 ? { body } : {}),
      });
      const bytes = Buffer.from(await upstream.arrayBuffer());
      if (sendEmail && proxy.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, proxy.delayMs));
      const out: Record<string, string> = {};
      upstream.headers.forEach((value, name) => {
        if (name !== 'content-encoding' && name !== 'transfer-encoding' && name !== 'connection')
          out[name] = value;
      });
      out['content-length'] = String(bytes.length);
      response.writeHead(upstream.status, out);
      response.end(bytes);
    })().catch((error: unknown) => {
      response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  });
}
