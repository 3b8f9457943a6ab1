import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PortInUseError } from '#local/emulators';
import { type Gateway, type HttpFunction, type Routing, startGateway } from '#local/gateway';
import { type LocalStack, StackAlreadyRunningError, startLocalStack } from '#local/stack';
import { NoLocalStackError, readStackFile, stackFilePath } from '#local/stack-file';
import { createTableInput, definitionDrift } from '#local/tables';
import { startTestStack, TEST_TOKEN } from '../support/local-stack';
import { fixedPorts } from '../support/ports';

/** A stand-in function that records what it was called with and answers 200. */
function recorder(name: string) {
  const calls: { event: APIGatewayProxyEventV2; context: Context }[] = [];
  const handler: HttpFunction = async (event, context) => {
    calls.push({ event, context });
    return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: name };
  };
  return { calls, handler };
}

/** node:http rather than fetch: it can repeat a header and send a body of exact size. */
function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: Buffer | string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {} },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

describe('gateway', () => {
  const fallback = recorder('intake');
  const subscriptions = recorder('subscriptions');
  const logged: unknown[] = [];
  let gateway: Gateway;

  const routing: Routing = {
    routes: [
      { match: '/subscriptions', name: 'subscriptions', handler: subscriptions.handler },
      {
        match: ({ path }) => path === '/boom',
        name: 'boom',
        handler: async () => {
          throw new Error('the function failed');
        },
      },
      {
        match: '/binary',
        name: 'binary',
        headers: { 'x-route': 'binary' },
        handler: async (): Promise<APIGatewayProxyStructuredResultV2> => ({
          statusCode: 201,
          headers: { 'content-type': 'application/octet-stream', 'x-frame-options': 'SAMEORIGIN' },
          cookies: ['a=1; Path=/', 'b=2; Path=/'],
          body: Buffer.from([0, 1, 2, 255]).toString('base64'),
          isBase64Encoded: true,
        }),
      },
      {
        match: '/inferred',
        name: 'inferred',
        handler: async () => ({ hello: 'world' }) as APIGatewayProxyStructuredResultV2,
      },
    ],
    fallback: { name: 'intake', handler: fallback.handler },
  };

  beforeAll(async () => {
    gateway = await startGateway({
      headers: { 'x-frame-options': 'DENY' },
      logError: (_message, error) => logged.push(error),
    });
  });
  afterAll(async () => {
    await gateway.close();
  });
  afterEach(() => {
    fallback.calls.length = 0;
    subscriptions.calls.length = 0;
  });

  it('answers /health with 503 until the routing is installed, then 200', async () => {
    const before = await fetch(`${gateway.url}/health`);
    expect(before.status).toBe(503);
    expect((await fetch(`${gateway.url}/outcomes`)).status).toBe(503);

    gateway.setRouting(routing);
    const after = await fetch(`${gateway.url}/health`);
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ status: 'ok' });
    expect(after.headers.get('x-frame-options')).toBe('DENY');
  });

  it('hands the function a payload format 2.0 event and a Lambda context', async () => {
    const response = await rawRequest(`${gateway.url}/outcomes/D%3A1?b=2&a=1&a=x%20y`, {
      method: 'PUT',
      headers: {
        'Content-Type': 'application/json',
        'X-Repeated': ['one', 'two'],
        Cookie: 'session=abc; theme=dark',
        'User-Agent': 'local-stack-test',
      },
      body: '{"status":"declined"}',
    });
    expect(response.status).toBe(200);
    expect(response.body).toBe('intake');

    const [call] = fallback.calls;
    expect(call).toBeDefined();
    const { event, context } = call ?? { event: undefined, context: undefined };
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/outcomes/D:1',
      rawQueryString: 'b=2&a=1&a=x%20y',
      cookies: ['session=abc', 'theme=dark'],
      queryStringParameters: { a: '1,x y', b: '2' },
      body: '{"status":"declined"}',
      isBase64Encoded: false,
      requestContext: {
        accountId: expect.any(String),
        apiId: expect.any(String),
        domainName: `127.0.0.1:${gateway.port}`,
        http: {
          method: 'PUT',
          path: '/outcomes/D:1',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'local-stack-test',
        },
        requestId: expect.stringMatching(/.+/),
        routeKey: '$default',
        stage: '$default',
        time: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
      },
    });
    expect(event?.headers).toMatchObject({
      'content-type': 'application/json',
      'x-repeated': 'one,two',
      host: `127.0.0.1:${gateway.port}`,
    });
    expect(event?.headers.cookie).toBeUndefined();
    expect(Math.abs((event?.requestContext.timeEpoch ?? 0) - Date.now())).toBeLessThan(5_000);

    expect(context?.functionName).toBe('intake');
    expect(context?.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context?.getRemainingTimeInMillis()).toBeGreaterThan(25_000);
    expect(context?.getRemainingTimeInMillis()).toBeLessThanOrEqual(30_000);
  });

  it('gives no body and no query parameters when the request has none', async () => {
    await fetch(`${gateway.url}/outcomes`);
    const event = fallback.calls[0]?.event;
    expect(event?.body).toBeUndefined();
    expect(event?.rawQueryString).toBe('');
    expect(event?.queryStringParameters).toBeUndefined();
    expect(event?.cookies).toBeUndefined();
  });

  it('routes by prefix and predicate in order, and anything else to the fallback', async () => {
    for (const path of ['/subscriptions', '/subscriptions/confirm?token=t']) {
      expect(await (await fetch(`${gateway.url}${path}`)).text()).toBe('subscriptions');
    }
    expect(await (await fetch(`${gateway.url}/subscriptionsx`)).text()).toBe('intake');
    expect(await (await fetch(`${gateway.url}/no/such/route`)).text()).toBe('intake');
    expect(subscriptions.calls.map((call) => call.event.rawPath)).toEqual([
      '/subscriptions',
      '/subscriptions/confirm',
    ]);
  });

  it('writes status, headers, cookies and a base64 body; gateway headers win', async () => {
    const response = await rawRequest(`${gateway.url}/binary`, {});
    expect(response.status).toBe(201);
    expect(response.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(response.headers['x-route']).toBe('binary');
    expect(response.headers['x-frame-options']).toBe('DENY');

    const bytes = new Uint8Array(await (await fetch(`${gateway.url}/binary`)).arrayBuffer());
    expect([...bytes]).toEqual([0, 1, 2, 255]);
  });

  it('takes a result without statusCode as a JSON body (API Gateway format inference)', async () => {
    const response = await fetch(`${gateway.url}/inferred`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ hello: 'world' });
  });

  it('answers 500 with a bare error when the function throws, and logs the error', async () => {
    const response = await fetch(`${gateway.url}/boom`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'internal error' });
    expect(logged).toHaveLength(1);
    expect(String(logged[0])).toContain('the function failed');
  });

  it('cuts bodies over 10 MiB off with 413 and passes a 10 MiB body whole', async () => {
    const limit = 10 * 1024 * 1024;
    const tooLarge = await fetch(`${gateway.url}/outcomes`, { method: 'POST', body: 'x'.repeat(limit + 1) });
    expect(tooLarge.status).toBe(413);
    expect(fallback.calls).toHaveLength(0);

    const atLimit = await fetch(`${gateway.url}/outcomes`, { method: 'POST', body: 'x'.repeat(limit) });
    expect(atLimit.status).toBe(200);
    expect(fallback.calls[0]?.event.body).toHaveLength(limit);
  });
});

describe('gateway timeouts', () => {
  it('answers as API Gateway does when the function runs past its timeout, and never its late answer', async () => {
    const gateway = await startGateway({
      logError: () => undefined,
      routing: {
        routes: [],
        fallback: {
          name: 'slow',
          timeoutMs: 100,
          handler: async () => {
            await new Promise((resolve) => setTimeout(resolve, 400));
            return { statusCode: 200, body: 'too late' };
          },
        },
      },
    });
    try {
      const response = await fetch(`${gateway.url}/slow`);
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ message: 'Internal Server Error' });
    } finally {
      await gateway.close();
    }
  });
});

describe('gateway shutdown', () => {
  it('lets a function call in flight finish before close() resolves, and refuses new work', async () => {
    const events: string[] = [];
    const gateway = await startGateway({
      routing: {
        routes: [],
        fallback: {
          name: 'slow',
          handler: async () => {
            await new Promise((resolve) => setTimeout(resolve, 150));
            events.push('function finished');
            return { statusCode: 200, body: 'done' };
          },
        },
      },
    });
    const response = fetch(`${gateway.url}/slow`);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await gateway.close();
    events.push('gateway closed');
    expect(await (await response).text()).toBe('done');
    expect(events).toEqual(['function finished', 'gateway closed']);
    await expect(fetch(`${gateway.url}/health`)).rejects.toThrow();
  });
});

describe('local stack', () => {
  const bootstrapped: string[] = [];
  const intake = recorder('intake');
  const standIns = {
    intake: intake.handler,
    ensureBootstrapClient: async (token: string) => {
      bootstrapped.push(token);
    },
  };
  const temporaryDirs: string[] = [];
  async function temporaryDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'ddor-stack-'));
    temporaryDirs.push(dir);
    return dir;
  }
  afterAll(async () => {
    await Promise.all(temporaryDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('publishes stack.json while running, routes to the intake function, and removes it at stop', async () => {
    const stack = await startTestStack(standIns);
    try {
      expect(bootstrapped).toEqual([TEST_TOKEN]);
      const file = await readStackFile(stack.dataDir);
      expect(file).toMatchObject({
        pid: process.pid,
        gateway: stack.urls.gateway,
        ports: stack.ports,
        tables: stack.tables,
      });
      expect(stack.tables).toMatchObject({ OUTCOMES_TABLE: 'ddor-Outcomes', CLIENTS_TABLE: 'ddor-Clients' });
      expect(process.env.OUTCOMES_TABLE).toBe('ddor-Outcomes');
      expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(stack.urls.dynamodb);

      expect((await fetch(stack.urls.health)).status).toBe(200);
      const response = await stack.api('/outcomes/D-1');
      expect(await response.text()).toBe('intake');
      expect(intake.calls[0]?.event.headers.authorization).toBe(`Bearer ${TEST_TOKEN}`);
      expect(await stack.sentMail()).toEqual([]);
    } finally {
      await stack.stop();
    }
    await expect(readStackFile(stack.dataDir)).rejects.toThrow(NoLocalStackError);
    await expect(readStackFile(stack.dataDir)).rejects.toThrow(/start it with npm start/);
  });

  it('refuses a DATA_DIR that a live process holds, and replaces a stack.json left by a dead one', async () => {
    const dataDir = await temporaryDir();
    // The parent of this test process is alive and is not this process.
    await writeFile(stackFilePath(dataDir), JSON.stringify({ pid: process.ppid, starting: true }));
    await expect(startTestStack({ ...standIns, dataDir })).rejects.toThrow(StackAlreadyRunningError);
    await expect(readStackFile(dataDir)).rejects.toThrow(/still starting/);

    const exited = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(stackFilePath(dataDir), JSON.stringify({ pid: exited, starting: true }));
    await expect(readStackFile(dataDir)).rejects.toThrow(/has exited/);
    const stack = await startTestStack({ ...standIns, dataDir });
    await expect(readStackFile(dataDir)).resolves.toMatchObject({ pid: process.pid });
    await stack.stop();
  });

  it('frees everything when a port is taken, naming the server that wanted it', async () => {
    const dataDir = await temporaryDir();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const failure = startTestStack({ ...standIns, dataDir, s3Port: taken });
      await expect(failure).rejects.toBeInstanceOf(PortInUseError);
      await expect(failure).rejects.toMatchObject({ service: 'S3', port: taken });
    } finally {
      blocker.close();
    }
    await expect(stat(stackFilePath(dataDir))).rejects.toThrow(/ENOENT/);
  });

  it('keeps DynamoDB data, sent mail and the generated token on disk across stop and start', async () => {
    const dataDir = await temporaryDir();
    const previousToken = process.env.INTAKE_TOKEN;
    delete process.env.INTAKE_TOKEN;
    let second: LocalStack | undefined;
    try {
      // Fixed ports from the start, outside the range a parallel test's listen(0) could take in between.
      const ports = await fixedPorts(['port', 'dynamodbPort', 's3Port', 'sesPort']);
      const first = await startLocalStack({ ...standIns, dataDir, quiet: true, ...ports });
      expect(first.tokenSource).toBe('generated');
      expect(first.token).toMatch(/^ddor_[A-Za-z0-9_-]{43}$/);
      expect((await stat(join(dataDir, 'intake-token'))).mode & 0o777).toBe(0o600);
      // Through the environment alone, as the functions reach it.
      const client = new DynamoDBClient({});
      await client.send(
        new PutItemCommand({
          TableName: first.tables.JURISDICTIONS_TABLE,
          Item: { id: { S: 'ZZ-KEPT' }, name: { S: 'Synthetic Kept County' } },
        }),
      );
      client.destroy();
      // Sent mail is on disk as soon as SES answered the send (before any stop), as a kill would find it.
      const ses = new SESv2Client({});
      await ses.send(
        new SendEmailCommand({
          FromEmailAddress: 'reports@example.org',
          Destination: { ToAddresses: ['kept-reader@example.org'] },
          Content: { Simple: { Subject: { Data: 'Synthetic kept mail' }, Body: { Text: { Data: 'kept' } } } },
        }),
      );
      ses.destroy();
      expect(await readFile(join(dataDir, 'ses', 'mail.jsonl'), 'utf8')).toContain('Synthetic kept mail');
      await first.stop();

      // The same ports, so clients created by the first run still reach the second.
      expect(first.ports).toMatchObject({
        gateway: ports.port,
        dynamodb: ports.dynamodbPort,
        s3: ports.s3Port,
        ses: ports.sesPort,
      });
      second = await startLocalStack({ ...standIns, dataDir, quiet: true, ...ports });
      expect(second.token).toBe(first.token);
      expect(second.tokenSource).toBe('kept');
      expect((await readFile(join(dataDir, 'intake-token'), 'utf8')).trim()).toBe(first.token);
      const again = new DynamoDBClient({});
      const kept = await again.send(
        new GetItemCommand({ TableName: second.tables.JURISDICTIONS_TABLE, Key: { id: { S: 'ZZ-KEPT' } } }),
      );
      again.destroy();
      expect(kept.Item?.name?.S).toBe('Synthetic Kept County');
      const mailbox = (await (await fetch(second.urls.mailStore)).json()) as {
        emails: { subject: string }[];
      };
      expect(mailbox.emails.map((m) => m.subject)).toContain('Synthetic kept mail');
    } finally {
      await second?.stop();
      if (previousToken !== undefined) process.env.INTAKE_TOKEN = previousToken;
    }
  });
});

describe('table definitions', () => {
  it('reports a kept table whose indexes no longer match its definition', () => {
    const table = {
      logicalName: 'Things',
      envVar: 'THINGS_TABLE',
      partitionKey: 'id',
      indexes: [{ name: 'byOwner', partitionKey: 'owner', sortKey: 'id' }],
    };
    const kept = { KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' as const }] };
    expect(definitionDrift(table, kept)).toBe('it has no index byOwner');
    expect(
      definitionDrift(table, {
        ...kept,
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byOwner',
            KeySchema: [
              { AttributeName: 'owner', KeyType: 'HASH' },
              { AttributeName: 'id', KeyType: 'RANGE' },
            ],
          },
        ],
      }),
    ).toBeUndefined();
    expect(createTableInput(table)).toMatchObject({
      TableName: 'ddor-Things',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: 'owner', AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [{ IndexName: 'byOwner', Projection: { ProjectionType: 'ALL' } }],
    });
  });
});
