import {
  compareSummaries,
  type JurisdictionDecline,
  type JurisdictionHistory,
  type JurisdictionSummary,
} from '#core/edition/jurisdiction-record';
import type { Edition, JurisdictionName } from '#core/edition/model';
import {
  jurisdictionPrefix,
  jurisdictionStatePrefix,
  jurisdictionYearPrefix,
  latestPrefix,
  revisionPrefix,
} from '#core/edition/site-layout';
import { stateName } from '#core/us-states';
import { jurisdictionsTemplate, jurisdictionTemplate } from '#templates/generated/templates';
import { weeklyDeclinesChart } from './charts';
import { csvLines, DECLINED_CSV_COLUMNS, declineCells, defuseFormula } from './declined-csv';
import { formatDate, formatDateRange } from './format';
import { httpsUrl } from './links';
import { renderTemplate } from './template-engine';

/** Declines on a jurisdiction's own page; earlier ones are on its pages by year (contract §4). */
export const PAGE_DECLINES = 200;
/** Above this many jurisdictions the index lists states, each on a page of its own. */
export const INDEX_BY_STATE_ABOVE = 1_500;

export interface SiteView {
  contactLine?: string;
}

/** `../` once per folder below the site root: pages link to each other relatively. */
function rootFrom(path: string): string {
  const depth = path.split('/').filter((segment) => segment !== '').length;
  return '../'.repeat(depth);
}

const weekLabel = (week: string) => formatDateRange(week, addSixDays(week), true);

function addSixDays(week: string): string {
  const d = new Date(`${week}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 6);
  return d.toISOString().slice(0, 10);
}

function stateText(decline: JurisdictionDecline): string {
  if (decline.state === 'listed')
    return decline.revision === 1 ? 'Listed' : `Listed (added in revision ${decline.revision})`;
  if (decline.state === 'corrected') return `Corrected in revision ${decline.revision}`;
  return `Withdrawn in revision ${decline.revision}`;
}

function declineView(decline: JurisdictionDecline, siteRoot: string) {
  const revisionPage = `${siteRoot}${revisionPrefix(decline.week, decline.revision)}`;
  return {
    weekHref: `${siteRoot}${latestPrefix(decline.week)}`,
    weekLabel: weekLabel(decline.week),
    ref: decline.ref,
    stateText: stateText(decline),
    // A correction or withdrawal links the corrections log of the revision that made it.
    stateHref: decline.state === 'listed' ? revisionPage : `${revisionPage}#corrections-log`,
    facility: decline.row.facility,
    declinedOn: formatDate(decline.row.declinedOn, true),
    learnedOn: formatDate(decline.row.learnedOn, true),
  };
}

function describeChange(field: string, before: unknown, after: unknown): string {
  const show = (value: unknown) =>
    value === null || value === undefined
      ? 'none'
      : typeof value === 'string'
        ? value
        : JSON.stringify(value);
  return `${field}: ${show(before)} → ${show(after)}`;
}

function baseModel(history: JurisdictionHistory, path: string, view: SiteView, asOf: string) {
  const { id, name, state } = history.jurisdiction;
  return {
    siteRoot: rootFrom(path),
    synthetic: history.synthetic,
    contactLine: view.contactLine ?? null,
    id,
    name,
    stateName: stateName(state) ?? state,
    title: `${name} (${state})`,
    asOf: formatDate(asOf),
    schemaVersion: history.schemaVersion,
  };
}

/** The years whose declines are on pages of their own: every year of a decline past the first 200. */
export function declineYears(history: JurisdictionHistory): Map<string, JurisdictionDecline[]> {
  const years = new Map<string, JurisdictionDecline[]>();
  if (history.declines.length <= PAGE_DECLINES) return years;
  for (const decline of history.declines) {
    const year = decline.week.slice(0, 4);
    const list = years.get(year) ?? [];
    list.push(decline);
    years.set(year, list);
  }
  return years;
}

/** `/jurisdictions/{id}/`: one jurisdiction's record. `asOf` is the publication's date. */
export function renderJurisdictionPage(history: JurisdictionHistory, view: SiteView, asOf: string): string {
  const path = jurisdictionPrefix(history.jurisdiction.id);
  const base = baseModel(history, path, view, asOf);
  const weeksNewestFirst = [...history.weeks].reverse();
  const years = declineYears(history);
  const shown = history.declines.slice(0, PAGE_DECLINES);
  return renderTemplate(jurisdictionTemplate, {
    ...base,
    yearPage: null,
    pageHref: null,
    weekCount: history.weeks.length,
    declineCount: history.declines.filter((d) => d.state !== 'withdrawn').length,
    chart: weeklyDeclinesChart(history.weeks, {
      id: 'chart-weeks',
      title: `Declines recorded, week by week: ${history.jurisdiction.name}`,
    }),
    chartLimited: history.weeks.length > 52,
    weeks: weeksNewestFirst.map((w) => ({
      href: `${base.siteRoot}${latestPrefix(w.week)}`,
      label: weekLabel(w.week),
      issuedShown: w.issued !== null,
      issued: w.issued ?? 0,
      declined: w.declined,
      revision: w.revision,
    })),
    declines: shown.map((d) => declineView(d, base.siteRoot)),
    shownCount: shown.length,
    years: [...years].map(([year, list]) => ({
      year,
      count: list.length,
      href: `${base.siteRoot}${jurisdictionYearPrefix(history.jurisdiction.id, year)}`,
    })),
    policies: history.policies.map((p) => ({
      enactedOn: formatDate(p.enactedOn, true),
      sourceHref: httpsUrl(p.source) ?? null,
      sourceText: p.source,
      type: p.type,
      summary: p.summary,
      criteria: p.criteria,
      repealedOn: p.repealedOn === null ? 'in force' : formatDate(p.repealedOn, true),
      listed:
        p.firstWeek === null || p.lastWeek === null
          ? 'in no published week'
          : p.firstWeek === p.lastWeek
            ? `week of ${formatDate(p.firstWeek, true)}`
            : `weeks of ${formatDate(p.firstWeek, true)} to ${formatDate(p.lastWeek, true)}`,
    })),
    disputes: history.disputes,
    corrections: history.corrections.map((c) => ({
      href: `${base.siteRoot}${revisionPrefix(c.week, c.revision)}#corrections-log`,
      label: weekLabel(c.week),
      revision: c.revision,
      ref: c.ref ?? '',
      change: describeChange(c.field, c.before, c.after),
      reason: c.reason,
    })),
  });
}

/** `/jurisdictions/{id}/_/declines/{year}/`: every decline of that year's weeks. */
export function renderJurisdictionYear(
  history: JurisdictionHistory,
  year: string,
  declines: readonly JurisdictionDecline[],
  view: SiteView,
  asOf: string,
): string {
  const path = jurisdictionYearPrefix(history.jurisdiction.id, year);
  const base = baseModel(history, path, view, asOf);
  return renderTemplate(jurisdictionTemplate, {
    ...base,
    title: `${base.title}: declines listed in ${year}`,
    yearPage: year,
    pageHref: `${base.siteRoot}${jurisdictionPrefix(history.jurisdiction.id)}`,
    declines: declines.map((d) => declineView(d, base.siteRoot)),
  });
}

function stateGroups(summaries: readonly JurisdictionSummary[], siteRoot: string) {
  const byState = new Map<string, JurisdictionSummary[]>();
  for (const s of [...summaries].sort(compareSummaries)) {
    const list = byState.get(s.state) ?? [];
    list.push(s);
    byState.set(s.state, list);
  }
  return [...byState].map(([code, list]) => ({
    code,
    name: stateName(code) ?? code,
    count: list.length,
    href: `${siteRoot}${jurisdictionStatePrefix(code)}`,
    jurisdictions: list.map((s) => ({
      href: `${siteRoot}${jurisdictionPrefix(s.id)}`,
      name: s.name,
      hasPolicy: s.hasPolicy,
      weeks: s.weeks,
      declines: s.declines,
      lastWeek: s.lastWeek === '' ? '' : formatDate(s.lastWeek, true),
    })),
  }));
}

/**
 * `/jurisdictions/`: every jurisdiction named, by state; above INDEX_BY_STATE_ABOVE it lists the
 * states, each at `/jurisdictions/_/state/{ST}/`, so no page passes the size limit.
 */
export function renderJurisdictionIndex(
  summaries: readonly JurisdictionSummary[],
  view: SiteView & { synthetic: boolean },
): { index: string; states: { code: string; page: string }[] } {
  const siteRoot = rootFrom('jurisdictions/');
  const byStateOnly = summaries.length > INDEX_BY_STATE_ABOVE;
  const groups = stateGroups(summaries, siteRoot);
  const common = {
    synthetic: view.synthetic,
    contactLine: view.contactLine ?? null,
    total: summaries.length,
  };
  const index = renderTemplate(jurisdictionsTemplate, {
    ...common,
    siteRoot,
    title: 'Every jurisdiction',
    statePage: false,
    indexHref: null,
    byStateOnly,
    states: groups,
  });
  if (!byStateOnly) return { index, states: [] };
  return {
    index,
    states: groups.map((group) => {
      const root = rootFrom(jurisdictionStatePrefix(group.code));
      return {
        code: group.code,
        page: renderTemplate(jurisdictionsTemplate, {
          ...common,
          siteRoot: root,
          title: `Every jurisdiction in ${group.name}`,
          statePage: true,
          indexHref: `${root}jurisdictions/`,
          byStateOnly: false,
          states: stateGroups(
            summaries.filter((s) => s.state === group.code),
            root,
          ),
        }),
      };
    }),
  };
}

/** The archive's declines.csv columns: the week, then declined.csv's (contract §4). */
export const ARCHIVE_DECLINES_COLUMNS = ['week', ...DECLINED_CSV_COLUMNS] as const;
export const WEEKLY_COLUMNS = [
  'week',
  'state',
  'jurisdiction_id',
  'jurisdiction',
  'issued',
  'declined',
] as const;

export const csvHeader = (columns: readonly string[]) => csvLines([columns]);

/** A week's rows of /data/declines.csv: its latest revision's declines, in Section II's order. */
export function weekDeclineRows(edition: Edition): string[][] {
  const rows: string[][] = [];
  for (const group of edition.sectionII) {
    for (const decline of group.declines)
      rows.push([edition.edition.week, ...declineCells(group.jurisdiction, decline)]);
  }
  return rows;
}

/**
 * A week's rows of /data/weekly.csv: one per jurisdiction its latest revision names, with the
 * figures shown there (issued only where Section I showed it, else empty; declined its rows in
 * Section II), by state, then name, then id.
 */
export function weekWeeklyRows(edition: Edition): string[][] {
  const issued = new Map(edition.sectionI.map((row) => [row.jurisdiction.id, row.issued]));
  const declined = new Map(edition.sectionII.map((g) => [g.jurisdiction.id, g.declines.length]));
  const named = new Map<string, JurisdictionName>();
  for (const group of edition.sectionII) named.set(group.jurisdiction.id, group.jurisdiction);
  for (const row of edition.sectionI)
    if (!named.has(row.jurisdiction.id)) named.set(row.jurisdiction.id, row.jurisdiction);
  for (const row of edition.sectionIII)
    if (!named.has(row.jurisdiction.id)) named.set(row.jurisdiction.id, row.jurisdiction);
  const ordered = [...named.values()]
    .map((j) => ({ ...j, weeks: 0, declines: 0, lastWeek: '', hasPolicy: false }))
    .sort(compareSummaries);
  return ordered.map((j) =>
    [
      edition.edition.week,
      j.state,
      j.id,
      j.name,
      issued.has(j.id) ? String(issued.get(j.id)) : '',
      String(declined.get(j.id) ?? 0),
    ].map(defuseFormula),
  );
}

/** A jurisdiction's declines.csv: /data/declines.csv's rows for it (its listed declines, by week). */
export function renderJurisdictionCsv(history: JurisdictionHistory): string {
  const rows = history.declines
    .filter((d) => d.state !== 'withdrawn')
    .sort((a, b) => (a.week < b.week ? -1 : a.week > b.week ? 1 : 0))
    .map((d) => [d.week, ...declineCells(d.listedAs ?? history.jurisdiction, d.row)]);
  return csvHeader(ARCHIVE_DECLINES_COLUMNS) + csvLines(rows);
}

/** /data/README: the data dictionary, the licence and the schema version. */
export function renderDataReadme(siteUrl: string): string {
  return `Declined Detainer Outcome Report: the archive as data
Schema version 1. Site: ${siteUrl}

Files (CSV: RFC 4180, UTF-8, CRLF line ends, a header row; a cell that starts with =, +, -, @,
a tab or a carriage return is prefixed with ' so that no spreadsheet runs it as a formula):

declines.csv
  Every decline in every edition's latest revision, oldest week first, each week in its Section
  II's order. Rebuilt after each publication; a corrected or voided record changes here only
  when its week is re-issued.
  week          the Saturday that starts the edition's week (YYYY-MM-DD)
  state         the jurisdiction's state or territory postal code
  jurisdiction_id, jurisdiction   the agency the decline is listed under (after a transfer, the
                agency that released the person)
  facility      where the person was held
  citizenship   as recorded; empty when not recorded
  offenses      "description (charged|convicted)", joined with "; "
  issued_on, declined_on, recorded_on   dates (YYYY-MM-DD); recorded_on is when the decline
                became known
  ref           the row's opaque public reference (accepted by POST /disputes)

weekly.csv
  One row per jurisdiction named in a week's latest revision (Sections I, II or III), with the
  figures that revision shows.
  week, state, jurisdiction_id, jurisdiction   as above
  issued        detainers issued in the week, where Section I (the ten with the most) showed
                it; empty otherwise (empty means not shown, not zero)
  declined      declines recorded in the week and listed under it in Section II

Per jurisdiction, /jurisdictions/{id}/declines.csv holds its rows of declines.csv, and
/jurisdictions/{id}/history.json its record (schemaVersion 1): policies, weeks, every decline
listed with its present state (listed, corrected, withdrawn), disputes and corrections.

Licence: the figures are published for anyone to reuse, with attribution to the Declined
Detainer Outcome Report and the edition cited. They are records as reported by agencies; see
each edition's Section IV for what they do and do not show.
`;
}
