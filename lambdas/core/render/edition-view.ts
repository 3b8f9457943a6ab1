/**
 * From an edition (report.json) to what the page and the email show. The templates run in
 * Handlebars strict mode, so every field they read exists here: optional fields of the edition
 * become `null` or text, and sentences that depend on the numbers are written here, not in
 * template logic.
 */
import type {
  CorrectionEntry,
  DeclineRow,
  EarlierCorrection,
  Edition,
  JurisdictionName,
  SectionIIGroup,
  SectionIV,
} from '#core/edition/model';
import {
  dateIn,
  formatDate,
  formatDateRange,
  formatDayMonth,
  formatNumber,
  formatShare,
  formatState,
  plural,
} from './format';
import { httpsUrl, httpUrl, siteRootUrl } from './links';

/** Section titles say what is counted, not a verdict (DESIGN.md "Words"). */
export const SECTION_TITLES = {
  sectionI:
    'I. Most detainers issued this week, among jurisdictions with a limiting policy or a recorded decline',
  sectionII: 'II. Declines recorded this week, by jurisdiction',
  sectionIII: 'III. Policies that limit cooperation',
  sectionIV: 'IV. Scope, definitions and data quality',
} as const;

export const REPORT_NAME = 'Declined Detainer Outcome Report';

export interface ReleaseView {
  /** "Week of January 28 – February 3, 2017" */
  heading: string;
  /** "January 28 – February 3, 2017" */
  weekLong: string;
  /** "Jan 28 – Feb 3, 2017" */
  weekShort: string;
  week: string;
  revision: number;
  publishedOn: string;
  provisional: boolean;
  nextEditionOn: string;
  timeZone: string;
}

export interface SectionIRowView {
  rank: number;
  name: string;
  id: string;
  state: string;
  issued: number;
  declined: number;
  policy: string;
}

export interface DeclineRowView {
  ref: string;
  facility: string;
  citizenship: string;
  offenses: string;
  issuedOn: string;
  declinedOn: string;
  learnedOn: string;
  /**
   * The three dates as the page's Section II shows them: with no year when it is the year the
   * week ends in (the table says so), which keeps a row of a 200-decline week light.
   */
  dates: { issued: string; declined: string; recorded: string };
  /** Transfer, lift and kind, said in words under the facility. */
  notes: string[];
}

export interface JurisdictionGroupView {
  id: string;
  name: string;
  state: string;
  count: number;
  /**
   * "(CA, ZZ0010000)" when another jurisdiction of the same state in this Section II has the same
   * name: the id tells them apart; otherwise null (the state heading and the name suffice).
   */
  disambiguation: string | null;
  /** True on a page that carries on a jurisdiction whose rows began on the page before. */
  continued: boolean;
  rows: DeclineRowView[];
}

export interface StateGroupView {
  code: string;
  name: string;
  anchor: string;
  declines: number;
  jurisdictionCount: number;
  summary: string;
  jurisdictions: JurisdictionGroupView[];
}

export interface SectionIIIRowView {
  name: string;
  id: string;
  state: string;
  /** The ICE area of responsibility, or "Not recorded". */
  aor: string;
  enactedOn: string;
  type: string;
  summary: string;
  criteria: string;
  /** Only an https source becomes a link; anything else is shown as text. */
  sourceHref: string | null;
  sourceText: string;
}

export interface CorrectionView {
  revision: number;
  date: string;
  ref: string;
  jurisdiction: string;
  field: string;
  before: string;
  after: string;
  reason: string;
}

export interface EarlierCorrectionView {
  label: string;
  revision: number;
  publishedOn: string;
  changes: string;
  /** Absolute http(s) URL, or null when the stored one is not a web address. */
  href: string | null;
}

export interface FigureView {
  label: string;
  value: string;
}

export interface SectionIVView {
  scope: FigureView[];
  outcomes: FigureView[];
  completeness: { field: string; present: number; total: number; share: string }[];
  openDisputes: string;
  correctionsSinceLastEdition: string;
  /** How the edition was reviewed as a draft (contract §3); null when it was not. */
  review: string | null;
}

/** What the page, the email and the home page share. */
export interface EditionView {
  synthetic: boolean;
  titles: typeof SECTION_TITLES;
  release: ReleaseView;
  mainPoints: string[];
  headline: { issued: number; declined: number };
  sectionI: { rows: SectionIRowView[]; empty: boolean };
  sectionII: { states: StateGroupView[]; total: number; empty: boolean };
  sectionIII: { rows: SectionIIIRowView[]; empty: boolean };
  sectionIV: SectionIVView;
  trend: { week: string; label: string; issued: number; declined: number; current: boolean }[];
  corrections: CorrectionView[];
  earlierCorrections: EarlierCorrectionView[];
}

export function releaseView(edition: Edition): ReleaseView {
  const meta = edition.edition;
  const weekLong = formatDateRange(meta.week, meta.weekEnd);
  return {
    heading: `Week of ${weekLong}`,
    weekLong,
    weekShort: formatDateRange(meta.week, meta.weekEnd, true),
    week: meta.week,
    revision: meta.revision,
    publishedOn: formatDate(dateIn(meta.publishedAt, meta.timeZone)),
    provisional: meta.revision === 1,
    nextEditionOn: formatDate(meta.nextEditionOn),
    timeZone: meta.timeZone,
  };
}

function jurisdictionLabel(j: JurisdictionName): string {
  return `${j.name} (${j.state}, ${j.id})`;
}

/**
 * "258 more than the previous week (2,825)", "0.4 below the 12-week average (4.4)": the change
 * in words, never a bare sign, and with the figure it is compared with.
 */
function against(current: number, other: number, what: string, words: readonly [string, string]): string {
  const difference = Math.round((current - other) * 10) / 10;
  if (difference === 0) return `the same as ${what} (${formatNumber(other)})`;
  return `${formatNumber(Math.abs(difference))} ${difference > 0 ? words[0] : words[1]} ${what} (${formatNumber(other)})`;
}

const COUNT_WORDS = ['more than', 'fewer than'] as const;
const AVERAGE_WORDS = ['above', 'below'] as const;

export function mainPoints(edition: Edition): string[] {
  const { headline, comparison } = edition;
  const points = [
    `${plural(headline.issued, 'detainer or request for notification was', 'detainers and requests for notification were')} ` +
      `issued in the week: ${against(headline.issued, comparison.previousWeek.issued, 'the previous week', COUNT_WORDS)} and ` +
      `${against(headline.issued, comparison.twelveWeekAverage.issued, 'the 12-week average', AVERAGE_WORDS)}.`,
    `${plural(headline.declined, 'decline was', 'declines were')} recorded in the week: ` +
      `${against(headline.declined, comparison.previousWeek.declined, 'the previous week', COUNT_WORDS)} and ` +
      `${against(headline.declined, comparison.twelveWeekAverage.declined, 'the 12-week average', AVERAGE_WORDS)}.`,
    headline.declined === 0
      ? 'No jurisdiction had a recorded decline this week.'
      : `The ${headline.declined === 1 ? 'decline was' : 'declines were'} recorded for ` +
        `${plural(headline.jurisdictionsWithDeclines, 'jurisdiction', 'jurisdictions')} ` +
        `in ${plural(headline.statesWithDeclines, 'state', 'states')}.`,
  ];
  const late = edition.sectionIV.recordedLate;
  if (late.count > 0) {
    points.push(
      `${plural(late.count, 'of these declines was', 'of these declines were')} recorded more than ` +
        `${late.thresholdDays} days after ${late.count === 1 ? 'it' : 'they'} happened.`,
    );
  }
  points.push(
    'Only recorded declines are counted: agencies do not generally tell ICE when they decline a detainer, ' +
      'so a decline nobody recorded is not in these figures.',
  );
  return points;
}

/** A date with its year only when that is not `year`. */
function dateWithinYear(date: string, year: string): string {
  return date.startsWith(`${year}-`) ? formatDayMonth(date) : formatDate(date, true);
}

function declineRowView(row: DeclineRow, year: string): DeclineRowView {
  const notes: string[] = [];
  if (row.kind === 'notification_request') notes.push('Request for notification');
  if (row.transferredFrom) {
    notes.push(`Transferred from ${jurisdictionLabel(row.transferredFrom)} before release`);
  }
  if (row.liftedOn) notes.push(`Lifted by ICE on ${formatDate(row.liftedOn, true)}; still counted`);
  return {
    ref: row.ref,
    facility: row.facility,
    citizenship: row.citizenship ?? 'Not recorded',
    offenses:
      row.offenses.length === 0
        ? 'None recorded'
        : row.offenses.map((offense) => `${offense.description} (${offense.status})`).join('; '),
    issuedOn: formatDate(row.issuedOn, true),
    declinedOn: formatDate(row.declinedOn, true),
    learnedOn: formatDate(row.learnedOn, true),
    dates: {
      issued: dateWithinYear(row.issuedOn, year),
      declined: dateWithinYear(row.declinedOn, year),
      recorded: dateWithinYear(row.learnedOn, year),
    },
    notes,
  };
}

/**
 * Section II by state, then jurisdiction, keeping the edition's order (CONTRACT.md section 3).
 * `weekEnd` is the edition's last day: its year is the one the page's dates leave out.
 */
export function stateGroups(groups: readonly SectionIIGroup[], weekEnd: string): StateGroupView[] {
  const year = weekEnd.slice(0, 4);
  const states: StateGroupView[] = [];
  const byCode = new Map<string, StateGroupView>();
  const names = new Map<string, number>();
  const nameKey = (j: JurisdictionName) => `${j.state}\u0000${j.name.normalize('NFC').toLowerCase()}`;
  for (const group of groups) {
    const key = nameKey(group.jurisdiction);
    names.set(key, (names.get(key) ?? 0) + 1);
  }
  for (const group of groups) {
    const code = group.jurisdiction.state;
    let state = byCode.get(code);
    if (!state) {
      state = {
        code,
        name: formatState(code),
        anchor: `state-${code.replace(/[^A-Za-z0-9]/g, '')}`,
        declines: 0,
        jurisdictionCount: 0,
        summary: '',
        jurisdictions: [],
      };
      states.push(state);
      byCode.set(code, state);
    }
    state.declines += group.declines.length;
    state.jurisdictionCount += 1;
    state.jurisdictions.push({
      id: group.jurisdiction.id,
      name: group.jurisdiction.name,
      state: code,
      count: group.declines.length,
      disambiguation:
        (names.get(nameKey(group.jurisdiction)) ?? 0) > 1 ? `(${code}, ${group.jurisdiction.id})` : null,
      continued: false,
      rows: group.declines.map((row) => declineRowView(row, year)),
    });
  }
  for (const state of states) {
    state.summary =
      `${plural(state.declines, 'decline', 'declines')} in ` +
      `${plural(state.jurisdictionCount, 'jurisdiction', 'jurisdictions')}`;
  }
  return states;
}

/** Before and after of a logged change as a reader would say them (absent is "none"). */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined || value === '') return 'none';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object' && isJurisdiction(value)) return jurisdictionLabel(value);
  return JSON.stringify(value);
}

function isJurisdiction(value: object): value is JurisdictionName {
  return (
    'id' in value &&
    'name' in value &&
    'state' in value &&
    typeof value.id === 'string' &&
    typeof value.name === 'string' &&
    typeof value.state === 'string'
  );
}

function correctionView(entry: CorrectionEntry): CorrectionView {
  return {
    revision: entry.revision,
    date: formatDate(entry.date, true),
    ref: entry.ref ?? '—',
    jurisdiction: jurisdictionLabel(entry.jurisdiction),
    field: entry.field,
    before: describeValue(entry.before),
    after: describeValue(entry.after),
    reason: entry.reason,
  };
}

export function earlierCorrectionView(
  entry: EarlierCorrection,
  siteUrl: string,
  timeZone: string,
): EarlierCorrectionView {
  const base = siteRootUrl(siteUrl);
  const resolved = URL.canParse(entry.url, base) ? new URL(entry.url, base).href : '';
  return {
    label: `Week of ${formatDateRange(entry.week, entry.weekEnd)}`,
    revision: entry.revision,
    publishedOn: formatDate(dateIn(entry.publishedAt, timeZone), true),
    changes: plural(entry.changes, 'change', 'changes'),
    href: httpUrl(resolved) ?? null,
  };
}

function sectionIVView(s: SectionIV, timeZone: string): SectionIVView {
  const late = s.recordedLate;
  const oldest = late.oldestIssuedOn
    ? ` The oldest of them was issued on ${formatDate(late.oldestIssuedOn)}.`
    : '';
  const scope: FigureView[] = [
    {
      label: `Declines recorded more than ${late.thresholdDays} days after they happened`,
      value: `${formatNumber(late.count)} (${formatShare(late.share)} of the week's declines).${oldest}`,
    },
    { label: 'Declines of detainers issued in an earlier week', value: formatNumber(s.issuedEarlier) },
    {
      label: 'Declines after a transfer (counted for the agency that released the person)',
      value: formatNumber(s.declinesAfterTransfer),
    },
    { label: 'Declines that ICE lifted afterwards (still counted)', value: formatNumber(s.declinesLifted) },
    {
      label: 'Jurisdictions with a limiting policy in force at the end of the week',
      value: formatNumber(s.jurisdictionsWithPolicy),
    },
    {
      label: 'Issued in the week, by kind',
      value:
        `${plural(s.issuedByKind.detainer, 'detainer', 'detainers')}, ` +
        `${plural(s.issuedByKind.notification_request, 'request for notification', 'requests for notification')}`,
    },
  ];
  const outcomes: FigureView[] = (['pending', 'honored', 'declined', 'transferred', 'lifted'] as const).map(
    (key) => ({
      label: key[0]?.toUpperCase() + key.slice(1),
      value: formatNumber(s.issuedByOutcome[key]),
    }),
  );
  const disputes = s.openDisputes;
  const oldestDispute =
    disputes.count > 0 && disputes.oldestOpenedAt
      ? `; the oldest was opened on ${formatDate(dateIn(disputes.oldestOpenedAt, timeZone))}` +
        (disputes.oldestAgeDays === undefined
          ? ''
          : ` (${plural(disputes.oldestAgeDays, 'day', 'days')} ago)`)
      : '';
  return {
    scope,
    outcomes,
    completeness: s.completeness.map((c) => ({
      field: c.field,
      present: c.present,
      total: c.total,
      share: formatShare(c.share),
    })),
    openDisputes: `${plural(disputes.count, 'dispute is', 'disputes are')} open about published rows${oldestDispute}.`,
    correctionsSinceLastEdition: `${plural(s.correctionsSinceLastEdition, 'correction', 'corrections')} to records since the last edition.`,
    review: s.review ?? null,
  };
}

/** The "corrected edition" notice of a re-issue (null for a first revision), shared by page and email. */
export function correctionsNotice(
  edition: Edition,
  publishedOn: string,
): { revision: number; publishedOn: string; changes: string } | null {
  const { revision } = edition.edition;
  if (revision <= 1) return null;
  const current = edition.corrections.filter((entry) => entry.revision === revision).length;
  return {
    revision,
    publishedOn,
    changes: plural(current, 'change to the records', 'changes to the records'),
  };
}

export function editionView(edition: Edition, siteUrl: string): EditionView {
  const last = edition.trend.length - 1;
  return {
    synthetic: edition.synthetic,
    titles: SECTION_TITLES,
    release: releaseView(edition),
    mainPoints: mainPoints(edition),
    headline: { issued: edition.headline.issued, declined: edition.headline.declined },
    sectionI: {
      empty: edition.sectionI.length === 0,
      rows: edition.sectionI.map((row) => ({
        rank: row.rank,
        name: row.jurisdiction.name,
        id: row.jurisdiction.id,
        state: row.jurisdiction.state,
        issued: row.issued,
        declined: row.declined,
        policy: row.hasPolicy ? 'Yes' : 'No',
      })),
    },
    sectionII: {
      states: stateGroups(edition.sectionII, edition.edition.weekEnd),
      total: edition.sectionII.reduce((sum, group) => sum + group.declines.length, 0),
      empty: edition.sectionII.length === 0,
    },
    sectionIII: {
      empty: edition.sectionIII.length === 0,
      rows: edition.sectionIII.map((row) => ({
        name: row.jurisdiction.name,
        id: row.jurisdiction.id,
        state: row.jurisdiction.state,
        aor: row.jurisdiction.aor ?? 'Not recorded',
        enactedOn: formatDate(row.policy.enactedOn, true),
        type: row.policy.type,
        summary: row.policy.summary,
        criteria: row.policy.criteria,
        sourceHref: httpsUrl(row.policy.source) ?? null,
        sourceText: row.policy.source,
      })),
    },
    sectionIV: sectionIVView(edition.sectionIV, edition.edition.timeZone),
    trend: edition.trend.map((point, i) => ({
      week: point.week,
      label: formatDate(point.week, true),
      issued: point.issued,
      declined: point.declined,
      current: i === last,
    })),
    corrections: edition.corrections.map(correctionView),
    earlierCorrections: edition.earlierCorrections.map((entry) =>
      earlierCorrectionView(entry, siteUrl, edition.edition.timeZone),
    ),
  };
}
