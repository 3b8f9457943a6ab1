import { CfnOutput, Stack } from 'aws-cdk-lib';
import { AccountRootPrincipal, type CfnRole, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  clientsTable,
  disputesTable,
  editionsTable,
  historyTable,
  jurisdictionHistoryTable,
  jurisdictionsTable,
  outcomesTable,
  sendLedgerTable,
  type TableDefinition,
} from '#adapters/table-definitions';
import { deadLetterEnvVar, OPERATOR_FUNCTIONS, operatorOutputKey, ROLE_METADATA } from '#config/runtime';
import type { DataTables } from '#lib/stateful-stack';
import { acknowledgeWildcardResource } from './acknowledgements';
import type { WorkQueue } from './queues';

export interface OperatorProps {
  readonly tables: DataTables;
  /** Invoked by `npm run publish`. */
  readonly publisher: IFunction;
  /** Invoked by `npm run weekly`. */
  readonly weeklyReport: IFunction;
  /** `npm run weekly` waits until it is empty. */
  readonly publishQueue: IQueue;
  /** `npm run status` counts them, `npm run redrive` moves their dead-lettered messages back; by the variable of their URL. */
  readonly workQueues: readonly { readonly envVar: string; readonly work: WorkQueue }[];
  /**
   * The rest of what the commands read as the functions do (SITE_URL, the bucket names for a
   * preview, REPORT_TIME_ZONE): names and URLs, never a secret, since outputs are readable by
   * anyone who may describe the stack.
   */
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * The role of the `--deployed` commands (CONTRACT.md §6), assumable by the account's own
 * principals: it invokes the publisher and the weekly report function (which act with their own
 * roles), reads what the commands report (editions, send progress, a preview's week), and manages
 * intake clients. Locally every command acts with this same role, so a grant it lacks fails the
 * command before a deployment does.
 */
export class Operator extends Construct {
  readonly role: Role;
  /** What the `--deployed` commands set in their environment, each a stack output (`operatorOutputKey`). */
  readonly environment: Readonly<Record<string, string>>;
  /** The one stack the role may describe (its outputs are the commands' environment). */
  readonly stackArn: string;

  constructor(scope: Construct, id: string, props: OperatorProps) {
    super(scope, id);
    this.role = new Role(this, 'Role', {
      assumedBy: new AccountRootPrincipal(),
      description: 'ddor operator: npm run publish, weekly and clients with --deployed',
    });
    (this.role.node.defaultChild as CfnRole).addMetadata(ROLE_METADATA, 'operator');
    // The functions themselves, not their versions or aliases (`:*`): the commands invoke $LATEST.
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [props.publisher.functionArn, props.weeklyReport.functionArn],
      }),
    );
    const environment: Record<string, string> = {
      ...props.environment,
      [OPERATOR_FUNCTIONS.publish]: props.publisher.functionName,
      [OPERATOR_FUNCTIONS.report]: props.weeklyReport.functionName,
    };
    props.publishQueue.grant(this.role, 'sqs:GetQueueAttributes');
    // npm run redrive: receive and delete from each dead-letter queue, send back to its queue;
    // npm run status: how many wait in each.
    for (const { envVar, work } of props.workQueues) {
      work.deadLetters.queue.grant(
        this.role,
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
      );
      work.queue.grant(this.role, 'sqs:SendMessage', 'sqs:GetQueueAttributes');
      environment[envVar] = work.queue.queueUrl;
      environment[deadLetterEnvVar(envVar)] = work.deadLetters.queue.queueUrl;
    }
    // The commands find everything above in this stack's outputs, given only the stage.
    const stack = Stack.of(this);
    const stackArn = stack.formatArn({
      service: 'cloudformation',
      resource: 'stack',
      resourceName: `${stack.stackName}/*`,
    });
    this.stackArn = stackArn;
    this.role.addToPolicy(
      new PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: [stackArn] }),
    );
    acknowledgeWildcardResource(
      this.role,
      stackArn,
      'A stack ARN ends in the id CloudFormation gives it at creation: the wildcard is that id of this one stack, and DescribeStacks reads only its outputs.',
    );
    const grant = (
      definition: TableDefinition,
      actions: readonly string[],
      indexes: readonly string[] = [],
    ) => {
      const { table } = props.tables.get(definition);
      environment[definition.envVar] = table.tableName;
      if (actions.length > 0)
        this.role.addToPolicy(
          new PolicyStatement({ actions: actions.map((a) => `dynamodb:${a}`), resources: [table.tableArn] }),
        );
      if (indexes.length > 0) {
        this.role.addToPolicy(
          new PolicyStatement({
            actions: ['dynamodb:Query'],
            resources: indexes.map((name) => `${table.tableArn}/index/${name}`),
          }),
        );
      }
    };
    // A preview reads the week as the publisher does; publish and weekly read what they report.
    grant(outcomesTable, ['GetItem'], ['byIssuedWeek', 'byDeclinedWeek']);
    grant(historyTable, ['Query']);
    grant(jurisdictionHistoryTable, ['Query']);
    grant(jurisdictionsTable, ['GetItem', 'BatchGetItem'], ['byPolicy']);
    grant(disputesTable, [], ['byStatus']);
    grant(editionsTable, ['GetItem', 'Query'], ['archive']);
    grant(sendLedgerTable, ['GetItem', 'Query']);
    grant(clientsTable, ['GetItem', 'PutItem', 'UpdateItem']);
    new CfnOutput(this, 'RoleArn', {
      value: this.role.roleArn,
      description: 'The role the --deployed commands assume',
    });
    this.environment = environment;
    for (const [envVar, value] of Object.entries(environment)) {
      const key = operatorOutputKey(envVar);
      new CfnOutput(this, key, { key, value, description: `${envVar} of the --deployed commands` });
    }
  }
}
