import { brotliDecompressSync } from 'node:zlib';
import { openApiBrotli } from '#templates/generated/openapi';

let document: unknown;

/** The OpenAPI document built at build time (scripts/build-openapi.ts), inflated on first use. */
export function servedOpenApi(): unknown {
  document ??= JSON.parse(brotliDecompressSync(Buffer.from(openApiBrotli, 'base64')).toString('utf8'));
  return document;
}
