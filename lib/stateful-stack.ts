import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { allTables, type TableDefinition } from '../lambdas/adapters/table-definitions';

/** A deployed table together with the definition it was built from (its env var and indexes). */
export interface DataTable {
  readonly definition: TableDefinition;
  readonly table: Table;
}

/** The tables the stateless stack may bind, looked up by their shared definition. */
export interface DataTables {
  /** @throws Error when the definition is not one of `allTables`. */
  get(definition: TableDefinition): DataTable;
}

/**
 * What must outlive any deployment: the records. Every table is built from `allTables`, the same
 * definitions the local stack uses, and is retained when the stack or the resource is removed.
 */
export class StatefulStack extends Stack implements DataTables {
  private readonly tables = new Map<string, DataTable>();

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    for (const definition of allTables) {
      this.tables.set(definition.logicalName, { definition, table: buildTable(this, definition) });
    }
  }

  get(definition: TableDefinition): DataTable {
    const found = this.tables.get(definition.logicalName);
    if (found === undefined) throw new Error(`table ${definition.logicalName} is not in allTables`);
    return found;
  }

  /** Every table, in the order of `allTables`. */
  all(): readonly DataTable[] {
    return [...this.tables.values()];
  }
}

function stringKey(name: string) {
  return { name, type: AttributeType.STRING };
}

function buildTable(scope: Construct, definition: TableDefinition): Table {
  const table = new Table(scope, definition.logicalName, {
    partitionKey: stringKey(definition.partitionKey),
    ...(definition.sortKey === undefined ? {} : { sortKey: stringKey(definition.sortKey) }),
    billingMode: BillingMode.PAY_PER_REQUEST,
    encryption: TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  for (const index of definition.indexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.name,
      partitionKey: stringKey(index.partitionKey),
      ...(index.sortKey === undefined ? {} : { sortKey: stringKey(index.sortKey) }),
      projectionType: ProjectionType.ALL,
    });
  }
  return table;
}
