import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';

/**
 * The parts of s3rver's FilesystemStore (lib/stores/filesystem.js) this module wraps. s3rver
 * ships no types; these are the methods its controllers call for one object.
 */
interface StoredObject {
  bucket: string;
  key: string;
  content: Buffer | Readable | null;
  metadata: Record<string, unknown>;
  range?: unknown;
}

export interface FilesystemStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  getMetadata(bucket: string, key: string): Promise<Record<string, unknown>>;
  putMetadata(bucket: string, key: string, metadata: Record<string, unknown>, md5?: string): Promise<void>;
  getObject(bucket: string, key: string, options?: unknown): Promise<StoredObject | null>;
  putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
  copyObject(...args: unknown[]): Promise<Record<string, unknown>>;
  deleteObject(bucket: string, key: string): Promise<void>;
}

async function bytesOf(content: Buffer | Readable | null): Promise<Buffer> {
  if (content === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(content)) return content;
  const chunks: Buffer[] = [];
  for await (const chunk of content) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * Makes s3rver's object writes atomic, as S3's are. s3rver truncates an object's file and
 * streams the new bytes into it, answering the PUT before they are all flushed, and keeps the
 * size, MD5 and metadata in three more files written one after another: a GET during (or just
 * after) a PUT could read an empty or half-written object, which S3 never serves (it is strongly
 * consistent: a read sees the whole old object or the whole new one). Here each key's reads and
 * writes take turns, a write lands whole before it is answered (a temporary file renamed over
 * the object), and a read takes the object's bytes before the next write of that key starts.
 */
export function makeAtomic(store: FilesystemStore): void {
  const proto = Object.getPrototypeOf(store) as FilesystemStore;
  // The store's own methods, called with `raw` as `this` so that their internal calls (getObject
  // reads getMetadata) do not take the key's turn a second time.
  const raw: FilesystemStore = Object.create(store);
  raw.getMetadata = proto.getMetadata;

  const turns = new Map<string, Promise<unknown>>();
  const inTurn = <T>(bucket: string, key: string, work: () => Promise<T>): Promise<T> => {
    const id = `${bucket}\u0000${key}`;
    const previous = turns.get(id) ?? Promise.resolve();
    const result = previous.then(work, work);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    turns.set(id, settled);
    void settled.then(() => {
      if (turns.get(id) === settled) turns.delete(id);
    });
    return result;
  };

  store.getMetadata = (bucket, key) => inTurn(bucket, key, () => proto.getMetadata.call(raw, bucket, key));
  store.getObject = (bucket, key, options) =>
    inTurn(bucket, key, async () => {
      const object = await proto.getObject.call(raw, bucket, key, options);
      if (object?.content != null) object.content = Readable.from([await bytesOf(object.content)]);
      return object;
    });
  store.putObject = (object) =>
    inTurn(object.bucket, object.key, async () => {
      const bytes = await bytesOf(object.content);
      const md5 = createHash('md5').update(bytes).digest('hex');
      const path = store.getResourcePath(object.bucket, object.key, 'object');
      // Beside the object (so the rename is atomic), under a name s3rver's listing skips.
      const temporary = `${path}.${randomUUID()}.partial`;
      await mkdir(dirname(path), { recursive: true });
      try {
        await writeFile(temporary, bytes);
        // The bytes first, then their MD5 and metadata: readers wait for the turn either way, and
        // a write that fails before the rename changes nothing at all.
        await rename(temporary, path);
      } finally {
        await rm(temporary, { force: true });
      }
      await proto.putMetadata.call(raw, object.bucket, object.key, object.metadata, md5);
      return { size: bytes.length, md5 };
    });
  store.copyObject = (...args) => {
    const [, , destBucket, destKey] = args as [string, string, string, string];
    return inTurn(destBucket, destKey, () => proto.copyObject.apply(raw, args));
  };
  store.deleteObject = (bucket, key) => inTurn(bucket, key, () => proto.deleteObject.call(raw, bucket, key));
}
