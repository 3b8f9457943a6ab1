import type { HistoryEntry } from './model';

/**
 * A record's history in the order it happened: revisions by their number (never by time: two
 * containers' clocks may disagree, and a skew must not list revision n+1 before n), and dispute
 * steps (which carry no revision) among them by time, each after the revisions that came before
 * it. A revision's time for that purpose never goes back: it is the latest time of it and every
 * revision before it.
 */
export function inHistoryOrder(entries: readonly HistoryEntry[]): HistoryEntry[] {
  const revisions = entries
    .filter((entry) => entry.revision !== null)
    .sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
  const steps = entries.filter((entry) => entry.revision === null).sort((a, b) => a.at.localeCompare(b.at));
  const ordered: HistoryEntry[] = [];
  let latest = '';
  let next = 0;
  for (const revision of revisions) {
    if (revision.at > latest) latest = revision.at;
    // Steps before this revision (by the revisions' own non-decreasing time) come first.
    while (next < steps.length && (steps[next]?.at ?? '') < latest) {
      const step = steps[next];
      if (step) ordered.push(step);
      next += 1;
    }
    ordered.push(revision);
  }
  for (; next < steps.length; next++) {
    const step = steps[next];
    if (step) ordered.push(step);
  }
  return ordered;
}
