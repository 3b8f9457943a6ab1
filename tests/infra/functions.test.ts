import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppFunction } from '#lib/constructs/function';
import { actionsOf, environmentOf, Grants, resourcesOfStatement, statementSchema } from './grants';
import { logicalId, resourceOf, resourcesOf, type Synthesized, synthesize } from './synthesize';

describe('every function', () => {
  let synthesized: Synthesized;
  let template: Template;
  let grants: Grants;

  function functions(): AppFunction[] {
    return synthesized.app.node.findAll().filter((c): c is AppFunction => c instanceof AppFunction);
  }

  beforeAll(() => {
    synthesized = synthesize();
    template = Template.fromStack(synthesized.stateless);
    grants = new Grants(synthesized, template)
      .name('report function versions', `${synthesized.stateless.weeklyReport.function.functionArn}:*`)
      .name('sweep function versions', `${synthesized.stateless.subscriptions.sweepFunction.functionArn}:*`)
      .name('monitor function versions', `${synthesized.stateless.monitor.function.functionArn}:*`)
      .name('the stateless stack (its id)', synthesized.stateless.operator.stackArn);
  });
  afterAll(() => synthesized.cleanUp());

  it('are the ten of the product, each an AppFunction on Node 22 and arm64', () => {
    expect(
      functions()
        .map((fn) => fn.node.path.replace('ddor-dev-stateless/', ''))
        .sort(),
    ).toEqual([
      'Intake/Function',
      'Mailer/EventsFunction',
      'Mailer/SendFunction',
      'Monitor/Function',
      'Publisher/Function',
      'Subscriptions/ConfirmationFunction',
      'Subscriptions/Function',
      'Subscriptions/SweepFunction',
      'Subscriptions/UnsubscribeFunction',
      'WeeklyReport/Function',
    ]);
    // Besides them, only CDK's AwsCustomResource provider (it reads the web ACL's ARN at deploy).
    const lambdas = Object.entries(resourcesOf(template, 'AWS::Lambda::Function'))
      .filter(([id]) => !id.startsWith('AWS679f53fac002430cb0da5b7982bd2287'))
      .map(([, resource]) => resource);
    expect(lambdas).toHaveLength(functions().length);
    for (const fn of lambdas) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    }
  });

  it("log JSON lines at INFO, Lambda's own lines too, into a group of their own with a retention", () => {
    for (const fn of functions()) {
      const properties = resourceOf(template, 'AWS::Lambda::Function', logicalId(fn)).Properties;
      expect(properties.LoggingConfig, fn.node.path).toEqual({
        LogFormat: 'JSON',
        ApplicationLogLevel: 'INFO',
        SystemLogLevel: 'INFO',
        LogGroup: { Ref: logicalId(fn.logGroup) },
      });
      expect(
        resourceOf(template, 'AWS::Logs::LogGroup', logicalId(fn.logGroup)).Properties.RetentionInDays,
      ).toBe(90);
    }
  });

  it('never get the link key in their environment: only its ARN, as SUBSCRIPTION_SECRET_ARN', () => {
    const secretArn = JSON.stringify(grants.resolve(synthesized.stateful.subscriptionSecret.secretArn));
    for (const fn of functions()) {
      for (const [name, value] of Object.entries(environmentOf(template, fn))) {
        const json = JSON.stringify(value);
        expect(json).not.toMatch(/resolve:secretsmanager|SecretString/);
        if (json === secretArn) expect(name).toBe('SUBSCRIPTION_SECRET_ARN');
        else expect(json).not.toContain(secretArn);
      }
    }
  });

  it('read the link key only where links are made or opened, and the origin secret only behind CloudFront', () => {
    const { stateless, stateful } = synthesized;
    const readersOf = (arn: string) =>
      functions()
        .filter((fn) =>
          grants
            .statementsOf(fn.executionRole)
            .some(
              (statement) =>
                actionsOf(statement).includes('secretsmanager:GetSecretValue') &&
                JSON.stringify(resourcesOfStatement(statement)).includes(JSON.stringify(grants.resolve(arn))),
            ),
        )
        .map((fn) => fn.node.path)
        .sort();
    const { subscriptions } = stateless;
    expect(readersOf(stateful.subscriptionSecret.secretArn)).toEqual(
      [
        stateless.mailer.sendFunction,
        subscriptions.function,
        subscriptions.unsubscribeFunction,
        subscriptions.confirmationFunction,
      ]
        .map((fn) => fn.node.path)
        .sort(),
    );
    expect(readersOf(stateful.originSecret.secretArn)).toEqual(
      [subscriptions.function, subscriptions.unsubscribeFunction].map((fn) => fn.node.path).sort(),
    );
  });

  it('are granted no wildcard resource but SES GetAccount, object key patterns and the report function’s versions', () => {
    const allowedWildcards = new Set([
      'site objects',
      'data editions/*',
      'data stored emails',
      'data drafts',
      'report function versions',
      'sweep function versions',
      'monitor function versions',
      // The operator describes its own stack for the commands' outputs; the ARN ends in its id.
      'the stateless stack (its id)',
    ]);
    const policyDocument = z
      .object({ PolicyDocument: z.object({ Statement: z.array(statementSchema) }) })
      .loose();

    for (const policy of Object.values(resourcesOf(template, 'AWS::IAM::Policy'))) {
      for (const statement of policyDocument.parse(policy.Properties).PolicyDocument.Statement) {
        expect(actionsOf(statement).filter((action) => action.includes('*'))).toEqual([]);
        for (const resource of resourcesOfStatement(statement)) {
          if (!JSON.stringify(resource).includes('*')) continue;
          const label = grants.labelOf(resource);
          // SES's GetAccount (the sender's) takes no resource but "*"; tracing is off.
          if (label === '*') expect(actionsOf(statement).sort()).toEqual(['ses:GetAccount']);
          else expect(allowedWildcards).toContain(label);
        }
      }
    }
  });
});
