import { jurisdictionHistory } from '#core/intake/jurisdictions';
import type { JurisdictionStore, OutcomeItem, OutcomeStore } from '#core/intake/model';
import { type ChangeInfo, correctionsBetween } from './corrections-log';
import type { CorrectionEntry, Edition } from './model';
import type { WeekData } from './week-data';

/**
 * Gathers what changed since the previous revision and hands it to the corrections log. Only
 * records and jurisdictions updated after `since` (when the previous revision began reading the
 * week) are read in full (with their history); records that left the week are found through the
 * ids the previous revision was built from.
 */
export async function correctionsSince(
  stores: { outcomes: OutcomeStore; jurisdictions: JurisdictionStore },
  previous: Edition,
  next: Edition,
  data: WeekData,
  previousIds: readonly string[],
  since: string,
): Promise<CorrectionEntry[]> {
  const items = new Map<string, OutcomeItem>();
  for (const item of [...data.issued, ...data.declined]) items.set(item.detainerId, item);
  for (const id of previousIds) {
    if (items.has(id)) continue;
    const item = await stores.outcomes.get(id);
    if (item) items.set(id, item);
  }
  const changes: ChangeInfo[] = [];
  for (const item of items.values()) {
    if (item.updatedAt <= since) continue;
    changes.push({ kind: 'record', item, history: await stores.outcomes.listHistory(item.detainerId) });
  }
  const jurisdictionIds = new Set(data.jurisdictions.keys());
  for (const row of previous.sectionI) jurisdictionIds.add(row.jurisdiction.id);
  for (const group of previous.sectionII) jurisdictionIds.add(group.jurisdiction.id);
  for (const row of previous.sectionIII) jurisdictionIds.add(row.jurisdiction.id);
  for (const id of jurisdictionIds) {
    const item = data.jurisdictions.get(id) ?? (await stores.jurisdictions.get(id));
    if (item && item.updatedAt > since) {
      changes.push({
        kind: 'jurisdiction',
        item,
        history: await jurisdictionHistory(stores.jurisdictions, item),
      });
    }
  }
  return correctionsBetween(previous, next, changes);
}
