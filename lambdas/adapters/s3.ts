import { S3Client } from '@aws-sdk/client-s3';

/**
 * The one S3 client. Locally the standard AWS_ENDPOINT_URL_S3 points at s3rver; an IP endpoint
 * makes the SDK use path-style URLs by itself, so no code path differs.
 */
export const s3 = new S3Client({});
