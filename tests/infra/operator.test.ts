import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientsTable,
  disputesTable,
  editionsTable,
  historyTable,
  jurisdictionHistoryTable,
  jurisdictionsTable,
  outcomesTable,
  sendLedgerTable,
} from '#adapters/table-definitions';
import { readEnvironment } from '#config/env';
import { publisherEnvironment } from '#config/functions';
import {
  deadLetterEnvVar,
  envVarOfOutputKey,
  OPERATOR_FUNCTIONS,
  operatorOutputKey,
  QUEUES,
  ROLE_METADATA,
} from '#config/runtime';
import { Grants } from './grants';
import { logicalId, resourceOf, type Synthesized, synthesize } from './synthesize';

/**
 * The operator role of the `--deployed` commands (lib/constructs/operator.ts), which the local
 * commands act with too: exactly the invocations and reads the commands need, named one by one.
 */
describe('operator role', () => {
  let synthesized: Synthesized;
  let template: Template;
  let grants: Grants;

  beforeAll(() => {
    synthesized = synthesize();
    template = Template.fromStack(synthesized.stateless);
    const { publisher, weeklyReport } = synthesized.stateless;
    grants = new Grants(synthesized, template)
      .name('publisher function', publisher.function.functionArn)
      .name('report function', weeklyReport.function.functionArn)
      .name('its own stack', synthesized.stateless.operator.stackArn)
      .name('publish queue', publisher.queue.queue.queueArn)
      .name('publish dead letters', publisher.queue.deadLetters.queue.queueArn)
      .name('send queue', synthesized.stateless.mailer.sendQueue.queue.queueArn)
      .name('send dead letters', synthesized.stateless.mailer.sendQueue.deadLetters.queue.queueArn)
      .name('confirmation queue', synthesized.stateless.subscriptions.confirmationQueue.queue.queueArn)
      .name(
        'confirmation dead letters',
        synthesized.stateless.subscriptions.confirmationQueue.deadLetters.queue.queueArn,
      );
  });
  afterAll(() => synthesized.cleanUp());

  it('is assumable by the account only, and marked for the local stack', () => {
    const id = logicalId(synthesized.stateless.operator.role);
    const role = resourceOf(template, 'AWS::IAM::Role', id);
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain(':root');
    const raw = template.toJSON() as { Resources: Record<string, { Metadata?: Record<string, unknown> }> };
    expect(raw.Resources[id]?.Metadata?.[ROLE_METADATA]).toBe('operator');
    grants.expectNoManagedPolicy(synthesized.stateless.operator.role);
  });

  it('invokes the publisher and the weekly report function, reads what the commands report, redrives dead letters, and manages clients', () => {
    expect(grants.of(synthesized.stateless.operator.role)).toEqual({
      'publisher function': ['lambda:InvokeFunction'],
      'report function': ['lambda:InvokeFunction'],
      // The outputs that tell the --deployed commands where everything is.
      'its own stack': ['cloudformation:DescribeStacks'],
      'publish queue': ['sqs:GetQueueAttributes', 'sqs:SendMessage'],
      'send queue': ['sqs:GetQueueAttributes', 'sqs:SendMessage'],
      'publish dead letters': ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
      'send dead letters': ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
      // `npm run redrive` covers every work queue, the confirmations' too.
      'confirmation queue': ['sqs:GetQueueAttributes', 'sqs:SendMessage'],
      'confirmation dead letters': ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
      Outcomes: ['dynamodb:GetItem'],
      'Outcomes/index/byIssuedWeek': ['dynamodb:Query'],
      'Outcomes/index/byDeclinedWeek': ['dynamodb:Query'],
      OutcomeHistory: ['dynamodb:Query'],
      Jurisdictions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem'],
      JurisdictionHistory: ['dynamodb:Query'],
      'Jurisdictions/index/byPolicy': ['dynamodb:Query'],
      'Disputes/index/byStatus': ['dynamodb:Query'],
      Editions: ['dynamodb:GetItem', 'dynamodb:Query'],
      'Editions/index/archive': ['dynamodb:Query'],
      SendLedger: ['dynamodb:GetItem', 'dynamodb:Query'],
      Clients: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    });
  });

  it('outputs every name and URL the --deployed commands need, and may read only its own stack for them', () => {
    const outputs = template.findOutputs('*');
    const environment = Object.fromEntries(
      Object.keys(outputs).flatMap((key) => {
        const envVar = envVarOfOutputKey(key);
        const value = (outputs[key] as { Value: unknown }).Value;
        // Tokens resolve at deploy: a URL stands in for a queue's, a name for the rest.
        const standIn =
          typeof value === 'string'
            ? value
            : envVar?.endsWith('_URL')
              ? 'https://resolved.example/x'
              : 'resolved';
        return envVar === undefined ? [] : [[envVar, standIn]];
      }),
    );
    const needed = [
      ...Object.values(OPERATOR_FUNCTIONS),
      ...Object.values(QUEUES).flatMap((queue) => [queue.envVar, deadLetterEnvVar(queue.envVar)]),
      // status, clients, publish --preview and weekly read these tables as the functions do.
      ...[
        outcomesTable,
        historyTable,
        jurisdictionsTable,
        jurisdictionHistoryTable,
        disputesTable,
        editionsTable,
        sendLedgerTable,
        clientsTable,
      ].map((table) => table.envVar),
      'REPORT_TIME_ZONE',
      'SITE_URL',
    ];
    for (const envVar of needed) expect(environment, envVar).toHaveProperty(envVar);
    // A preview renders as the publisher does: its environment is complete from the outputs.
    expect(() =>
      readEnvironment(publisherEnvironment, { ...environment, SITE_URL: 'https://d.example/' }),
    ).not.toThrow();
    // Names and URLs only: no output carries a secret.
    expect(JSON.stringify(outputs)).not.toMatch(/Secret|secretsmanager/);
    const statements = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(statements).toContain(':stack/ddor-dev-stateless/*');
  });

  it('names each output by its variable, both ways', () => {
    expect(operatorOutputKey('JURISDICTION_HISTORY_TABLE')).toBe('EnvJurisdictionHistoryTable');
    expect(envVarOfOutputKey('EnvJurisdictionHistoryTable')).toBe('JURISDICTION_HISTORY_TABLE');
    expect(envVarOfOutputKey('EnvPublishDlqUrl')).toBe('PUBLISH_DLQ_URL');
    expect(envVarOfOutputKey('RoleArn')).toBeUndefined();
  });
});
