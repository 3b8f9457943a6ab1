import type { OutcomeRecord } from '#core/intake/outcome-record';
import { weekEnd, weekOf } from '#core/reporting-week';

/**
 * Re-issue marks: intake marks the published weeks a change may alter, the weekly run
 * re-publishes them. Both flows read these definitions.
 */

/** The re-issue mark that stands for every published week. */
export const ALL_WEEKS = '*';

/** The ended weeks a record counts in (issued, and recorded declined): re-issue candidates. */
export function weeksTouched(records: readonly (OutcomeRecord | undefined)[], today: string): string[] {
  const weeks = new Set<string>();
  for (const record of records) {
    if (!record) continue;
    weeks.add(weekOf(record.issuedOn));
    if (record.status === 'declined' && record.learnedOn !== undefined) weeks.add(weekOf(record.learnedOn));
  }
  return [...weeks].filter((week) => weekEnd(week) < today).sort();
}
