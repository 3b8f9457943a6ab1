import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  type KeySchemaElement,
  ResourceInUseException,
  ResourceNotFoundException,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { allTables, type TableDefinition } from '#adapters/table-definitions';

/** The physical name of a table in the local stack (CloudFormation names them when deployed). */
export function localTableName(table: TableDefinition): string {
  return `ddor-${table.logicalName}`;
}

/** Env var → local table name, as the functions read them. */
export function localTableEnvironment(
  tables: readonly TableDefinition[] = allTables,
): Record<string, string> {
  return Object.fromEntries(tables.map((table) => [table.envVar, localTableName(table)]));
}

function keySchema(partitionKey: string, sortKey: string | undefined): KeySchemaElement[] {
  return sortKey === undefined
    ? [{ AttributeName: partitionKey, KeyType: 'HASH' }]
    : [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ];
}

/** The CreateTable request for one definition: string keys, on-demand, indexes projecting ALL. */
export function createTableInput(table: TableDefinition): CreateTableCommandInput {
  const keyNames = new Set<string>();
  for (const key of [table.partitionKey, table.sortKey]) if (key !== undefined) keyNames.add(key);
  for (const index of table.indexes) {
    keyNames.add(index.partitionKey);
    if (index.sortKey !== undefined) keyNames.add(index.sortKey);
  }
  const attributes: AttributeDefinition[] = [...keyNames].map((name) => ({
    AttributeName: name,
    AttributeType: 'S',
  }));
  return {
    TableName: localTableName(table),
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributes,
    KeySchema: keySchema(table.partitionKey, table.sortKey),
    ...(table.indexes.length === 0
      ? {}
      : {
          GlobalSecondaryIndexes: table.indexes.map((index) => ({
            IndexName: index.name,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: { ProjectionType: 'ALL' },
          })),
        }),
  };
}

async function describeTable(client: DynamoDBClient, name: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

function keyText(schema: readonly KeySchemaElement[] | undefined): string {
  return (schema ?? []).map((key) => `${key.AttributeName ?? '?'} ${key.KeyType ?? '?'}`).join(', ');
}

/** Where a table kept from an earlier run differs from its definition, or undefined when it matches. */
export function definitionDrift(table: TableDefinition, existing: TableDescription): string | undefined {
  const wanted = createTableInput(table);
  if (keyText(wanted.KeySchema) !== keyText(existing.KeySchema)) {
    return `its key is (${keyText(existing.KeySchema)}), the definition says (${keyText(wanted.KeySchema)})`;
  }
  const existingIndexes = new Map(
    (existing.GlobalSecondaryIndexes ?? []).map((index) => [index.IndexName, keyText(index.KeySchema)]),
  );
  for (const index of wanted.GlobalSecondaryIndexes ?? []) {
    const found = existingIndexes.get(index.IndexName);
    if (found === undefined) return `it has no index ${index.IndexName ?? '?'}`;
    if (found !== keyText(index.KeySchema)) return `its index ${index.IndexName ?? '?'} has another key`;
  }
  return undefined;
}

/**
 * Creates every table of `table-definitions.ts` that is missing (data kept on disk from an
 * earlier run is left alone) and returns the environment the functions read: env var → table name.
 *
 * A kept table whose keys or indexes no longer match its definition is an error, not a silent
 * mismatch: dynalite cannot add an index to an existing table, so it needs a fresh DATA_DIR.
 */
export async function ensureTables(
  client: DynamoDBClient,
  tables: readonly TableDefinition[] = allTables,
): Promise<Record<string, string>> {
  for (const table of tables) {
    const name = localTableName(table);
    const existing = await describeTable(client, name);
    if (existing !== undefined) {
      const drift = definitionDrift(table, existing);
      if (drift !== undefined) {
        throw new Error(
          `local table ${name} was created from an older definition (${drift}); ` +
            'the local DynamoDB cannot change it: start with a fresh DATA_DIR (or delete its dynamodb folder)',
        );
      }
    } else {
      try {
        await client.send(new CreateTableCommand(createTableInput(table)));
      } catch (error) {
        // Another caller created it between our check and our create: the outcome is the same.
        if (!(error instanceof ResourceInUseException)) throw error;
      }
    }
  }
  return localTableEnvironment(tables);
}
