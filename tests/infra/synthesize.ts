import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { z } from 'zod';
import { buildApp, type DdorStacks } from '#lib/app';
import { loadConfig } from '#lib/config';
import { PROJECT_ROOT } from '#lib/constructs/function';

// The feature flags and settings of cdk.json, so the tests synthesize what `cdk synth` does.
const cdkJsonContext = z
  .object({ context: z.record(z.string(), z.unknown()) })
  .parse(JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8'))).context;

export interface Synthesized extends DdorStacks {
  readonly app: App;
  readonly assembly: CloudAssembly;
  /** Deletes the temporary cloud assembly. */
  readonly cleanUp: () => void;
}

/** Builds an app exactly as `bin/app.ts` does, without bundling, in a temporary outdir. */
export function prepareApp(context: Record<string, unknown> = {}): {
  app: App;
  stacks: DdorStacks;
  cleanUp: () => void;
} {
  const outdir = mkdtempSync(join(tmpdir(), 'ddor-infra-'));
  // An empty list of bundling stacks skips esbuild: the tests look at templates, not code.
  const app = new App({ outdir, context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], ...context } });
  const stacks = buildApp(app, loadConfig(app.node));
  return { app, stacks, cleanUp: () => rmSync(outdir, { recursive: true, force: true }) };
}

/** Builds and synthesizes; synthesis throws on any unacknowledged cdk-nag finding. */
export function synthesize(context: Record<string, unknown> = {}): Synthesized {
  const { app, stacks, cleanUp } = prepareApp(context);
  const assembly = app.synth();
  return { ...stacks, app, assembly, cleanUp };
}

/** The template logical id of an L2 construct's CloudFormation resource. */
export function logicalId(construct: IConstruct | undefined): string {
  if (construct === undefined) throw new Error('no construct');
  const resource = construct.node.defaultChild;
  if (!(resource instanceof CfnElement))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(resource).getLogicalId(resource);
}

/** A template resource, checked for the fields the tests read. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string | undefined;
  readonly UpdateReplacePolicy?: string | undefined;
}

const resourcesSchema = z.record(
  z.string(),
  z.object({
    Type: z.string(),
    Properties: z.record(z.string(), z.unknown()).default({}),
    DeletionPolicy: z.string().optional(),
    UpdateReplacePolicy: z.string().optional(),
  }),
);

/** The template's resources of one type, by logical id. */
export function resourcesOf(template: Template, type: string): Record<string, CfnResource> {
  return resourcesSchema.parse(template.findResources(type));
}

/** The one resource with this logical id and type. */
export function resourceOf(template: Template, type: string, id: string): CfnResource {
  const resource = resourcesOf(template, type)[id];
  if (resource === undefined) throw new Error(`no ${type} ${id}`);
  return resource;
}

/** `Fn::GetAtt [id, Arn]` of an L2 construct's resource, as the templates reference it. */
export function arnOf(construct: IConstruct | undefined): { 'Fn::GetAtt': [string, string] } {
  return { 'Fn::GetAtt': [logicalId(construct), 'Arn'] };
}

/** Asserts the queue's policy denies every request not made over TLS. */
export function expectTlsOnlyQueue(template: Template, queue: IConstruct | undefined): void {
  template.hasResourceProperties('AWS::SQS::QueuePolicy', {
    Queues: [{ Ref: logicalId(queue) }],
    PolicyDocument: {
      Statement: [
        {
          Effect: 'Deny',
          Action: 'sqs:*',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          Resource: arnOf(queue),
        },
      ],
    },
  });
}
