import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen, type RunningEmulator, running } from '../emulators';
import { DAILY_QUOTA_REFUSAL, type FaultModes, IndexLag, NO_FAULTS, sesRefusal, writesOf } from '../faults';
import { ACCOUNT_ID, REGION } from '../sqs/queues';
import { type ConditionContext, isAllowed } from './policy';
import { accessKeyOf, type Principal, type Principals } from './principals';

/**
 * IAM in front of each local AWS stand-in (contract §1): a proxy that knows the caller by the
 * access key it signed with, works out the action and the resources of the request as AWS does,
 * and forwards it only when the caller's policy (the statements of the synthesized template)
 * allows every one. A refused call gets the service's own AccessDenied error, so the SDK raises
 * what it raises on AWS.
 */

export type Service = 'dynamodb' | 's3' | 'sqs' | 'sesv2' | 'cloudfront' | 'secretsmanager' | 'lambda';

/** How a port error names the server: the gate's port is the one the service is reached on. */
const SERVICE_NAMES: Record<Service, string> = {
  dynamodb: 'DynamoDB',
  s3: 'S3',
  sqs: 'SQS',
  sesv2: 'SES',
  cloudfront: 'CDN',
  secretsmanager: 'Secrets Manager',
  lambda: 'Lambda',
};

/** One action on one resource, as IAM checks it. */
export interface Access {
  readonly action: string;
  readonly resource: string;
}

export interface Classified {
  readonly accesses: readonly Access[];
  readonly context?: ConditionContext;
  /** S3: a missing object answers 403, not 404, to a caller without ListBucket on its bucket. */
  readonly missingNeedsList?: string;
  /** An answer the gate gives itself, the request never forwarded (SES: an unverified sender). */
  readonly reject?: { status: number; type: string; message: string };
}

/** A request the gate passes without IAM: the stand-ins' own local pages (mailbox, invalidation list). */
const LOCAL_ONLY = 'local';

type Classifier = (request: IncomingMessage, url: URL, body: Buffer) => Classified | typeof LOCAL_ONLY;

const tableArn = (table: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/${table}`;

function jsonBody(body: Buffer): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8') || '{}');
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function target(request: IncomingMessage): string {
  const header = request.headers['x-amz-target'];
  return (Array.isArray(header) ? header[0] : header)?.split('.').pop() ?? '';
}

const dynamodb: Classifier = (request, _url, body) => {
  const operation = target(request);
  const action = `dynamodb:${operation}`;
  const input = jsonBody(body);
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    const tables = Object.keys((input.RequestItems as Record<string, unknown> | undefined) ?? {});
    return { accesses: tables.map((table) => ({ action, resource: tableArn(table) })) };
  }
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    const items = (input.TransactItems as Record<string, { TableName?: string }>[] | undefined) ?? [];
    return {
      accesses: items.flatMap((item) =>
        Object.entries(item).map(([kind, part]) => ({
          action: `dynamodb:${kind === 'Put' ? 'PutItem' : kind === 'Update' ? 'UpdateItem' : kind === 'Delete' ? 'DeleteItem' : kind === 'Get' ? 'GetItem' : 'ConditionCheckItem'}`,
          resource: tableArn(part.TableName ?? ''),
        })),
      ),
    };
  }
  const table = typeof input.TableName === 'string' ? input.TableName : undefined;
  if (table === undefined) return { accesses: [{ action, resource: '*' }] };
  const index = typeof input.IndexName === 'string' ? `/index/${input.IndexName}` : '';
  return { accesses: [{ action, resource: `${tableArn(table)}${index}` }] };
};

const sqs: Classifier = (request, _url, body) => {
  const operation = target(request);
  const input = jsonBody(body);
  const name =
    typeof input.QueueUrl === 'string'
      ? input.QueueUrl.split('/').pop()
      : typeof input.QueueName === 'string'
        ? input.QueueName
        : undefined;
  return {
    accesses: [
      {
        // IAM authorizes SendMessageBatch, DeleteMessageBatch and ChangeMessageVisibilityBatch as
        // the single-message actions: there is no sqs:*Batch action.
        action: `sqs:${operation.replace(/Batch$/, '')}`,
        resource: name === undefined ? '*' : `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${name}`,
      },
    ],
  };
};

const s3: Classifier = (request, url) => {
  const [bucket = '', ...rest] = url.pathname.slice(1).split('/');
  const key = rest.map((part) => decodeURIComponent(part)).join('/');
  const method = request.method ?? 'GET';
  const bucketArn = `arn:aws:s3:::${decodeURIComponent(bucket)}`;
  const query = url.searchParams;
  if (bucket === '') return { accesses: [{ action: 's3:ListAllMyBuckets', resource: '*' }] };
  if (rest.length === 0 || key === '') {
    if (method === 'GET' || method === 'HEAD')
      return { accesses: [{ action: 's3:ListBucket', resource: bucketArn }] };
    if (method === 'POST' && query.has('delete'))
      return { accesses: [{ action: 's3:DeleteObject', resource: `${bucketArn}/*` }] };
    if (method === 'PUT') return { accesses: [{ action: 's3:CreateBucket', resource: bucketArn }] };
    return { accesses: [{ action: `s3:${method}Bucket`, resource: bucketArn }] };
  }
  const objectArn = `${bucketArn}/${key}`;
  if (method === 'GET' || method === 'HEAD') {
    return { accesses: [{ action: 's3:GetObject', resource: objectArn }], missingNeedsList: bucketArn };
  }
  if (method === 'PUT' || method === 'POST') {
    const copySource = request.headers['x-amz-copy-source'];
    const source =
      typeof copySource === 'string' ? decodeURIComponent(copySource.replace(/^\//, '')) : undefined;
    return {
      accesses: [
        { action: 's3:PutObject', resource: objectArn },
        ...(source === undefined ? [] : [{ action: 's3:GetObject', resource: `arn:aws:s3:::${source}` }]),
      ],
    };
  }
  if (method === 'DELETE') return { accesses: [{ action: 's3:DeleteObject', resource: objectArn }] };
  return { accesses: [{ action: `s3:${method}Object`, resource: objectArn }] };
};

/** The address inside `Name <address>`, lower-cased as SES compares it. */
export function addressOf(from: string): string {
  return (/<([^>]+)>/.exec(from)?.[1] ?? from).trim().toLowerCase();
}

function sesv2(identities: () => readonly string[]): Classifier {
  return (request, url, body) => {
    if (!url.pathname.startsWith('/v2/')) return LOCAL_ONLY;
    if (request.method === 'POST' && url.pathname === '/v2/email/outbound-emails') {
      const input = jsonBody(body);
      const from = addressOf(String(input.FromEmailAddress ?? ''));
      const domain = from.split('@')[1] ?? '';
      const verified = identities();
      const identity =
        verified.find((known) => known.toLowerCase() === from) ??
        verified.find((known) => known.toLowerCase() === domain);
      if (identity === undefined) {
        return {
          accesses: [],
          reject: {
            status: 400,
            type: 'MessageRejected',
            message: `Email address is not verified. The following identities failed the check in region ${REGION.toUpperCase()}: ${from}`,
          },
        };
      }
      const configurationSet =
        typeof input.ConfigurationSetName === 'string' ? input.ConfigurationSetName : undefined;
      const arn = (kind: string, name: string) => `arn:aws:ses:${REGION}:${ACCOUNT_ID}:${kind}/${name}`;
      return {
        accesses: [
          { action: 'ses:SendEmail', resource: arn('identity', identity) },
          ...(configurationSet === undefined
            ? []
            : [{ action: 'ses:SendEmail', resource: arn('configuration-set', configurationSet) }]),
        ],
        context: { 'ses:FromAddress': from },
      };
    }
    if (request.method === 'GET' && url.pathname === '/v2/email/account') {
      return { accesses: [{ action: 'ses:GetAccount', resource: '*' }] };
    }
    const operation = url.pathname.split('/').filter(Boolean).slice(2).join('-') || 'Unknown';
    return { accesses: [{ action: `ses:${request.method ?? 'GET'}-${operation}`, resource: '*' }] };
  };
}

const cloudfront: Classifier = (request, url) => {
  if (url.pathname.startsWith('/_local/')) return LOCAL_ONLY;
  const id = /^\/2020-05-31\/distribution\/([^/]+)\/invalidation/.exec(url.pathname)?.[1] ?? '*';
  const action = request.method === 'POST' ? 'cloudfront:CreateInvalidation' : 'cloudfront:GetInvalidation';
  return { accesses: [{ action, resource: `arn:aws:cloudfront::${ACCOUNT_ID}:distribution/${id}` }] };
};

const secretsmanager: Classifier = (request, _url, body) => {
  const input = jsonBody(body);
  const id = typeof input.SecretId === 'string' ? input.SecretId : '*';
  return { accesses: [{ action: `secretsmanager:${target(request)}`, resource: id }] };
};

const lambda: Classifier = (request, url) => {
  const name = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname)?.[1];
  if (name === undefined || request.method !== 'POST')
    return { accesses: [{ action: 'lambda:Unknown', resource: '*' }] };
  const decoded = decodeURIComponent(name);
  const arn = decoded.startsWith('arn:')
    ? decoded
    : `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${decoded}`;
  return { accesses: [{ action: 'lambda:InvokeFunction', resource: arn }] };
};

export function classifier(service: Service, identities: () => readonly string[] = () => []): Classifier {
  switch (service) {
    case 'dynamodb':
      return dynamodb;
    case 'sqs':
      return sqs;
    case 's3':
      return s3;
    case 'sesv2':
      return sesv2(identities);
    case 'cloudfront':
      return cloudfront;
    case 'secretsmanager':
      return secretsmanager;
    case 'lambda':
      return lambda;
  }
}

function deniedMessage(principal: Principal | undefined, access: Access): string {
  const who = principal === undefined ? 'an unknown access key' : `User: ${principal.arn}`;
  return `${who} is not authorized to perform: ${access.action} on resource: ${access.resource} because no identity-based policy allows the ${access.action} action`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The service's own shape of an error, so the SDK raises the same exception as on AWS. */
export function sendError(
  service: Service,
  response: ServerResponse,
  status: number,
  type: string,
  message: string,
): void {
  const requestId = randomUUID();
  switch (service) {
    case 'dynamodb':
    case 'sqs':
    case 'secretsmanager':
      response.writeHead(status, {
        'content-type':
          service === 'secretsmanager' ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0',
        'x-amzn-requestid': requestId,
      });
      response.end(JSON.stringify({ __type: `com.amazon.coral.service#${type}`, message, Message: message }));
      return;
    case 's3':
      response.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': requestId });
      response.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${type === 'AccessDeniedException' ? 'AccessDenied' : type}</Code><Message>${escapeXml(message)}</Message><RequestId>${requestId}</RequestId></Error>`,
      );
      return;
    case 'cloudfront':
      response.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
      response.end(
        `<?xml version="1.0"?>\n<ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>${type === 'AccessDeniedException' ? 'AccessDenied' : type}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
      return;
    case 'sesv2':
    case 'lambda':
      response.writeHead(status, {
        'content-type': 'application/json',
        'x-amzn-errortype': type,
        'x-amzn-requestid': requestId,
      });
      response.end(JSON.stringify({ message, Message: message, Type: 'User' }));
      return;
  }
}

export interface AuthorizeOutcome {
  readonly principal?: Principal;
  readonly classified?: Classified;
  /** Set when the request must not go on. */
  readonly refusal?: { status: number; type: string; message: string };
}

/** Decides one request: who signed it, what it does, and whether the policy allows all of it. */
export function authorize(
  principals: Principals,
  classify: Classifier,
  request: IncomingMessage,
  url: URL,
  body: Buffer,
): AuthorizeOutcome | typeof LOCAL_ONLY {
  const classified = classify(request, url, body);
  if (classified === LOCAL_ONLY) return LOCAL_ONLY;
  const principal = principals.find(accessKeyOf(request.headers.authorization, url));
  if (principal === undefined) {
    return {
      classified,
      refusal: {
        status: 403,
        type: 'UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
      },
    };
  }
  if (classified.reject !== undefined) return { principal, classified, refusal: classified.reject };
  if (principal.statements !== undefined) {
    for (const access of classified.accesses) {
      if (!isAllowed(principal.statements, access.action, access.resource, classified.context)) {
        return {
          principal,
          classified,
          refusal: { status: 403, type: 'AccessDeniedException', message: deniedMessage(principal, access) },
        };
      }
    }
  }
  return { principal, classified };
}

/** Whether the principal may list `bucketArn` (S3 answers 404 for a missing key only then). */
export function mayList(principal: Principal | undefined, bucketArn: string): boolean {
  return principal?.statements === undefined || isAllowed(principal.statements, 's3:ListBucket', bucketArn);
}

export interface GateOptions {
  readonly service: Service;
  /** The stand-in behind the gate. */
  readonly target: string;
  readonly principals: Principals;
  readonly port?: number;
  /** The stack's fault modes, read at each request (tests change them while the stack runs). */
  readonly faults?: FaultModes;
}

export interface Gate extends RunningEmulator {
  /** Refusals so far, newest last (tests and the stack's log). */
  readonly refusals: readonly { principal: string; message: string }[];
  /** SES: the verified identities (the templates' email identities), known once they are read. */
  setIdentities(identities: readonly string[]): void;
  /** SES: the tags an accepted message was sent with, by its message id (for its Send event). */
  tagsOf(messageId: string): Readonly<Record<string, readonly string[]>> | undefined;
  /** Calls forwarded so far by one principal, by `Operation table` (DynamoDB) or `Operation` (benchmarks). */
  calls(principal: string): Readonly<Record<string, number>>;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** A SendEmail request's EmailTags, as SES events list them (name → values). */
function tagsOfRequest(input: Record<string, unknown>): Record<string, string[]> {
  const tags: Record<string, string[]> = {};
  for (const tag of (input.EmailTags as { Name?: unknown; Value?: unknown }[] | undefined) ?? []) {
    if (typeof tag.Name === 'string' && typeof tag.Value === 'string') tags[tag.Name] = [tag.Value];
  }
  return tags;
}

/** One DynamoDB call straight to the stand-in (the gate's own read of an item before a write). */
async function rawDynamoDb(upstream: URL, operation: string, input: unknown): Promise<unknown> {
  const response = await fetch(upstream, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDB_20120810.${operation}`,
      // dynalite checks the header's shape, not the signature.
      'x-amz-date': '20000101T000000Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=S3RVER/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify(input),
  });
  const output = (await response.json()) as { __type?: string; message?: string };
  if (!response.ok) throw new Error(`the gate's own ${operation} failed: ${output.__type} ${output.message}`);
  return output;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * SES v2 GetAccount as the gate knows the account: sending enabled unless the `paused` fault is
 * on; the 24-hour quota of the `sesQuota` fault, or a large one that counts the sends accepted in
 * the last 24 hours. MaxSendRate is not enforced locally (the `throttling` fault stands for it).
 */
function sesAccount(faults: FaultModes, accepted: number[]): Record<string, unknown> {
  while (accepted.length > 0 && (accepted[0] ?? 0) < Date.now() - DAY_MS) accepted.shift();
  const quota = faults.sesQuota;
  return {
    DedicatedIpAutoWarmupEnabled: false,
    EnforcementStatus: 'HEALTHY',
    ProductionAccessEnabled: true,
    SendingEnabled: faults.sesRefusal !== 'paused',
    SendQuota: {
      Max24HourSend: quota?.max24HourSend ?? 1_000_000,
      MaxSendRate: 1_000,
      SentLast24Hours: quota?.sent ?? accepted.length,
    },
    SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
  };
}

function writeJsonAnswer(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(text);
}

/** Starts the gate of one service in front of `target`. */
export async function startGate(options: GateOptions): Promise<Gate> {
  let identities: readonly string[] = [];
  const classify = classifier(options.service, () => identities);
  const upstream = new URL(options.target);
  const refusals: { principal: string; message: string }[] = [];
  const lag = new IndexLag(() => (options.faults ?? NO_FAULTS).indexLagMs);
  const counts = new Map<string, Map<string, number>>();
  const sentTags = new Map<string, Record<string, string[]>>();
  /** When SES accepted each send of the last 24 hours (GetAccount's SentLast24Hours). */
  const accepted: number[] = [];
  const count = (principal: string, key: string) => {
    const mine = counts.get(principal) ?? new Map<string, number>();
    counts.set(principal, mine);
    mine.set(key, (mine.get(key) ?? 0) + 1);
  };
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    try {
      const body = await readBody(request);
      const url = new URL(request.url ?? '/', 'http://local');
      const outcome = authorize(options.principals, classify, request, url, body);
      if (outcome !== LOCAL_ONLY && outcome.refusal !== undefined) {
        refusals.push({ principal: outcome.principal?.name ?? 'unknown', message: outcome.refusal.message });
        if (refusals.length > 500) refusals.shift();
        sendError(
          options.service,
          response,
          outcome.refusal.status,
          outcome.refusal.type,
          outcome.refusal.message,
        );
        return;
      }
      const faults = options.faults ?? NO_FAULTS;
      const operation = target(request);
      // The request's JSON, parsed once (S3 bodies are objects, never parsed).
      const input = options.service === 's3' || options.service === 'cloudfront' ? {} : jsonBody(body);
      if (outcome !== LOCAL_ONLY && outcome.principal !== undefined) {
        const table =
          options.service === 'dynamodb' && typeof input.TableName === 'string' ? ` ${input.TableName}` : '';
        count(outcome.principal.name, `${operation || request.method}${table}`);
      }
      // A send admitted under the quota holds its place at once: two sends in flight at the last
      // place must not both pass (the count would otherwise rise only when each is answered).
      let quotaHeld: { sent: number } | undefined;
      const releaseQuota = () => {
        if (quotaHeld !== undefined) quotaHeld.sent -= 1;
        quotaHeld = undefined;
      };
      if (
        options.service === 'sesv2' &&
        request.method === 'POST' &&
        url.pathname === '/v2/email/outbound-emails'
      ) {
        if (faults.sesDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.sesDelayMs));
        const to = ((input.Destination as { ToAddresses?: string[] } | undefined)?.ToAddresses ?? []).map(
          (address) => address.toLowerCase(),
        );
        const rejected = to.find((address) => faults.sesRejectedAddresses.includes(address));
        const quota = faults.sesQuota;
        const refusal =
          rejected !== undefined
            ? {
                status: 400,
                type: 'MessageRejected',
                message: `Email address is not verified. The following identities failed the check in region ${REGION.toUpperCase()}: ${rejected}`,
              }
            : (sesRefusal(faults.sesRefusal) ??
              (quota !== undefined && quota.sent >= quota.max24HourSend ? DAILY_QUOTA_REFUSAL : undefined));
        if (refusal !== undefined) {
          sendError('sesv2', response, refusal.status, refusal.type, refusal.message);
          return;
        }
        if (quota !== undefined) {
          quota.sent += 1;
          quotaHeld = quota;
        }
      }
      if (options.service === 'sesv2' && request.method === 'GET' && url.pathname === '/v2/email/account') {
        writeJsonAnswer(response, 200, sesAccount(faults, accepted));
        return;
      }
      const slow = faults.slowWrites;
      if (options.service === 'dynamodb' && slow !== undefined && slow.ms > 0) {
        const held = writesOf(operation, input).some((write) => write.table === slow.table);
        if (held) await new Promise((resolve) => setTimeout(resolve, slow.ms));
      }
      const lagged = options.service === 'dynamodb' && lag.active;
      if (lagged) {
        for (const write of writesOf(operation, input)) {
          const before = await rawDynamoDb(upstream, 'GetItem', {
            TableName: write.table,
            Key: write.key,
            ConsistentRead: true,
          });
          lag.note(
            write.table,
            write.key,
            (before as { Item?: Record<string, Record<string, unknown>> }).Item,
          );
        }
      }
      const rewriteQuery = lagged && operation === 'Query' && typeof input.IndexName === 'string';
      const sendTags =
        options.service === 'sesv2' &&
        request.method === 'POST' &&
        url.pathname === '/v2/email/outbound-emails'
          ? tagsOfRequest(input)
          : undefined;
      const forwarded = httpRequest(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          method: request.method,
          path: request.url,
          headers: { ...request.headers, host: upstream.host },
        },
        (answer) => {
          const needsList = outcome === LOCAL_ONLY ? undefined : outcome.classified?.missingNeedsList;
          if (
            answer.statusCode === 404 &&
            needsList !== undefined &&
            outcome !== LOCAL_ONLY &&
            !mayList(outcome.principal, needsList)
          ) {
            answer.resume();
            const access = { action: 's3:ListBucket', resource: needsList };
            sendError('s3', response, 403, 'AccessDeniedException', deniedMessage(outcome.principal, access));
            return;
          }
          if (sendTags !== undefined && answer.statusCode === 200) {
            const chunks: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => chunks.push(chunk));
            answer.on('end', () => {
              const bytes = Buffer.concat(chunks);
              const messageId = (jsonBody(bytes) as { MessageId?: unknown }).MessageId;
              if (typeof messageId === 'string') {
                accepted.push(Date.now());
                // Counted when admitted; a quota set while it was in flight counts it now.
                if (quotaHeld === undefined && faults.sesQuota !== undefined) faults.sesQuota.sent += 1;
                quotaHeld = undefined;
                sentTags.set(messageId, sendTags);
                if (sentTags.size > 100_000) sentTags.delete(sentTags.keys().next().value ?? '');
              } else {
                releaseQuota();
              }
              response.writeHead(200, answer.headers);
              response.end(bytes);
            });
            return;
          }
          if (rewriteQuery && answer.statusCode === 200) {
            const chunks: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => chunks.push(chunk));
            answer.on('end', () => {
              const output = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
                Items?: [];
                Count?: number;
              };
              const text = JSON.stringify(lag.rewrite(input, output));
              const { 'content-length': _length, 'x-amz-crc32': _crc, ...headers } = answer.headers;
              response.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(text) });
              response.end(text);
            });
            return;
          }
          // Not accepted (SES's own refusal): its place under the quota is given back.
          if (sendTags !== undefined) releaseQuota();
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      forwarded.on('error', (error) => {
        releaseQuota();
        if (!response.headersSent)
          sendError(options.service, response, 503, 'ServiceUnavailable', error.message);
        else response.destroy();
      });
      forwarded.end(body);
    } catch (error) {
      if (!response.headersSent)
        sendError(
          options.service,
          response,
          500,
          'InternalFailure',
          error instanceof Error ? error.message : String(error),
        );
    }
  });
  const port = await listen(server, SERVICE_NAMES[options.service], options.port ?? 0);
  return {
    ...running(server, port),
    refusals,
    setIdentities(list) {
      identities = list;
    },
    calls: (principal) => Object.fromEntries(counts.get(principal) ?? []),
    tagsOf: (messageId) => sentTags.get(messageId),
  };
}
