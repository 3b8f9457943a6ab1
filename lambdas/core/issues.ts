import type * as z from 'zod/mini';
import type { Issue } from './errors';

/** zod issues as the contract's `{path, message}` list. */
export function toIssues(error: z.core.$ZodError, prefix = ''): Issue[] {
  const issues: Issue[] = [];
  for (const issue of error.issues) {
    const base = [prefix, ...issue.path.map(String)].filter((part) => part !== '').join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        issues.push({
          path: base === '' ? key : `${base}.${key}`,
          message: `unknown field ${key}: remove it`,
        });
      }
    } else {
      issues.push({ path: base, message: issue.message });
    }
  }
  return issues;
}
