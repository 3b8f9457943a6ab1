import { Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
// cdk-nag names an IAM5 finding by this flattening of the resource; using it keeps ours identical.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { Construct, IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag's wildcard-resource finding (AwsSolutions-IAM5) for exactly `resource`, on
 * `scope` (a role, or the construct holding its policy), and for no other resource.
 *
 * A finding is named by the resource as the template has it, and a resource from another stack
 * only gets that form (a cross-stack reference) once the app is prepared for synthesis; so the
 * acknowledgement is made then, by a validation hook, which runs after references are resolved
 * and before cdk-nag checks the templates.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  let done = false;
  scope.node.addValidation({
    validate: () => {
      if (!done) {
        const flattened = flattenCfnReference(Stack.of(scope).resolve(resource));
        Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flattened}]`, reason });
        done = true;
      }
      return [];
    },
  });
}

/**
 * EventBridge Scheduler's own role for invoking `fn` (a role per schedule, rather than one CDK makes
 * per stack, so its one grant is reviewed where the schedule is): assumable by Scheduler for this
 * account only; the target's invoke on the function and its versions (`ARN:*`) acknowledged.
 */
export function schedulerRoleFor(scope: Construct, id: string, fn: IFunction, what: string): Role {
  const role = new Role(scope, id, {
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
  });
  acknowledgeWildcardResource(
    role,
    `${fn.functionArn}:*`,
    `The schedule target grants invoke on the ${what} function and its versions and aliases (ARN:*): this one function, nothing else.`,
  );
  return role;
}
