import { build } from 'esbuild';
import { LAMBDA_BUILD_OPTIONS, PROJECT_ROOT } from './support/lambda-bundle.ts';

const [entry, out] = process.argv.slice(2);
await build({
  ...LAMBDA_BUILD_OPTIONS,
  minify: false,
  absWorkingDir: PROJECT_ROOT,
  entryPoints: [entry],
  outfile: out,
  logLevel: 'error',
});
