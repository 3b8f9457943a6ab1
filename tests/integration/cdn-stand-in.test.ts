import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { afterEach, describe, expect, it } from 'vitest';
import { type CdnStandIn, startCdnStandIn } from '#local/cdn';

let cdn: CdnStandIn | undefined;
let client: CloudFrontClient | undefined;

async function start(timeScale = 1): Promise<CloudFrontClient> {
  cdn = await startCdnStandIn({ timeScale });
  client = new CloudFrontClient({
    endpoint: cdn.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return client;
}

const invalidate = (cf: CloudFrontClient, reference: string, paths: string[]) =>
  cf.send(
    new CreateInvalidationCommand({
      DistributionId: 'EDDORLOCAL',
      InvalidationBatch: { CallerReference: reference, Paths: { Quantity: paths.length, Items: paths } },
    }),
  );

afterEach(async () => {
  client?.destroy();
  await cdn?.close();
});

describe('the local CloudFront stand-in', () => {
  it('accepts 15 wildcard paths in progress and refuses the sixteenth as CloudFront does', async () => {
    const cf = await start();
    for (let i = 0; i < 15; i++) {
      expect((await invalidate(cf, `w${i}`, [`/reports/week-${i}/*`])).Invalidation?.Status).toBe(
        'InProgress',
      );
    }

    await expect(invalidate(cf, 'w15', ['/reports/week-15/*'])).rejects.toMatchObject({
      name: 'TooManyInvalidationsInProgress',
    });
    // Exact paths still go through: only wildcards are at their limit.
    expect((await invalidate(cf, 'exact', ['/', '/feed.xml'])).Invalidation?.Id).toMatch(/^I/);
  });

  it('refuses more than 3,000 paths in progress', async () => {
    const cf = await start();
    const paths = (from: number) => Array.from({ length: 1_000 }, (_, i) => `/p/${from + i}`);
    for (const from of [0, 1_000, 2_000]) await invalidate(cf, `b${from}`, paths(from));

    await expect(invalidate(cf, 'one-more', ['/p/3000'])).rejects.toMatchObject({
      name: 'TooManyInvalidationsInProgress',
    });
  });

  it('answers the same invalidation for the same caller reference, and frees the limit once done', async () => {
    // 60 s in progress scaled to 1.2 s: long enough for the 15 calls below on a loaded machine.
    const cf = await start(0.02);
    const first = await invalidate(cf, 'same', ['/x*']);
    expect((await invalidate(cf, 'same', ['/x*'])).Invalidation?.Id).toBe(first.Invalidation?.Id);

    for (let i = 0; i < 14; i++) await invalidate(cf, `w${i}`, [`/w${i}/*`]);
    await expect(invalidate(cf, 'full', ['/full/*'])).rejects.toMatchObject({
      name: 'TooManyInvalidationsInProgress',
    });
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect((await invalidate(cf, 'later', ['/later/*'])).Invalidation?.Status).toBe('InProgress');
  });
});
