import { App } from 'aws-cdk-lib';
import { buildApp } from '#lib/app';
import { ConfigError, loadConfig } from '#lib/config';
import { buildGenerated } from '../scripts/build-generated';

// The functions' bundles import the precompiled templates and the OpenAPI document: make them
// first, so `cdk synth` works on a fresh clone (templates/generated is not committed).
await buildGenerated();
const app = new App();
try {
  buildApp(app, loadConfig(app.node));
} catch (error) {
  // A bad setting is the deployer's to fix: say which, without a stack trace.
  if (!(error instanceof ConfigError)) throw error;
  console.error(`error: ${error.message}`);
  process.exit(1);
}
app.synth();
