import { App } from 'aws-cdk-lib';
import { buildApp } from '#lib/app';
import { loadConfig } from '#lib/config';
import { compileTemplates } from '../scripts/compile-templates';

// The functions' bundles import the precompiled templates: make them first, so `cdk synth` works
// on a fresh clone (templates/generated is not committed).
await compileTemplates();
const app = new App();
buildApp(app, loadConfig(app.node));
app.synth();
