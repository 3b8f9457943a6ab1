import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';

/** The one CloudFront client, created once per container (only deployed publications call it). */
const cloudfront = new CloudFrontClient({});

/**
 * Asks CloudFront to drop its copies of the files a publication changed (the week's latest
 * files, the archive, the feed), so readers see a re-issue at once rather than after the short TTL.
 */
export async function invalidate(
  distributionId: string,
  paths: readonly string[],
  reference: string,
): Promise<void> {
  await cloudfront.send(
    new CreateInvalidationCommand({
      DistributionId: distributionId,
      InvalidationBatch: { CallerReference: reference, Paths: { Quantity: paths.length, Items: [...paths] } },
    }),
  );
}
