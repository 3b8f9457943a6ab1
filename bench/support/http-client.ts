import { Agent, request } from 'node:http';

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

export interface KeepAliveClient {
  /** Sends `body` as JSON when given; resolves with the whole answer, whatever its status. */
  send(method: string, path: string, body?: string): Promise<HttpResponse>;
  /** Closes the kept-alive sockets. */
  close(): void;
}

/**
 * A plain node:http client over one keep-alive agent with a socket per concurrent caller, so
 * that no request pays for a TCP handshake and the clients never queue for a socket.
 */
export function keepAliveClient(
  base: string,
  sockets: number,
  headers: Readonly<Record<string, string>>,
): KeepAliveClient {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  const origin = new URL(base);
  return {
    send(method, path, body) {
      return new Promise<HttpResponse>((resolve, reject) => {
        const outgoing = request(
          {
            agent,
            host: origin.hostname,
            port: origin.port,
            method,
            path,
            headers: {
              ...headers,
              ...(body === undefined
                ? {}
                : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
            },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('error', reject);
            response.on('end', () =>
              resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
            );
          },
        );
        outgoing.on('error', reject);
        outgoing.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
