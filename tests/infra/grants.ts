import type { Template } from 'aws-cdk-lib/assertions';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { expect } from 'vitest';
import { z } from 'zod';
import { allTables } from '#adapters/table-definitions';
import type { AppFunction } from '#lib/constructs/function';
import { logicalId, resourceOf, resourcesOf, type Synthesized } from './synthesize';

// Strict: a NotAction, NotResource or Principal would fail the parse rather than go unseen.
export const statementSchema = z.strictObject({
  Effect: z.string(),
  Action: z.union([z.string(), z.array(z.string())]),
  Resource: z.unknown(),
  Condition: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  Sid: z.string().optional(),
});
export type Statement = z.infer<typeof statementSchema>;

const policySchema = z.object({
  PolicyDocument: z.object({ Statement: z.array(statementSchema) }),
  Roles: z.array(z.unknown()),
});

export function actionsOf(statement: Statement): string[] {
  return typeof statement.Action === 'string' ? [statement.Action] : statement.Action;
}

export function resourcesOfStatement(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

export const LOG_WRITE = ['logs:CreateLogStream', 'logs:PutLogEvents'];
/** What an SQS event source mapping grants its function on the queue. */
export const SQS_CONSUME = [
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:ReceiveMessage',
];

/**
 * Reads a stack's IAM grants the way a reviewer does: "resource → actions", with readable names
 * for the resources of the app (tables, indexes, buckets, queues, …), whatever way the policy
 * minimizer grouped the statements.
 */
export class Grants {
  private readonly labels = new Map<string, string>([['"*"', '*']]);

  constructor(
    private readonly synthesized: Synthesized,
    private readonly template: Template,
  ) {
    const { stateful } = synthesized;
    for (const definition of allTables) {
      const arn = stateful.get(definition).table.tableArn;
      this.name(definition.logicalName, arn);
      for (const { name } of definition.indexes) {
        this.name(`${definition.logicalName}/index/${name}`, `${arn}/index/${name}`);
      }
    }
    this.name('site bucket', stateful.siteBucket.bucketArn);
    this.name('site objects', stateful.siteBucket.arnForObjects('*'));
    this.name('data bucket', stateful.dataBucket.bucketArn);
    this.name('data editions/*', stateful.dataBucket.arnForObjects('editions/*'));
    this.name('data stored emails', stateful.dataBucket.arnForObjects('editions/*/email.json'));
    this.name('data drafts', stateful.dataBucket.arnForObjects('editions/*/review/*'));
    this.name('data objects', stateful.dataBucket.arnForObjects('*'));
    this.name('subscription secret', stateful.subscriptionSecret.secretArn);
    this.name('origin secret', stateful.originSecret.secretArn);
    this.name('mail identity', stateful.mailIdentity.emailIdentityArn);
  }

  /** What the stateless template holds for a token. */
  resolve(value: unknown): unknown {
    return this.synthesized.stateless.resolve(value);
  }

  /** Names a resource (a token) in the output of `of`. */
  name(label: string, value: unknown): this {
    this.labels.set(JSON.stringify(this.resolve(value)), label);
    return this;
  }

  /** The label of a resource as the template holds it, or its JSON when it has none. */
  labelOf(resource: unknown): string {
    const json = JSON.stringify(resource);
    return this.labels.get(json) ?? json;
  }

  /** Every statement of every policy attached to `role`. */
  statementsOf(role: IRole | undefined): Statement[] {
    const roleRef = JSON.stringify({ Ref: logicalId(role) });
    return Object.values(resourcesOf(this.template, 'AWS::IAM::Policy'))
      .filter((policy) =>
        z
          .object({ Roles: z.array(z.unknown()) })
          .loose()
          .parse(policy.Properties)
          .Roles.some((ref) => JSON.stringify(ref) === roleRef),
      )
      .flatMap((policy) => policySchema.parse(policy.Properties).PolicyDocument.Statement);
  }

  /** "resource label → sorted actions" of `role`'s Allow statements (conditions: see `conditionsOf`). */
  of(role: IRole | undefined): Record<string, string[]> {
    const granted: Record<string, string[]> = {};
    for (const statement of this.statementsOf(role)) {
      expect(statement.Effect).toBe('Allow');
      for (const resource of resourcesOfStatement(statement)) {
        const label = this.labelOf(resource);
        granted[label] = [...new Set([...(granted[label] ?? []), ...actionsOf(statement)])].sort();
      }
    }
    return granted;
  }

  /** An AppFunction's grants, with its own log group named `function log group`. */
  ofFunction(fn: AppFunction): Record<string, string[]> {
    this.name('function log group', fn.logGroup.logGroupArn);
    const granted = this.of(fn.executionRole);
    this.labels.delete(JSON.stringify(this.resolve(fn.logGroup.logGroupArn)));
    return granted;
  }

  /** The statements of `role` that carry a condition. */
  conditionsOf(role: IRole | undefined): Statement[] {
    return this.statementsOf(role).filter((statement) => statement.Condition !== undefined);
  }

  /** The role of the function has no managed policy: every permission is in its inline policy. */
  expectNoManagedPolicy(role: IRole | undefined): void {
    expect(resourceOf(this.template, 'AWS::IAM::Role', logicalId(role)).Properties.ManagedPolicyArns).toBe(
      undefined,
    );
  }
}

/** The environment variables of a function as the template sets them. */
export function environmentOf(template: Template, fn: AppFunction): Record<string, unknown> {
  const properties = resourceOf(template, 'AWS::Lambda::Function', logicalId(fn)).Properties;
  return z
    .object({ Environment: z.object({ Variables: z.record(z.string(), z.unknown()) }) })
    .parse(properties).Environment.Variables;
}
