import type { Statement } from '../lambda/template';

/**
 * IAM's evaluation of identity-based policies, as far as the product's templates use it: an
 * explicit Deny wins, then any Allow whose action, resource and conditions all match; anything
 * else is denied. Actions and resources match with IAM's wildcards (`*`, `?`; actions without
 * case). Conditions: StringEquals, StringLike, their `IfExists` forms and StringNotEquals; any
 * other operator fails closed (the statement does not apply), so an unmodelled condition never
 * grants more than AWS would.
 */

export type ConditionContext = Readonly<Record<string, string | undefined>>;

function wildcard(pattern: string, flags = ''): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, flags);
}

const cache = new Map<string, RegExp>();
function matches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regexp = cache.get(key);
  if (regexp === undefined) {
    regexp = wildcard(pattern, ignoreCase ? 'i' : '');
    cache.set(key, regexp);
  }
  return regexp.test(value);
}

function conditionsHold(statement: Statement, context: ConditionContext): boolean {
  for (const [rawOperator, entries] of Object.entries(statement.Condition ?? {})) {
    const ifExists = rawOperator.endsWith('IfExists');
    const operator = ifExists ? rawOperator.slice(0, -'IfExists'.length) : rawOperator;
    for (const [key, expected] of Object.entries(entries)) {
      const actual = context[key] ?? context[key.toLowerCase()];
      if (actual === undefined) {
        if (ifExists) continue;
        if (operator === 'StringNotEquals') continue;
        return false;
      }
      const values = typeof expected === 'string' ? [expected] : expected;
      switch (operator) {
        case 'StringEquals':
          if (!values.includes(actual)) return false;
          break;
        case 'StringNotEquals':
          if (values.includes(actual)) return false;
          break;
        case 'StringLike':
          if (!values.some((value) => matches(value, actual, false))) return false;
          break;
        default:
          return false;
      }
    }
  }
  return true;
}

function applies(statement: Statement, action: string, resource: string, context: ConditionContext): boolean {
  return (
    statement.Action.some((pattern) => matches(pattern, action, true)) &&
    statement.Resource.some((pattern) => matches(pattern, resource, false)) &&
    conditionsHold(statement, context)
  );
}

/** Whether the statements allow `action` on `resource`. */
export function isAllowed(
  statements: readonly Statement[],
  action: string,
  resource: string,
  context: ConditionContext = {},
): boolean {
  if (statements.some((s) => s.Effect === 'Deny' && applies(s, action, resource, context))) return false;
  return statements.some((s) => s.Effect === 'Allow' && applies(s, action, resource, context));
}

/**
 * The statements with one grant taken away: `action` no longer applies to resources matching
 * `resource` (tests of what a missing grant does; contract §1). Statements are split, never
 * widened.
 */
export function withoutGrant(
  statements: readonly Statement[],
  action: string,
  resource: string,
): Statement[] {
  return statements.flatMap((statement) => {
    if (statement.Effect !== 'Allow' || !statement.Action.some((a) => matches(a, action, true)))
      return [statement];
    const touched = statement.Resource.filter((r) => matches(resource, r, false));
    if (touched.length === 0) return [statement];
    const others = statement.Resource.filter((r) => !touched.includes(r));
    const actions = statement.Action.filter((a) => !matches(a, action, true));
    const split: Statement[] = [];
    if (others.length > 0) split.push({ ...statement, Resource: others });
    if (actions.length > 0) split.push({ ...statement, Action: actions, Resource: touched });
    return split;
  });
}
