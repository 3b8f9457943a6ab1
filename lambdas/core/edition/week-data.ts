import type { JurisdictionItem, OutcomeItem } from '#core/intake/model';
import type { TrendPoint } from './model';

/**
 * Everything the assembly of one week's edition reads from storage, and nothing more: the
 * week's records (two index Queries), the jurisdictions they name plus every jurisdiction with a
 * policy, and the counts of the earlier weeks for the trend.
 */
export interface WeekData {
  /** The Saturday that starts the week. */
  week: string;
  /** Records whose `issuedOn` is in the week, voided excluded. */
  issued: OutcomeItem[];
  /** Records with status `declined` whose `learnedOn` is in the week, voided excluded. */
  declined: OutcomeItem[];
  /** By id: every jurisdiction the records above name, and every jurisdiction with any policy. */
  jurisdictions: Map<string, JurisdictionItem>;
  /** Counts of the 11 weeks before `week` (any order; a missing week counts as zero). */
  trend: TrendPoint[];
}

/** Where the publisher gets a week from (DynamoDB when deployed and locally, fixtures in tests). */
export interface WeekSource {
  readWeek(week: string): Promise<WeekData>;
}
