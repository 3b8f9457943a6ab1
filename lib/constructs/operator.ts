import { CfnOutput } from 'aws-cdk-lib';
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
import { ROLE_METADATA } from '#config/runtime';
import type { DataTables } from '#lib/stateful-stack';
import type { WorkQueue } from './queues';

export interface OperatorProps {
  readonly tables: DataTables;
  /** Invoked by `npm run publish`. */
  readonly publisher: IFunction;
  /** Invoked by `npm run weekly`. */
  readonly weeklyReport: IFunction;
  /** `npm run weekly` waits until it is empty. */
  readonly publishQueue: IQueue;
  /** `npm run redrive` moves their dead-lettered messages back. */
  readonly workQueues: readonly WorkQueue[];
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
    props.publishQueue.grant(this.role, 'sqs:GetQueueAttributes');
    // npm run redrive: receive and delete from each dead-letter queue, send back to its queue.
    for (const work of props.workQueues) {
      work.deadLetters.queue.grant(
        this.role,
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
      );
      work.queue.grant(this.role, 'sqs:SendMessage');
    }
    const grant = (
      definition: TableDefinition,
      actions: readonly string[],
      indexes: readonly string[] = [],
    ) => {
      const { table } = props.tables.get(definition);
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
  }
}
