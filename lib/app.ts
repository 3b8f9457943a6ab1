import { type App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { AppConfig } from './config';
import { EdgeStack, webAclParameterName } from './edge-stack';
import { StatefulStack } from './stateful-stack';
import { StatelessStack } from './stateless-stack';

export interface DdorStacks {
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
  readonly edge: EdgeStack;
}

/**
 * Builds the stacks of one stage and checks them with cdk-nag: an unacknowledged finding fails
 * synth. Shared by `bin/app.ts` and the infra tests, so the tests check what is deployed.
 */
export function buildApp(app: App, config: AppConfig): DdorStacks {
  // No account or region: the stacks stay environment-agnostic, so synth needs no credentials.
  const prefix = `ddor-${config.stage}`;
  const stateful = new StatefulStack(app, `${prefix}-stateful`, {
    description:
      'Declined Detainer Outcome Report: records, site, data, link key and mail identity (retained)',
    mailDomain: config.mail.domain,
    mailFromDomain: config.mail.mailFromDomain,
    logRetention: config.logRetention,
    // Outside dev, deleting the stack that holds the records takes a deliberate step first.
    terminationProtection: config.protectStatefulStack,
  });
  // The site's web ACL, in us-east-1 as CloudFront requires; the only stack with a region.
  const edge = new EdgeStack(app, `${prefix}-edge`, {
    description: 'Declined Detainer Outcome Report: the web ACL of the site (CloudFront, us-east-1)',
    stage: config.stage,
  });
  const stateless = new StatelessStack(app, `${prefix}-stateless`, {
    webAclParameter: webAclParameterName(config.stage),
    description:
      'Declined Detainer Outcome Report: functions, APIs, schedule, queues, mail and site delivery',
    config,
    stateful: {
      tables: stateful,
      siteBucket: stateful.siteBucket,
      dataBucket: stateful.dataBucket,
      subscriptionSecret: stateful.subscriptionSecret,
      originSecret: stateful.originSecret,
      mailIdentity: stateful.mailIdentity,
    },
  });

  // The distribution reads the web ACL's parameter at deploy: the edge stack goes first.
  stateless.addStackDependency(edge);
  Tags.of(app).add('project', 'ddor');
  Tags.of(app).add('stage', config.stage);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stateful, stateless, edge };
}
