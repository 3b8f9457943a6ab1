import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/**
 * A customer managed key for an SNS topic that an AWS service publishes to: a service can publish
 * to an encrypted topic only with a key whose policy lets it (the AWS managed SNS key's policy
 * cannot be changed). Rotated; it protects messages in flight only, so nothing stored depends on it.
 */
export function topicKey(
  scope: Construct,
  id: string,
  description: string,
  service: string,
  conditions: Record<string, Record<string, unknown>>,
): Key {
  const key = new Key(scope, id, {
    description,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(7),
  });
  key.addToResourcePolicy(
    new PolicyStatement({
      principals: [new ServicePrincipal(service)],
      actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      resources: ['*'],
      conditions,
    }),
  );
  return key;
}
