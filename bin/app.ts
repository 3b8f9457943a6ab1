import { App } from 'aws-cdk-lib';
import { buildApp } from '#lib/app';
import { loadConfig } from '#lib/config';

const app = new App();
buildApp(app, loadConfig(app.node));
app.synth();
