import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { DataTable } from '../stateful-stack';

/** The project root, so entries and the lock file resolve the same from any working directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** DynamoDB actions a function may be granted; name each one its code calls, and no more. */
export type TableAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'Query'
  | 'Scan'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'BatchWriteItem'
  | 'ConditionCheckItem';

export interface AppFunctionProps {
  /** The handler module, relative to the project root (e.g. `lambdas/intake/handler.ts`). */
  readonly entry: string;
  /**
   * The exported handler function.
   * @default 'handler'
   */
  readonly handler?: string;
  /** @default - no description */
  readonly description?: string;
  /** The report's IANA time zone, set as `REPORT_TIME_ZONE`. */
  readonly reportTimeZone: string;
  /** How long the function's log group keeps its logs. */
  readonly logRetention: RetentionDays;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /**
   * More environment variables, added to the defaults. Prefer the `bind*` methods for resources,
   * which add the grant with the variable.
   * @default - only the defaults
   */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * The one Lambda function shape of the project: Node 22 on arm64, an ESM bundle with the AWS SDK
 * inside (pinned version, faster cold starts), source maps, active tracing, and its own log group
 * and role. The role starts with only its log group; every other permission comes with the env
 * var that names the resource, through `bind` and `bindTable`.
 */
export class AppFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    // Explicit log group and role: retention is set, and the role gets write on this group only
    // instead of the managed basic-execution policy (logs:* on every group).
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      // Logs expire by retention anyway; a removed function should not leave its group behind.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });

    super(scope, id, {
      entry: join(PROJECT_ROOT, props.entry),
      handler: props.handler ?? 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup,
      role,
      environment: {
        ...props.environment,
        REPORT_TIME_ZONE: props.reportTimeZone,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        // Stack traces need the mappings, not the sources: a smaller asset.
        sourcesContent: false,
        bundleAwsSDK: true,
        // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });
    logGroup.grantWrite(role);

    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is the runtime the project is built and bundled for (Node 22 LTS runs to April 2027); moving to a newer one is a deliberate, tested upgrade, not a lint fix.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions. Every other statement names its resources (tests/infra asserts them).',
    });
  }

  /** Sets `envVar` to `value` and grants `statements` together, so neither exists without the other. */
  bind(envVar: string, value: string, ...statements: PolicyStatement[]): this {
    this.addEnvironment(envVar, value);
    for (const statement of statements) this.addToRolePolicy(statement);
    return this;
  }

  /**
   * Gives the function a table: its name in the definition's env var, and exactly `actions` on it.
   * Of those, only Query and Scan reach indexes, and only the indexes named.
   *
   * @param indexes the indexes the function queries @default - every index of the table
   */
  bindTable(
    { definition, table }: DataTable,
    actions: readonly TableAction[],
    indexes: readonly string[] = definition.indexes.map((index) => index.name),
  ): this {
    const unknown = indexes.filter((name) => !definition.indexes.some((index) => index.name === name));
    if (unknown.length > 0) throw new Error(`${definition.logicalName} has no index ${unknown.join(', ')}`);
    const toIam = (list: readonly TableAction[]) => [...new Set(list)].map((action) => `dynamodb:${action}`);
    const statements = [new PolicyStatement({ actions: toIam(actions), resources: [table.tableArn] })];
    const indexActions = actions.filter((action) => action === 'Query' || action === 'Scan');
    if (indexActions.length > 0 && indexes.length > 0) {
      const resources = indexes.map((name) => `${table.tableArn}/index/${name}`);
      statements.push(new PolicyStatement({ actions: toIam(indexActions), resources }));
    }
    return this.bind(definition.envVar, table.tableName, ...statements);
  }
}
