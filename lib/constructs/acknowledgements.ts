import { Stack, Validations } from 'aws-cdk-lib';
// cdk-nag names an IAM5 finding by this flattening of the resource; using it keeps ours identical.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

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
