import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen, type RunningEmulator, running } from './emulators';

/**
 * A CloudFront stand-in for the one call the product makes, `CreateInvalidation` (REST-XML,
 * `POST /2020-05-31/distribution/{id}/invalidation`), with CloudFront's own limits on what may be
 * in progress at once: 3,000 paths, of which 15 wildcard paths. Beyond them it answers
 * `TooManyInvalidationsInProgress` (400), which the SDK does not retry, as CloudFront does. Nothing
 * is cached locally, so an invalidation only counts while it is "in progress".
 *
 * `GET /_local/invalidations` lists what was asked (tests).
 */
export const CDN_LIMITS = { paths: 3_000, wildcardPaths: 15 } as const;

/** How long an invalidation stays in progress (CloudFront's usually take well under this). */
const IN_PROGRESS_MS = 60_000;

const API_PATH = /^\/2020-05-31\/distribution\/([A-Za-z0-9]+)\/invalidation$/;
const NAMESPACE = 'http://cloudfront.amazonaws.com/doc/2020-05-31/';

export interface Invalidation {
  readonly id: string;
  readonly distributionId: string;
  readonly callerReference: string;
  readonly paths: readonly string[];
  readonly createdAt: number;
}

export interface CdnOptions {
  readonly port?: number;
  /** LOCAL_TIME_SCALE: how long an invalidation stays in progress is multiplied by it. @default 1 */
  readonly timeScale?: number;
}

export interface CdnStandIn extends RunningEmulator {
  readonly invalidations: readonly Invalidation[];
}

const escapeXml = (text: string) =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );
const unescapeXml = (text: string) =>
  text.replace(
    /&(lt|gt|amp|apos|quot);/g,
    (_, e: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' })[e] ?? _,
  );

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0"?>\n<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}

function invalidationXml(invalidation: Invalidation, status: 'InProgress' | 'Completed'): string {
  const items = invalidation.paths.map((path) => `<Path>${escapeXml(path)}</Path>`).join('');
  return `<?xml version="1.0"?>\n<Invalidation xmlns="${NAMESPACE}"><Id>${invalidation.id}</Id><Status>${status}</Status><CreateTime>${new Date(invalidation.createdAt).toISOString()}</CreateTime><InvalidationBatch><Paths><Quantity>${invalidation.paths.length}</Quantity><Items>${items}</Items></Paths><CallerReference>${escapeXml(invalidation.callerReference)}</CallerReference></InvalidationBatch></Invalidation>`;
}

async function body(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 1_048_576) throw new Error('request too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startCdnStandIn(options: CdnOptions = {}): Promise<CdnStandIn> {
  const inProgressMs = IN_PROGRESS_MS * (options.timeScale ?? 1);
  const invalidations: Invalidation[] = [];
  const inProgress = (now: number) => invalidations.filter((i) => now - i.createdAt < inProgressMs);

  const answer = (
    response: ServerResponse,
    status: number,
    xml: string,
    headers: Record<string, string> = {},
  ) => {
    response.writeHead(status, { 'content-type': 'text/xml', ...headers });
    response.end(xml);
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (request.method === 'GET' && url.pathname === '/_local/invalidations') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(invalidations));
      return;
    }
    const match = API_PATH.exec(url.pathname);
    if (request.method !== 'POST' || match === null) {
      answer(
        response,
        404,
        errorXml('NoSuchResource', 'the local CDN stand-in answers CreateInvalidation only'),
      );
      return;
    }
    const distributionId = match[1] ?? '';
    body(request)
      .then((xml) => {
        const paths = [...xml.matchAll(/<Path>([\s\S]*?)<\/Path>/g)].map((m) => unescapeXml(m[1] ?? ''));
        const callerReference = unescapeXml(
          /<CallerReference>([\s\S]*?)<\/CallerReference>/.exec(xml)?.[1] ?? '',
        );
        const quantity = Number(/<Quantity>(\d+)<\/Quantity>/.exec(xml)?.[1] ?? Number.NaN);
        if (paths.length === 0 || callerReference === '' || quantity !== paths.length) {
          answer(
            response,
            400,
            errorXml('InvalidArgument', 'an invalidation needs paths, their quantity and a caller reference'),
          );
          return;
        }
        if (paths.some((path) => !path.startsWith('/'))) {
          answer(response, 400, errorXml('InvalidArgument', 'every invalidation path starts with /'));
          return;
        }
        const now = Date.now();
        const same = invalidations.find(
          (i) => i.distributionId === distributionId && i.callerReference === callerReference,
        );
        if (same) {
          // The same reference again: CloudFront answers the invalidation it already has.
          if (same.paths.join('\n') !== paths.join('\n')) {
            answer(
              response,
              409,
              errorXml('InvalidationBatchAlreadyExists', 'this caller reference names another batch'),
            );
            return;
          }
          answer(
            response,
            201,
            invalidationXml(same, now - same.createdAt < inProgressMs ? 'InProgress' : 'Completed'),
          );
          return;
        }
        const current = inProgress(now).filter((i) => i.distributionId === distributionId);
        const pathCount = current.reduce((sum, i) => sum + i.paths.length, 0) + paths.length;
        const wildcards =
          current.reduce((sum, i) => sum + i.paths.filter((p) => p.endsWith('*')).length, 0) +
          paths.filter((p) => p.endsWith('*')).length;
        if (pathCount > CDN_LIMITS.paths || wildcards > CDN_LIMITS.wildcardPaths) {
          answer(
            response,
            400,
            errorXml(
              'TooManyInvalidationsInProgress',
              `Processing your request will cause you to exceed the maximum number of in-progress wildcard invalidations (${CDN_LIMITS.wildcardPaths}) or paths (${CDN_LIMITS.paths}).`,
            ),
          );
          return;
        }
        const invalidation: Invalidation = {
          id: `I${randomUUID().replace(/-/g, '').slice(0, 13).toUpperCase()}`,
          distributionId,
          callerReference,
          paths,
          createdAt: now,
        };
        invalidations.push(invalidation);
        answer(response, 201, invalidationXml(invalidation, 'InProgress'), {
          location: `https://cloudfront.amazonaws.com/2020-05-31/distribution/${distributionId}/invalidation/${invalidation.id}`,
        });
      })
      .catch(() => answer(response, 400, errorXml('InvalidArgument', 'the request could not be read')));
  });
  const port = await listen(server, 'CDN', options.port ?? 0);
  return { ...running(server, port), invalidations };
}
