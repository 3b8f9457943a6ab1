import type { OutcomeRecord } from '#core/intake/outcome-record';
import { weekEnd, weekOf } from '#core/reporting-week';

/**
 * Re-issue marks: intake marks the published weeks a change may alter, the weekly run
 * re-publishes them. Both flows read these definitions.
 */

/** The re-issue mark that stands for every published week. */
export const ALL_WEEKS = '*';

/** The weeks a record counts in: the week it was issued, and the week its decline was recorded. */
export function weeksOf(record: OutcomeRecord): string[] {
  const weeks = [weekOf(record.issuedOn)];
  if (record.status === 'declined' && record.learnedOn !== undefined) weeks.push(weekOf(record.learnedOn));
  return [...new Set(weeks)];
}

/** The ended weeks a record counts in (issued, and recorded declined): re-issue candidates. */
export function weeksTouched(records: readonly (OutcomeRecord | undefined)[], today: string): string[] {
  const weeks = new Set<string>();
  for (const record of records) if (record) for (const week of weeksOf(record)) weeks.add(week);
  return [...weeks].filter((week) => weekEnd(week) < today).sort();
}
