/**
 * What `npm run review`, `npm run approve` and `npm run hold` share: the editor's name, the
 * decision through the publisher function itself (with its role, as `npm run publish` is), and
 * how a draft is printed. A decision changes the stored draft only: an approval then publishes
 * the week at once, in every review mode.
 */
import { userInfo } from 'node:os';
import type { DirectReviewResult } from '#lambdas/edition/publish/handler';
import { type Connection, invokeFunction, usage } from './stack-connection';

export const EDITOR_USAGE = `    --as          who decides (default: the system user), kept with the decision and shown in Section IV`;

/** The editor's name from `--as`, or the system user. */
export function editorName(given: string | undefined, help: string): string {
  const name = (given ?? userInfo().username).trim();
  if (name === '' || name.length > 100) usage(`--as must name who decides in 1 to 100 characters\n${help}`);
  return name;
}

/** `--week` as a date (any day of the week), refused with the usage when it is not one. */
export async function weekOption(value: string | undefined, help: string): Promise<string | undefined> {
  if (value === undefined) return undefined;
  const { isCalendarDate, weekOf } = await import('#core/reporting-week');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || !isCalendarDate(value))
    usage(`--week must be a date written YYYY-MM-DD, not "${value}"\n${help}`);
  return weekOf(value);
}

export async function decide(
  connection: Connection,
  review: {
    week?: string;
    run?: string;
    decision: 'approve' | 'hold';
    by: string;
    reason?: string;
  },
): Promise<DirectReviewResult[]> {
  const answer = await invokeFunction<{ reviewed: DirectReviewResult[] }>(connection, 'publish', { review });
  return answer.reviewed;
}

/** One line per week: what the decision left. */
export function describe(result: DirectReviewResult): string {
  if (result.status === 'published' && result.published !== undefined) {
    const { revision, url, email } = result.published;
    return `the week of ${result.week}: published as revision ${revision} (${url}); email: ${email.decision}${
      email.reason ? ` (${email.reason})` : ''
    }`;
  }
  if (result.status === 'held') return `the week of ${result.week}: held; it does not publish until approved`;
  if (result.status === 'awaiting-review') {
    return `the week of ${result.week}: changed since it was approved, so the approval lapsed; it awaits review again${
      result.publishAt ? ` (publishes at ${result.publishAt} unless held)` : ''
    }`;
  }
  return `the week of ${result.week}: ${result.status}`;
}
