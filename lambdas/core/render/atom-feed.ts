import type { Edition } from '#core/edition/model';
import { revisionPrefix } from '#core/edition/site-layout';
import { feedTemplate } from '#templates/generated/templates';
import { REPORT_NAME } from './edition-view';
import { formatDateRange, plural } from './format';
import { type RevisionSummary, summariseRevision } from './home-page';
import { absoluteUrl, siteRootUrl } from './links';
import { renderTemplate } from './template-engine';

/** The feed marks titles and summaries as HTML, so text is escaped once here before it goes in. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function newestFirst(a: RevisionSummary, b: RevisionSummary): number {
  if (a.publishedAt !== b.publishedAt) return a.publishedAt < b.publishedAt ? 1 : -1;
  if (a.week !== b.week) return a.week < b.week ? 1 : -1;
  return b.revision - a.revision;
}

function isEdition(value: Edition | RevisionSummary): value is Edition {
  return 'edition' in value;
}

/**
 * feed.xml: an Atom feed with one entry per published revision, re-issues included, newest first.
 * Entries link to the permanent `/reports/{week}/r{n}/` page; nothing depends on the clock, so the
 * same revisions give the same bytes.
 */
export function renderFeed(revisions: readonly (Edition | RevisionSummary)[], siteUrl: string): string {
  const root = siteRootUrl(siteUrl);
  const entries = revisions
    .map((entry) => (isEdition(entry) ? summariseRevision(entry) : entry))
    .sort(newestFirst);
  const updated = entries[0]?.publishedAt ?? '1970-01-01T00:00:00Z';
  const items = entries.map((entry) => {
    const url = absoluteUrl(root, revisionPrefix(entry.week, entry.revision));
    const week = formatDateRange(entry.week, entry.weekEnd, true);
    const title =
      entry.revision === 1 ? `Week of ${week}` : `Week of ${week}: corrected, revision ${entry.revision}`;
    const { issued, declined, jurisdictionsWithDeclines, statesWithDeclines } = entry.headline;
    const summary = [
      entry.synthetic ? 'Synthetic data.' : '',
      `${plural(issued, 'detainer', 'detainers')} issued;`,
      declined === 0
        ? 'no decline recorded.'
        : `${plural(declined, 'decline', 'declines')} recorded, in ` +
          `${plural(jurisdictionsWithDeclines, 'jurisdiction', 'jurisdictions')} in ${plural(statesWithDeclines, 'state', 'states')}.`,
      entry.revision > 1
        ? `Re-issued as revision ${entry.revision} after ${plural(entry.corrections, 'correction', 'corrections')}.`
        : '',
    ]
      .filter((part) => part !== '')
      .join(' ');
    // type="html": the text is escaped as HTML here, and the template escapes it again as XML.
    return {
      url,
      at: isoTime(entry.publishedAt),
      html: { title: escapeHtml(title), summary: escapeHtml(summary) },
    };
  });
  return renderTemplate(feedTemplate, {
    root,
    self: absoluteUrl(root, 'feed.xml'),
    title: REPORT_NAME,
    subtitle: 'Weekly editions and re-issues: detainers issued and declines recorded, by jurisdiction.',
    updated: isoTime(updated),
    entries: items,
  });
}

/** Atom's date-time, with milliseconds, as feed readers have always been given it. */
function isoTime(at: string): string {
  return new Date(at).toISOString();
}
