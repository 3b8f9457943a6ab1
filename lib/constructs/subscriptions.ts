import { CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import { HttpApi, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { subscribersTable } from '#adapters/table-definitions';
import { FUNCTIONS } from '#config/runtime';
import type { DataTables } from '#lib/stateful-stack';
import { ACCESS_LOG_FORMAT } from './access-log-format';
import { AppFunction } from './function';
import type { Mailer } from './mailer';

export interface SubscriptionsProps {
  readonly tables: DataTables;
  readonly reportTimeZone: string;
  readonly logRetention: RetentionDays;
  /** The HMAC key of confirmation and unsubscribe links. */
  readonly subscriptionSecret: ISecret;
  /** Sends the confirmation mail, as the product. */
  readonly mailer: Mailer;
}

/**
 * A public endpoint that may send mail: a few requests a second is far above real sign-ups, and
 * each address gets at most one confirmation an hour anyway.
 */
const THROTTLE = { rateLimit: 5, burstLimit: 20 } as const;

/**
 * The subscription endpoints (contract section 5): one function behind its own HTTP API, whose
 * only route is `$default`, so every path gets the function's own answer. The site's CloudFront
 * distribution serves it under `/subscriptions*`, so the forms post to the site's own domain.
 */
export class Subscriptions extends Construct {
  readonly function: AppFunction;
  readonly api: HttpApi;
  readonly stage: HttpStage;
  /** The API's host name, for CloudFront's origin. */
  readonly domainName: string;

  constructor(scope: Construct, id: string, props: SubscriptionsProps) {
    super(scope, id);

    this.function = new AppFunction(this, 'Function', {
      settings: FUNCTIONS.subscriptions,
      description: 'Subscriptions: subscribe, confirm and unsubscribe (no account, no token)',
      reportTimeZone: props.reportTimeZone,
      logRetention: props.logRetention,
    })
      // Reads the subscriber and writes it back conditionally (a put on the version read).
      .bindTableAccess(props.tables.get(subscribersTable), { table: ['GetItem', 'PutItem'] })
      .bind(
        'SUBSCRIPTION_SECRET_ARN',
        props.subscriptionSecret.secretArn,
        new PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [props.subscriptionSecret.secretArn],
        }),
      );
    props.mailer.grantSendEmail(this.function);

    this.api = new HttpApi(this, 'Api', {
      description: 'Declined Detainer Outcome Report: subscriptions (served through the site)',
      defaultIntegration: new HttpLambdaIntegration('Subscriptions', this.function),
      createDefaultStage: false,
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Public by design (contract section 5): anyone may subscribe, and confirming or unsubscribing is authorized by the HMAC-signed token in the link, which the function checks.',
    });

    // Retained with the stack's removal (the default), like the intake API's access logs.
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: THROTTLE,
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });
    const stack = Stack.of(this);
    this.domainName = `${this.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`;

    new CfnOutput(this, 'ApiUrl', {
      value: this.stage.url,
      description: 'The subscriptions API, direct (the site serves it under /subscriptions)',
    });
  }
}
