import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '#local/stack';
import { fixedPorts } from '../support/ports';

/**
 * The local stack on a developer's machine (issue 12; contract §1): every page the developer has
 * open can send requests to 127.0.0.1, so no server answers a Host that is not its own, none sends
 * CORS headers, site paths never leave the site's files, DATA_DIR is private, the bootstrap token
 * is long and bound to its client. Tried with raw HTTP, as a browser or an attacker sends it.
 */
const TOKEN = 'ddor_local-safety-token-synthetic-000000000';
let root = '';
let stack: LocalStack | undefined;

afterAll(async () => {
  await stack?.stop();
  if (root !== '') await rm(root, { recursive: true, force: true });
});

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request exactly as given: the path is not normalised, the Host is what we say. */
function raw(
  url: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<RawAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const sent = request(
      { host: target.hostname, port: target.port, path, method, headers, setHost: !('host' in headers) },
      (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
      },
    );
    sent.on('error', reject);
    sent.end();
  });
}

/** The same on every start: this process's SDK clients keep the endpoints they were made with. */
let ports: Record<'dynamodbPort' | 's3Port' | 'sesPort' | 'sqsPort', number> | undefined;

async function start(dataDir: string, token = TOKEN): Promise<LocalStack> {
  // Fixed from the first start, outside the range a parallel test's listen(0) could take in between.
  ports ??= await fixedPorts(['dynamodbPort', 's3Port', 'sesPort', 'sqsPort']);
  return startLocalStack({ dataDir, inMemory: false, quiet: true, intakeToken: token, ...ports });
}

describe('the local stack on a developer’s machine', () => {
  it('refuses a bootstrap token shorter than 32 characters before it starts anything', async () => {
    root = await mkdtemp(join(tmpdir(), 'ddor-safety-'));
    const dataDir = join(root, 'short-token');
    await expect(start(dataDir, 'a')).rejects.toThrow(
      /INTAKE_TOKEN: the token has 1 characters; use at least 32/,
    );
    await expect(stat(dataDir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('makes DATA_DIR private (0700), an existing world-readable one included', async () => {
    const dataDir = join(root, 'data');
    await mkdir(dataDir, { mode: 0o755 });
    await chmod(dataDir, 0o755);
    stack = await start(dataDir);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
  });

  it('answers only its own Host on every server, the emulators’ included, with 403', async () => {
    const running = stack as LocalStack;
    const servers = [
      running.urls.gateway,
      running.urls.dynamodb,
      running.urls.s3,
      running.urls.sqs,
      running.urls.cdn,
      running.urls.mailbox,
      `http://127.0.0.1:${running.ports.lambda}`,
      `http://127.0.0.1:${running.ports.secretsmanager}`,
    ];
    for (const url of servers) {
      const port = new URL(url).port;
      for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:1${port}`]) {
        const answer = await raw(url, '/', { host });
        expect(answer.status, `${url} with Host ${host}`).toBe(403);
        expect(JSON.parse(answer.body)).toMatchObject({ error: expect.stringContaining('Host') });
      }
      const own = await raw(url, '/', { host: `localhost:${port}` });
      expect(own.body, `${url} with its own Host`).not.toContain('is not this local server');
    }
  });

  it('sends no CORS header to any origin, DynamoDB’s preflight included', async () => {
    const running = stack as LocalStack;
    const origin = { origin: 'https://attacker.example' };
    for (const url of [running.urls.dynamodb, running.urls.s3, running.urls.gateway, running.urls.mailbox]) {
      for (const method of ['OPTIONS', 'GET', 'POST']) {
        const answer = await raw(
          url,
          '/',
          {
            ...origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'x-amz-target',
          },
          method,
        );
        const cors = Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'));
        expect(cors, `${method} ${url}`).toEqual([]);
      }
    }
  });

  it('answers a site path with dot segments, encoded slashes or control characters with a 4xx, never a private file', async () => {
    const running = stack as LocalStack;
    for (const path of [
      '/reports/../../ddor-data/editions/2017-01-07/r1/records.json',
      '/reports/%2e%2e/%2e%2e/ddor-data/editions/2017-01-07/r1/records.json',
      '/reports/%2E%2E%2F%2E%2E%2Fddor-data/editions/',
      '/reports/..%5c..%5cddor-data/',
      '/reports/2017-01-07%0d%0aSet-Cookie:%20x=1',
      '/reports/2017-01-07%00/',
      '/./feed.xml',
    ]) {
      const answer = await raw(running.urls.gateway, path);
      expect(answer.status, path).toBeGreaterThanOrEqual(400);
      expect(answer.status, path).toBeLessThan(500);
      expect(answer.headers['set-cookie'], path).toBeUndefined();
    }
  });

  it('keeps a revoked bootstrap client revoked across a restart; a new token makes a new one', async () => {
    const running = stack as LocalStack;
    const dataDir = running.dataDir;
    const api = (token: string, path: string, method = 'GET') =>
      fetch(`${running.urls.gateway}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    expect((await api(TOKEN, '/clients')).status).toBe(200);
    expect((await api(TOKEN, '/clients/bootstrap', 'DELETE')).status).toBe(200);
    await running.stop();
    stack = undefined;

    stack = await start(dataDir);
    const again = (token: string) =>
      fetch(`${(stack as LocalStack).urls.gateway}/clients`, {
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await again(TOKEN)).status).toBe(401);
    await stack.stop();
    stack = undefined;

    const fresh = `${TOKEN}-new`;
    stack = await start(dataDir, fresh);
    expect((await again(fresh)).status).toBe(200);
    expect((await again(TOKEN)).status).toBe(401);
  });
});
