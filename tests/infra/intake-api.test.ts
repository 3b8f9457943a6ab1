import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  allTables,
  clientsTable,
  disputesTable,
  editionsTable,
  historyTable,
  jurisdictionHistoryTable,
  jurisdictionsTable,
  outcomesTable,
  type TableDefinition,
} from '#adapters/table-definitions';
import { CONFIG_DEFAULTS } from '#lib/config';
import { logicalId, resourceOf, resourcesOf, type Synthesized, synthesize } from './synthesize';

// The intake's own tables, and Editions, where it marks the weeks a change touched for re-issue.
const intakeTables = [
  outcomesTable,
  historyTable,
  jurisdictionsTable,
  jurisdictionHistoryTable,
  disputesTable,
  clientsTable,
  editionsTable,
];

// Strict: a Condition, NotAction or Deny would fail the parse rather than go unseen.
const statementSchema = z.strictObject({
  Effect: z.string(),
  Action: z.union([z.string(), z.array(z.string())]),
  Resource: z.unknown(),
  Condition: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});
type Statement = z.infer<typeof statementSchema>;
const policySchema = z.object({
  PolicyDocument: z.object({ Statement: z.array(statementSchema) }),
  Roles: z.array(z.unknown()),
});
const accessLogSchema = z.object({
  AccessLogSettings: z.object({
    DestinationArn: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) }),
    Format: z.string(),
  }),
});

function actionsOf(statement: Statement): string[] {
  return typeof statement.Action === 'string' ? [statement.Action] : statement.Action;
}

describe('intake API', () => {
  let synthesized: Synthesized;
  let template: Template;

  /** What the stateless stack's template holds for a token (an import, for the tables). */
  function resolve(value: unknown): unknown {
    return synthesized.stateless.resolve(value);
  }
  function tableArn(definition: TableDefinition): unknown {
    return resolve(synthesized.stateful.get(definition).table.tableArn);
  }
  function indexArn(definition: TableDefinition, index: string): unknown {
    return resolve(`${synthesized.stateful.get(definition).table.tableArn}/index/${index}`);
  }
  function intakeFunction() {
    return synthesized.stateless.intake.function;
  }
  function functionProperties(): Record<string, unknown> {
    return resourceOf(template, 'AWS::Lambda::Function', logicalId(intakeFunction())).Properties;
  }
  /** Statements as "resource: allowed actions", whatever way the policy minimizer grouped them. */
  function permissions(statements: readonly Statement[]): Record<string, string[]> {
    const labels = new Map<string, string>([
      ['"*"', '*'],
      [JSON.stringify(resolve(intakeFunction().logGroup.logGroupArn)), 'function log group'],
      [JSON.stringify(resolve(synthesized.stateless.publisher.queue.queue.queueArn)), 'publish queue'],
      [JSON.stringify(resolve(synthesized.stateful.mailIdentity.emailIdentityArn)), 'mail identity'],
      [JSON.stringify(resolve(synthesized.stateless.mailer.configurationSetArn)), 'configuration set'],
      [
        JSON.stringify(resolve(synthesized.stateful.dataBucket.arnForObjects('editions/*/review/*'))),
        'data drafts',
      ],
    ]);
    for (const definition of allTables) {
      labels.set(JSON.stringify(tableArn(definition)), definition.logicalName);
      for (const { name } of definition.indexes) {
        labels.set(JSON.stringify(indexArn(definition, name)), `${definition.logicalName}/index/${name}`);
      }
    }
    const granted: Record<string, string[]> = {};
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      for (const resource of resources) {
        const json = JSON.stringify(resource);
        const label = labels.get(json) ?? json;
        granted[label] = [...new Set([...(granted[label] ?? []), ...actionsOf(statement)])].sort();
      }
    }
    return granted;
  }
  function roleStatements(): Statement[] {
    const roleRef = { Ref: logicalId(intakeFunction().role) };
    const policies = Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(JSON.stringify(roleRef)))
      .map((policy) => policySchema.parse(policy.Properties));
    expect(policies).toHaveLength(1);
    return policies.flatMap((policy) => policy.PolicyDocument.Statement);
  }

  beforeAll(() => {
    synthesized = synthesize();
    template = Template.fromStack(synthesized.stateless);
  });
  afterAll(() => synthesized.cleanUp());

  describe('function', () => {
    it('runs the intake handler on Node 22, arm64, untraced (nothing is instrumented), with 512 MB and 10 s', () => {
      expect(functionProperties()).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 512,
        Timeout: 10,
      });
      expect(functionProperties().TracingConfig).toBeUndefined();
    });

    it('gets exactly the report time zone, source maps and the names of the tables it uses', () => {
      expect(functionProperties().Environment).toEqual({
        Variables: {
          REPORT_TIME_ZONE: 'America/New_York',
          NODE_OPTIONS: '--enable-source-maps',
          // The editors' desk: draft pages link the site, their files are in the data bucket,
          // an approval queues the week for the publisher.
          SITE_URL: resolve(synthesized.stateless.site.url),
          DATA_BUCKET: resolve(synthesized.stateful.dataBucket.bucketName),
          PUBLISH_QUEUE_URL: resolve(synthesized.stateless.publisher.queue.queue.queueUrl),
          // Each dispute opened is emailed to the editors, from the product's address.
          EDITOR_EMAILS: 'editors@example.org',
          MAIL_FROM: 'reports@example.org',
          MAIL_CONFIGURATION_SET: resolve(synthesized.stateless.mailer.configurationSet.configurationSetName),
          ...Object.fromEntries(
            intakeTables.map((definition) => [
              definition.envVar,
              resolve(synthesized.stateful.get(definition).table.tableName),
            ]),
          ),
        },
      });
    });

    it('logs to its own log group, kept for the configured retention', () => {
      const logGroupId = logicalId(intakeFunction().logGroup);

      expect(functionProperties().LoggingConfig).toMatchObject({
        LogFormat: 'JSON',
        LogGroup: { Ref: logGroupId },
      });
      expect(resourceOf(template, 'AWS::Logs::LogGroup', logGroupId).Properties.RetentionInDays).toBe(
        CONFIG_DEFAULTS.logRetentionDays,
      );
    });
  });

  describe('permissions', () => {
    it('are exactly the calls the intake makes, each on the tables and indexes it calls', () => {
      const item = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

      expect(permissions(roleStatements())).toEqual({
        'function log group': ['logs:CreateLogStream', 'logs:PutLogEvents'],
        // BatchGetItem: a batch reads its records in one call before writing them.
        Outcomes: [...item, 'dynamodb:BatchGetItem', 'dynamodb:Query'].sort(),
        'Outcomes/index/byRef': ['dynamodb:Query'],
        OutcomeHistory: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
        Jurisdictions: item,
        // Each PUT's change, copied after its write; GET /jurisdictions/{id} reads it back.
        JurisdictionHistory: ['dynamodb:PutItem', 'dynamodb:Query'],
        Disputes: [...item, 'dynamodb:Query'].sort(),
        'Disputes/index/byStatus': ['dynamodb:Query'],
        Clients: [...item, 'dynamodb:Scan'].sort(),
        // Re-issue marks (put only), and the drafts under review: read, and written back on a decision.
        Editions: ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
        'publish queue': ['sqs:SendMessage'],
        'data drafts': ['s3:GetObject'],
        // The editors' email of each dispute opened: the identity and configuration set only.
        'mail identity': ['ses:SendEmail'],
        'configuration set': ['ses:SendEmail'],
      });
      const send = roleStatements().find((statement) => actionsOf(statement).includes('ses:SendEmail'));
      expect(send?.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'reports@example.org' } });
    });

    it('allow Scan on the clients table only, and no delete or wildcard action', () => {
      const statements = roleStatements();
      const actions = statements.flatMap(actionsOf);

      expect(actions.filter((action) => action.includes('*'))).toEqual([]);
      expect(actions).not.toContain('dynamodb:DeleteItem');
      const scans = statements.filter((statement) => actionsOf(statement).includes('dynamodb:Scan'));
      expect(scans.map((statement) => statement.Resource)).toEqual([tableArn(clientsTable)]);
    });

    it('name every resource (tracing is off: no X-Ray wildcard)', () => {
      const wildcards = roleStatements().filter((statement) =>
        JSON.stringify(statement.Resource).includes('*'),
      );

      // The one pattern: the drafts' files of the data bucket (object ARNs name keys by pattern).
      expect(wildcards.flatMap(actionsOf)).toEqual(['s3:GetObject']);
      expect(JSON.stringify(wildcards.map((statement) => statement.Resource))).toContain(
        '/editions/*/review/*',
      );
    });

    it('come from no managed policy and reach no table the intake does not use', () => {
      const role = resourceOf(template, 'AWS::IAM::Role', logicalId(intakeFunction().role));
      const granted = JSON.stringify(roleStatements());

      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      for (const definition of allTables.filter((table) => !intakeTables.includes(table))) {
        expect(granted).not.toContain(JSON.stringify(tableArn(definition)));
      }
    });
  });

  describe('HTTP API', () => {
    /** The intake API's resources of one type (the stack has the subscriptions API too). */
    function apiResources(type: string) {
      const apiRef = JSON.stringify({ Ref: logicalId(synthesized.stateless.intake.api) });
      return Object.values(resourcesOf(template, type)).filter(
        (resource) => JSON.stringify(resource.Properties.ApiId) === apiRef,
      );
    }

    it('sends every path to the function through one $default route, payload v2, no gateway authorizer', () => {
      const routes = apiResources('AWS::ApiGatewayV2::Route');
      expect(routes).toHaveLength(1);
      expect(routes[0]?.Properties).toMatchObject({ RouteKey: '$default', AuthorizationType: 'NONE' });
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: resolve(intakeFunction().functionArn),
      });
      template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
    });

    it('throttles the default stage with the configured rate and burst', () => {
      const stages = apiResources('AWS::ApiGatewayV2::Stage');
      expect(stages).toHaveLength(1);
      expect(stages[0]?.Properties).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: {
          ThrottlingRateLimit: CONFIG_DEFAULTS.rateLimit,
          ThrottlingBurstLimit: CONFIG_DEFAULTS.burstLimit,
        },
      });
    });

    it('writes JSON access logs, without headers or paths (detainer ids), kept a month', () => {
      const [stage] = apiResources('AWS::ApiGatewayV2::Stage');
      const { DestinationArn, Format } = accessLogSchema.parse(stage?.Properties).AccessLogSettings;
      const [logGroupId] = DestinationArn['Fn::GetAtt'];

      expect(resourceOf(template, 'AWS::Logs::LogGroup', logGroupId).Properties.RetentionInDays).toBe(30);
      expect(JSON.parse(Format)).toMatchObject({
        requestId: '$context.requestId',
        status: '$context.status',
        route: '$context.routeKey',
      });
      expect(Format).not.toMatch(/header|authorizer|\$context\.path|querystring/i);
    });

    it('outputs its URL', () => {
      template.hasOutput('*', { Value: resolve(synthesized.stateless.intake.url) });
    });
  });
});
