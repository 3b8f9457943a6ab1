import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type BucketProps,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  DkimIdentity,
  EasyDkimSigningKeyLength,
  EmailIdentity,
  Identity,
  MailFromBehaviorOnMxFailure,
} from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';
import { allTables, type TableDefinition } from '#adapters/table-definitions';

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

/** Where the data bucket keeps each edition's full data and rendered mail. */
export const EDITIONS_PREFIX = 'editions/';

export interface StatefulStackProps extends StackProps {
  /** The SES domain identity that edition and subscription mail is sent from. */
  readonly mailDomain: string;
  /** Its custom MAIL FROM subdomain (envelope sender), so SPF aligns with the From domain. */
  readonly mailFromDomain: string;
  /** How long S3 server access logs are kept (the same retention as function logs). */
  readonly logRetention: RetentionDays;
}

/**
 * What must outlive any deployment: the records, the published site and the editions' data, the
 * key that signs every link already mailed, and the mail identity whose DKIM records are in DNS.
 * Every table is built from `allTables`, the same definitions the local stack uses. Everything
 * here is retained when the stack or the resource is removed.
 */
export class StatefulStack extends Stack implements DataTables {
  /** The hosted site (pages, report.json, declined.csv, feed), served only through CloudFront. */
  readonly siteBucket: Bucket;
  /** Private data: each edition's full data and rendered mail, under `editions/`. */
  readonly dataBucket: Bucket;
  /** S3 server access logs of the site and data buckets. */
  readonly accessLogsBucket: Bucket;
  /** The HMAC key of subscription tokens (confirm and unsubscribe links). */
  readonly subscriptionSecret: Secret;
  /** What CloudFront proves itself with to the subscriptions API (`x-origin-verify`). */
  readonly originSecret: Secret;
  /** The SES domain identity, DKIM-signed. */
  readonly mailIdentity: EmailIdentity;

  private readonly tables = new Map<string, DataTable>();

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    for (const definition of allTables) {
      this.tables.set(definition.logicalName, { definition, table: buildTable(this, definition) });
    }

    this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
      ...PRIVATE_BUCKET,
      // Logs are written as new objects, never replaced: versions would only double the storage.
      versioned: false,
      lifecycleRules:
        props.logRetention === RetentionDays.INFINITE
          ? []
          : [{ id: 'expire-logs', expiration: Duration.days(props.logRetention) }],
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the bucket the other buckets log their access to; logging its own access into itself would log every log delivery.',
    });

    const { enforceSSL: _tls, minimumTLSVersion: _version, ...siteBucketProps } = PRIVATE_BUCKET;
    this.siteBucket = new Bucket(this, 'Site', {
      ...siteBucketProps,
      // Its policy (TLS only, and the one distribution that may read it) is written by the stateless
      // stack, where the distribution is (lib/constructs/site.ts): naming the distribution here would
      // make the two stacks depend on each other, and trusting any distribution of the account
      // would let another distribution serve this bucket.
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'site/',
      // A bad publish can be undone from the previous versions of the pages it replaced; the
      // revision files (`r{n}/`) are never overwritten, so only pages, feed and latest copies age out.
      lifecycleRules: [{ id: 'expire-replaced-pages', noncurrentVersionExpiration: Duration.days(90) }],
    });
    Validations.of(this.siteBucket).acknowledge({
      id: 'AwsSolutions-S10',
      reason:
        'The site bucket policy, with its deny of every request not over TLS, is written by the stateless stack beside the one distribution it trusts (lib/constructs/site.ts).',
    });

    this.dataBucket = new Bucket(this, 'Data', {
      ...PRIVATE_BUCKET,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'data/',
    });

    this.subscriptionSecret = new Secret(this, 'SubscriptionSecret', {
      description: 'Declined Detainer Outcome Report: HMAC key of subscription confirm and unsubscribe links',
      // 64 letters and digits: about 380 bits, well over the 32 bytes the token code requires.
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.subscriptionSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'An HMAC key, not a credential: rotating it would invalidate every confirmation and unsubscribe link in mail already sent, and RFC 8058 one-click unsubscribe must keep working.',
    });

    this.originSecret = new Secret(this, 'OriginSecret', {
      description:
        'Declined Detainer Outcome Report: the x-origin-verify value CloudFront adds to subscription requests',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.originSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'CloudFront sends it as an origin header, resolved at deploy: rotating it means redeploying the distribution with the new value, done by hand with the stateless stack, not by a rotation Lambda.',
    });

    this.mailIdentity = new EmailIdentity(this, 'MailIdentity', {
      identity: Identity.domain(props.mailDomain),
      dkimSigning: true,
      dkimIdentity: DkimIdentity.easyDkim(EasyDkimSigningKeyLength.RSA_2048_BIT),
      mailFromDomain: props.mailFromDomain,
      // Until its MX record is published SES falls back to amazonses.com (DKIM still aligns)
      // rather than refusing to send an edition.
      mailFromBehaviorOnMxFailure: MailFromBehaviorOnMxFailure.USE_DEFAULT_VALUE,
    });
    // Its DKIM tokens are in the domain's DNS: a new identity would need new records.
    this.mailIdentity.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.mailIdentity.dkimRecords.forEach((record, index) => {
      new CfnOutput(this, `MailDkimRecord${index + 1}`, {
        description: `DKIM CNAME ${index + 1} of 3 to publish in the DNS of ${props.mailDomain}`,
        value: `${record.name} CNAME ${record.value}`,
      });
    });
    // SPF belongs on the MAIL FROM domain, the one receivers check it for; on the From domain
    // alone it never aligns, as SES's default envelope sender is amazonses.com.
    new CfnOutput(this, 'MailFromMxRecord', {
      description: `MX record of the MAIL FROM domain ${props.mailFromDomain} (bounces come back through it)`,
      value: `${props.mailFromDomain} MX 10 feedback-smtp.${this.region}.amazonses.com`,
    });
    new CfnOutput(this, 'MailFromSpfRecord', {
      description: `SPF TXT record of the MAIL FROM domain ${props.mailFromDomain}`,
      value: `${props.mailFromDomain} TXT "v=spf1 include:amazonses.com ~all"`,
    });
    new CfnOutput(this, 'MailDmarcRecord', {
      description: `DMARC TXT record of ${props.mailDomain} (start with p=none and a rua= address to read reports)`,
      value: `_dmarc.${props.mailDomain} TXT "v=DMARC1; p=quarantine; adkim=r; aspf=r"`,
    });
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

/** Private, encrypted, TLS 1.2 only, versioned and retained: the settings every bucket shares. */
const PRIVATE_BUCKET = {
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  encryption: BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
  versioned: true,
  removalPolicy: RemovalPolicy.RETAIN,
} as const satisfies BucketProps;

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
    ...(definition.timeToLiveAttribute === undefined
      ? {}
      : { timeToLiveAttribute: definition.timeToLiveAttribute }),
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
