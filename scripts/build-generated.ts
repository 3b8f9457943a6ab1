/**
 * Everything the functions bundle that is made from the sources at build time, into
 * templates/generated/ (not committed): the precompiled templates and the OpenAPI document. Run
 * before `start`, `test` and the other npm scripts, and by the CDK app before it bundles, so
 * `cdk synth` works on a fresh clone.
 */
import { pathToFileURL } from 'node:url';
import { buildOpenApi } from './build-openapi';
import { compileTemplates } from './compile-templates';

export async function buildGenerated(): Promise<void> {
  await compileTemplates();
  await buildOpenApi();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildGenerated().catch((error: unknown) => {
    console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
