// The emulators ship no type declarations; these describe only the parts the local stack calls.

declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** LevelDB directory; in memory when absent. */
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    verbose?: boolean;
  }

  /** An http.Server whose close() also closes the LevelDB store once requests have drained. */
  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}

declare module 's3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface S3rverBucket {
    name: string;
    /** CORS or website configuration documents (XML). */
    configs?: (string | Buffer)[];
  }

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: S3rverBucket[];
  }

  /** A Koa app: the local stack mounts its request handler on its own server. */
  class S3rver {
    constructor(options?: S3rverOptions);
    /** Creates the buckets in `configureBuckets` (existing ones and their objects are kept). */
    configureBuckets(): Promise<void>;
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    /** Its FilesystemStore (typed where it is wrapped, in s3-atomic.ts). */
    store: unknown;
  }
  export default S3rver;
}
