import { GetObjectCommand, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
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
}
