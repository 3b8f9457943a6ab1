import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { allTables, outcomesTable, type TableDefinition } from '#adapters/table-definitions';
import {
  type CfnResource,
  logicalId,
  resourceOf,
  resourcesOf,
  type Synthesized,
  synthesize,
} from './synthesize';

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

describe('stateful stack: site, data, link key and mail identity', () => {
  let synthesized: Synthesized;
  let template: Template;

  const statementSchema = z
    .object({
      Effect: z.string(),
      Action: z.union([z.string(), z.array(z.string())]),
      Principal: z.unknown().optional(),
      Condition: z.unknown().optional(),
      Resource: z.unknown(),
    })
    .loose();
  const bucketPolicySchema = z.object({
    Bucket: z.unknown(),
    PolicyDocument: z.object({ Statement: z.array(statementSchema) }),
  });

  /**
   * The bucket's one policy. The site bucket's lives in the stateless stack, beside the one
   * distribution it trusts (lib/constructs/site.ts), and names the bucket through the stack's outputs.
   */
  function bucketPolicy(bucket: IConstruct) {
    if (bucket === synthesized.stateful.siteBucket) {
      const stateless = Template.fromStack(synthesized.stateless);
      const policy = resourceOf(
        stateless,
        'AWS::S3::BucketPolicy',
        synthesized.stateless.getLogicalId(synthesized.stateless.site.bucketPolicy),
      );
      const parsed = bucketPolicySchema.parse(policy.Properties);
      expect(parsed.Bucket).toEqual(
        synthesized.stateless.resolve(synthesized.stateful.siteBucket.bucketName),
      );
      return parsed.PolicyDocument.Statement;
    }
    const ref = JSON.stringify({ Ref: logicalId(bucket) });
    const policies = Object.values(resourcesOf(template, 'AWS::S3::BucketPolicy'))
      .map((policy) => bucketPolicySchema.parse(policy.Properties))
      .filter((policy) => JSON.stringify(policy.Bucket) === ref);
    expect(policies).toHaveLength(1);
    return policies[0]?.PolicyDocument.Statement ?? [];
  }
  function buckets() {
    const { siteBucket, dataBucket, accessLogsBucket } = synthesized.stateful;
    return { site: siteBucket, data: dataBucket, 'access logs': accessLogsBucket };
  }

  beforeAll(() => {
    synthesized = synthesize();
    template = Template.fromStack(synthesized.stateful);
  });
  afterAll(() => synthesized.cleanUp());

  it('holds three buckets: the site, the data and their access logs', () => {
    expect(Object.keys(resourcesOf(template, 'AWS::S3::Bucket')).sort()).toEqual(
      Object.values(buckets())
        .map((bucket) => logicalId(bucket))
        .sort(),
    );
  });

  describe.each(['site', 'data', 'access logs'] as const)('the %s bucket', (name) => {
    function bucket() {
      return buckets()[name];
    }
    function properties() {
      return resourceOf(template, 'AWS::S3::Bucket', logicalId(bucket()));
    }

    it('blocks every kind of public access, owns its objects and encrypts them, and is retained', () => {
      const resource = properties();

      expect(resource.Properties).toMatchObject({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      });
      expect(resource.DeletionPolicy).toBe('Retain');
      expect(resource.UpdateReplacePolicy).toBe('Retain');
    });

    it('denies every request not made over TLS 1.2 or later', () => {
      const where = name === 'site' ? synthesized.stateless : stack();
      const arn = where.resolve(bucket().bucketArn);
      const objects = where.resolve(bucket().arnForObjects('*'));

      expect(bucketPolicy(bucket())).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: [arn, objects],
          }),
          expect.objectContaining({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
            Resource: [arn, objects],
          }),
        ]),
      );
    });

    it('allows no one but AWS services, each only through a condition on its source', () => {
      const allows = bucketPolicy(bucket()).filter((statement) => statement.Effect === 'Allow');

      for (const statement of allows) {
        expect(statement.Principal).toEqual({ Service: expect.stringMatching(/\.amazonaws\.com$/) });
        expect(statement.Condition).toBeDefined();
      }
    });
  });

  function stack() {
    return synthesized.stateful;
  }

  it('versions the site and the data, and logs their access to the access-log bucket', () => {
    for (const [bucket, prefix] of [
      [synthesized.stateful.siteBucket, 'site/'],
      [synthesized.stateful.dataBucket, 'data/'],
    ] as const) {
      expect(resourceOf(template, 'AWS::S3::Bucket', logicalId(bucket)).Properties).toMatchObject({
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: {
          DestinationBucketName: { Ref: logicalId(synthesized.stateful.accessLogsBucket) },
          LogFilePrefix: prefix,
        },
      });
    }
  });

  it('lets the site’s one distribution read the site (origin access control), and nothing read the data', () => {
    const site = synthesized.stateful.siteBucket;
    const { stateless } = synthesized;
    const siteAllows = bucketPolicy(site).filter((statement) => statement.Effect === 'Allow');

    expect(siteAllows).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: ['s3:GetObject', 's3:ListBucket'],
        Resource: [stateless.resolve(site.bucketArn), stateless.resolve(site.arnForObjects('*'))],
        // That distribution's ARN, not any distribution of the account.
        Condition: {
          StringEquals: {
            'AWS:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':cloudfront::',
                  { Ref: 'AWS::AccountId' },
                  ':distribution/',
                  { Ref: logicalId(stateless.site.distribution) },
                ],
              ],
            },
          },
        },
      }),
    ]);
    expect(bucketPolicy(synthesized.stateful.dataBucket).filter((s) => s.Effect === 'Allow')).toEqual([]);
  });

  it('keeps the link key as a generated, retained secret that is never rotated', () => {
    const secret = resourceOf(
      template,
      'AWS::SecretsManager::Secret',
      logicalId(synthesized.stateful.subscriptionSecret),
    );

    expect(secret.Properties.GenerateSecretString).toMatchObject({
      PasswordLength: 64,
      ExcludePunctuation: true,
    });
    expect(secret.Properties.SecretString).toBeUndefined();
    expect(secret.DeletionPolicy).toBe('Retain');
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  it('verifies the mail domain with 2048-bit Easy DKIM, retained, and outputs its DNS records', () => {
    const identity = resourceOf(
      template,
      'AWS::SES::EmailIdentity',
      logicalId(synthesized.stateful.mailIdentity),
    );

    expect(identity.Properties).toMatchObject({
      EmailIdentity: 'example.org',
      DkimAttributes: { SigningEnabled: true },
      DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
    });
    expect(identity.DeletionPolicy).toBe('Retain');
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs.filter((id) => id.startsWith('MailDkimRecord'))).toHaveLength(3);
  });
});
