import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  type CfnFunction,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { ENTRY_METADATA, type FunctionSettings } from '#config/runtime';
import type { DataTable } from '#lib/stateful-stack';
import { acknowledgeWildcardResource } from './acknowledgements';

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

/** The DynamoDB actions that reach an index. */
export type IndexAction = 'Query' | 'Scan';

/** Exactly what a function may do on one table and its indexes. */
export interface TableAccess {
  /** Actions on the table itself. @default - none */
  readonly table?: readonly TableAction[];
  /** Actions on each named index. @default - none */
  readonly indexes?: Readonly<Record<string, readonly IndexAction[]>>;
}

/** What a function may do with the objects of a bucket. */
export interface BucketAccess {
  /** Object actions, on the keys matching `keys`. */
  readonly objects: readonly ('GetObject' | 'PutObject')[];
  /** The key pattern, e.g. `editions/*`. @default '*' (every object) */
  readonly keys?: string;
  /**
   * `s3:ListBucket` on the bucket, so a missing key answers 404 (NoSuchKey) rather than 403,
   * for code that reads "not there yet" from a missing object.
   * @default false
   */
  readonly list?: boolean;
}

export interface AppFunctionProps {
  /**
   * The handler module, timeout and memory, from the one definition the local stack runs too
   * (`FUNCTIONS` in `lambdas/config/runtime.ts`).
   */
  readonly settings: FunctionSettings;
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
  /**
   * More environment variables, added to the defaults. Prefer the `bind*` methods for resources,
   * which add the grant with the variable.
   * @default - only the defaults
   */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * The one Lambda function shape of the project: Node 22 on arm64, an ESM bundle with the AWS SDK
 * inside (pinned version, faster cold starts), source maps, no tracing, and its own log group
 * and role. The role starts with only its log group; every other permission comes with the env
 * var that names the resource, through `bind` and `bindTable`.
 */
export class AppFunction extends NodejsFunction {
  /** The function's own role: every grant of `bind*` goes on it. */
  readonly executionRole: Role;

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
      entry: join(PROJECT_ROOT, props.settings.entry),
      handler: props.handler ?? 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.settings.memoryMb,
      timeout: Duration.seconds(props.settings.timeoutSeconds),
      // Off: nothing is instrumented (no SDK client is wrapped), so traces would be paid for and
      // show only the invocation. Logs carry the request id; metrics are EMF (adapters/observability).
      tracing: Tracing.DISABLED,
      logGroup,
      // Lambda's own lines (START, REPORT) as JSON too, so one Logs Insights query reads all; the
      // application level reaches Powertools as AWS_LAMBDA_LOG_LEVEL.
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.INFO,
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
    this.executionRole = role;
    // The local stack finds each function of the synthesized template by its entry (local/lambda).
    (this.node.defaultChild as CfnFunction).addMetadata(ENTRY_METADATA, props.settings.entry);

    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is the runtime the project is built and bundled for (Node 22 LTS runs to April 2027); moving to a newer one is a deliberate, tested upgrade, not a lint fix.',
    });
  }

  /** Sets `envVar` to `value` and grants `statements` together, so neither exists without the other. */
  bind(envVar: string, value: string, ...statements: PolicyStatement[]): this {
    this.addEnvironment(envVar, value);
    for (const statement of statements) this.addToRolePolicy(statement);
    return this;
  }

  /**
   * Gives the function objects of a bucket: its name in `envVar`, and exactly `access.objects` on
   * the keys matching `access.keys`. An object ARN names keys by pattern, so its wildcard is
   * acknowledged to cdk-nag here, for that resource only.
   */
  bindBucket(envVar: string, bucket: IBucket, access: BucketAccess): this {
    const keys = access.keys ?? '*';
    const objects = bucket.arnForObjects(keys);
    const statements = [
      new PolicyStatement({ actions: access.objects.map((action) => `s3:${action}`), resources: [objects] }),
    ];
    if (access.list === true) {
      statements.push(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    }
    acknowledgeWildcardResource(
      this.executionRole,
      objects,
      `Object ARNs name keys by pattern: ${access.objects.join(' and ')} on the objects under "${keys}" of the bucket in ${envVar}, and on no other bucket.`,
    );
    return this.bind(envVar, bucket.bucketName, ...statements);
  }

  /**
   * Gives the function a table: its name in the definition's env var, and exactly `actions` on it.
   * Of those, only Query and Scan reach indexes, and only the indexes named.
   *
   * @param indexes the indexes the function queries @default - every index of the table
   */
  bindTable(
    dataTable: DataTable,
    actions: readonly TableAction[],
    indexes: readonly string[] = dataTable.definition.indexes.map((index) => index.name),
  ): this {
    const indexActions = actions.filter(
      (action): action is IndexAction => action === 'Query' || action === 'Scan',
    );
    return this.bindTableAccess(dataTable, {
      table: actions,
      indexes: Object.fromEntries(indexes.map((name) => [name, indexActions])),
    });
  }

  /**
   * Gives the function a table with table and index actions named apart: for a function that
   * reads only through an index (e.g. `{ indexes: { byStatus: ['Query'] } }`), or gets items
   * but queries only an index. The table's name goes in the definition's env var either way.
   */
  bindTableAccess({ definition, table }: DataTable, access: TableAccess): this {
    const indexes = Object.entries(access.indexes ?? {}).filter(([, actions]) => actions.length > 0);
    const unknown = indexes
      .map(([name]) => name)
      .filter((name) => !definition.indexes.some((index) => index.name === name));
    if (unknown.length > 0) throw new Error(`${definition.logicalName} has no index ${unknown.join(', ')}`);
    const toIam = (list: readonly string[]) => [...new Set(list)].map((action) => `dynamodb:${action}`);

    const statements: PolicyStatement[] = [];
    if (access.table !== undefined && access.table.length > 0) {
      statements.push(new PolicyStatement({ actions: toIam(access.table), resources: [table.tableArn] }));
    }
    // One statement per distinct action set: the policy minimizer merges them as it can anyway.
    const byActions = new Map<string, { actions: string[]; resources: string[] }>();
    for (const [name, actions] of indexes) {
      const iam = toIam([...actions].sort());
      const group = byActions.get(iam.join()) ?? { actions: iam, resources: [] };
      group.resources.push(`${table.tableArn}/index/${name}`);
      byActions.set(iam.join(), group);
    }
    for (const { actions, resources } of byActions.values()) {
      statements.push(new PolicyStatement({ actions, resources }));
    }
    if (statements.length === 0) throw new Error(`no access to ${definition.logicalName} was named`);
    return this.bind(definition.envVar, table.tableName, ...statements);
  }
}
