import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allTables, outcomesTable, type TableDefinition } from '../../lambdas/adapters/table-definitions';
import { type CfnResource, logicalId, resourcesOf, type Synthesized, synthesize } from './synthesize';

function keySchema(partitionKey: string, sortKey?: string) {
  return [
    { AttributeName: partitionKey, KeyType: 'HASH' },
    ...(sortKey === undefined ? [] : [{ AttributeName: sortKey, KeyType: 'RANGE' }]),
  ];
}

describe('stateful stack', () => {
  let synthesized: Synthesized;
  let tables: Record<string, CfnResource>;

  function tableResource(definition: TableDefinition): CfnResource {
    const resource = tables[logicalId(synthesized.stateful.get(definition).table)];
    if (resource === undefined) throw new Error(`no table resource for ${definition.logicalName}`);
    return resource;
  }

  beforeAll(() => {
    synthesized = synthesize();
    tables = resourcesOf(Template.fromStack(synthesized.stateful), 'AWS::DynamoDB::Table');
  });
  afterAll(() => synthesized.cleanUp());

  it('builds one table per definition and nothing else that holds data', () => {
    expect(Object.keys(tables)).toHaveLength(allTables.length);
  });

  describe.each(allTables.map((definition) => [definition.logicalName, definition] as const))(
    '%s',
    (_, definition) => {
      it('has the keys and indexes of its definition, all strings, indexes projecting all attributes', () => {
        const { Properties } = tableResource(definition);

        expect(Properties.KeySchema).toEqual(keySchema(definition.partitionKey, definition.sortKey));
        expect(Properties.GlobalSecondaryIndexes).toEqual(
          definition.indexes.length === 0
            ? undefined
            : definition.indexes.map((index) => ({
                IndexName: index.name,
                KeySchema: keySchema(index.partitionKey, index.sortKey),
                Projection: { ProjectionType: 'ALL' },
              })),
        );
        const keyNames = new Set(
          [definition, ...definition.indexes].flatMap((key) =>
            key.sortKey === undefined ? [key.partitionKey] : [key.partitionKey, key.sortKey],
          ),
        );
        expect(Properties.AttributeDefinitions).toEqual(
          expect.arrayContaining([...keyNames].map((name) => ({ AttributeName: name, AttributeType: 'S' }))),
        );
        expect(Properties.AttributeDefinitions).toHaveLength(keyNames.size);
      });

      it('is on-demand, encrypted, recoverable to a point in time, protected from deletion and retained', () => {
        const resource = tableResource(definition);

        expect(resource.Properties).toMatchObject({
          BillingMode: 'PAY_PER_REQUEST',
          SSESpecification: { SSEEnabled: true },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        });
        expect(resource.DeletionPolicy).toBe('Retain');
        expect(resource.UpdateReplacePolicy).toBe('Retain');
      });
    },
  );

  it('indexes outcomes by issued week, declined week and public ref, the reads the report and disputes make', () => {
    const { Properties } = tableResource(outcomesTable);

    expect(Properties.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({
        IndexName: 'byIssuedWeek',
        KeySchema: keySchema('issuedWeek', 'detainerId'),
      }),
      expect.objectContaining({
        IndexName: 'byDeclinedWeek',
        KeySchema: keySchema('declinedWeek', 'detainerId'),
      }),
      expect.objectContaining({ IndexName: 'byRef', KeySchema: keySchema('ref') }),
    ]);
  });
});
