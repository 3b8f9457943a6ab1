import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { s3 } from './s3';

/** A published or stored file. */
export interface StoredObject {
  key: string;
  body: string;
  contentType: string;
  cacheControl: string;
}

/** Writes and reads whole objects in one bucket (the public site, or the private data bucket). */
export class ObjectStore {
  constructor(readonly bucket: string) {}

  async put(object: StoredObject): Promise<void> {
    await s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: object.key,
        Body: object.body,
        ContentType: object.contentType,
        CacheControl: object.cacheControl,
      }),
    );
  }

  async getText(key: string): Promise<string | undefined> {
    try {
      const out = await s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.Body ? await out.Body.transformToString('utf8') : undefined;
    } catch (error) {
      if (error instanceof NoSuchKey || (error instanceof Error && error.name === 'NoSuchKey'))
        return undefined;
      throw error;
    }
  }

  /** Whether the key holds an object (a HEAD: the caller needs ListBucket for a missing one to be 404). */
  async exists(key: string): Promise<boolean> {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (error instanceof Error && (error.name === 'NotFound' || error.name === 'NoSuchKey')) return false;
      throw error;
    }
  }

  /** Every key under `prefix`, page by page (ListObjectsV2: the caller needs ListBucket). */
  async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys;
  }
}
