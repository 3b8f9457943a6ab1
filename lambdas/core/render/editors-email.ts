import type { NoticeWeek } from '#core/review/notice';
import { editorsTemplate, editorsTextTemplate } from '#templates/generated/templates';
import { REPORT_NAME } from './edition-view';
import { dateIn, formatDate, formatDateRange, formatNumber, plural, timeIn } from './format';
import { requireHttpUrl } from './links';
import { renderTemplate } from './template-engine';

/** What the editors' email needs besides its weeks. */
export interface EditorsEmailView {
  readonly timeZone: string;
  /** The review mode: under `window` each draft says when it publishes by itself. */
  readonly mode: 'window' | 'required';
  /** The intake API, where an editor approves or holds a draft (`POST /editions/{week}/review`). */
  readonly apiUrl: string;
  readonly synthetic: boolean;
}

interface WeekModel {
  heading: string;
  week: string;
  status: string;
  when: string;
  headline: string;
  change: string;
  checks: { id: string; message: string; rows: string | null }[];
  previewUrl: string;
  previewUntil: string;
  reviewEndpoint: string;
}

const at = (instant: string, timeZone: string) =>
  `${formatDate(dateIn(instant, timeZone))} at ${timeIn(instant, timeZone)}`;

/** At most this many refs of a check are named in the email; the preview and draft.json have all. */
const REFS_SHOWN = 20;

function headlineOf(h: NoticeWeek['edition']['headline']): string {
  return (
    `${plural(h.issued, 'detainer', 'detainers')} issued, ${plural(h.declined, 'decline', 'declines')} ` +
    `recorded in ${plural(h.jurisdictionsWithDeclines, 'jurisdiction', 'jurisdictions')} of ` +
    `${plural(h.statesWithDeclines, 'state', 'states')}`
  );
}

/** What the draft would change, in the headline's figures, since the week's latest revision. */
function changeOf(week: NoticeWeek): string {
  const { latest, edition } = week;
  if (latest === undefined) return 'A first edition: this week has never been published.';
  const before = latest.headline;
  const after = edition.headline;
  const figures = (
    [
      ['issued', 'detainers issued'],
      ['declined', 'declines'],
      ['jurisdictionsWithDeclines', 'jurisdictions with declines'],
      ['statesWithDeclines', 'states with declines'],
    ] as const
  )
    .filter(([key]) => before[key] !== after[key])
    .map(([key, label]) => `${label} ${formatNumber(before[key])} → ${formatNumber(after[key])}`);
  return (
    `A re-issue of revision ${latest.revision}` +
    (figures.length === 0
      ? ': the headline figures are the same; rows of Sections I to III changed.'
      : `: ${figures.join('; ')}.`)
  );
}

function weekModel(week: NoticeWeek, view: EditorsEmailView): WeekModel {
  const { draft, checks } = week.stored;
  const { edition } = week;
  const when =
    draft.status === 'held'
      ? 'Held: it publishes only when an editor approves it.'
      : view.mode === 'window' && draft.publishAt !== undefined
        ? `Publishes by itself on ${at(draft.publishAt, view.timeZone)} unless an editor holds it.`
        : 'Publishes only when an editor approves it.';
  const endpoint = new URL(`editions/${draft.week}/review`, requireHttpUrl('apiUrl', view.apiUrl)).href;
  return {
    heading: `Week of ${formatDateRange(edition.edition.week, edition.edition.weekEnd)}`,
    week: draft.week,
    status: `${draft.status.charAt(0).toUpperCase()}${draft.status.slice(1).replace('-', ' ')}`,
    when,
    headline: headlineOf(edition.headline),
    change: changeOf(week),
    checks: checks.map((check) => ({
      id: check.id,
      message: check.message,
      rows:
        check.refs.length === 0
          ? null
          : `${check.refs.slice(0, REFS_SHOWN).join(', ')}${
              check.refs.length > REFS_SHOWN
                ? ` and ${formatNumber(check.refs.length - REFS_SHOWN)} more`
                : ''
            }`,
    })),
    previewUrl: requireHttpUrl('previewUrl', week.preview.url),
    previewUntil: at(week.preview.expiresAt, view.timeZone),
    reviewEndpoint: endpoint,
  };
}

/**
 * The editors' email of a run (`run`) or of one draft that changed after it (`changed`): plain
 * markup that reads on a phone, every figure in the text part too, and links that need no token
 * (the preview keys, valid 72 hours).
 */
export function renderEditorsEmail(
  weeks: readonly NoticeWeek[],
  kind: 'run' | 'changed',
  view: EditorsEmailView,
): { subject: string; html: string; text: string } {
  const models = weeks.map((week) => weekModel(week, view));
  const checksFound = models.reduce((sum, week) => sum + week.checks.length, 0);
  const first = models[0];
  const subject =
    kind === 'changed' && first !== undefined
      ? `Draft changed, review again: ${first.heading} (${REPORT_NAME})`
      : `${plural(models.length, 'draft', 'drafts')} to review${
          checksFound > 0 ? `, ${plural(checksFound, 'check', 'checks')} found something` : ''
        } (${REPORT_NAME})`;
  const model = {
    subject,
    intro:
      kind === 'changed'
        ? 'A record changed after this draft was assembled, so it was assembled again and its content changed: any approval of it lapsed. Look at it again.'
        : `This week's run made ${plural(models.length, 'draft', 'drafts')}. Nothing of them is public and no reader has been emailed.`,
    weeks: models,
    synthetic: view.synthetic,
  };
  return {
    subject,
    html: renderTemplate(editorsTemplate, model),
    text: renderTemplate(editorsTextTemplate, model),
  };
}
