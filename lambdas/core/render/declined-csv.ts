import { stringify } from 'csv-stringify/sync';
import type { DeclineRow, Edition, JurisdictionName } from '#core/edition/model';

/** The header of declined.csv (CONTRACT.md section 4): fixed, in this order. */
export const DECLINED_CSV_COLUMNS = [
  'state',
  'jurisdiction_id',
  'jurisdiction',
  'facility',
  'citizenship',
  'offenses',
  'issued_on',
  'declined_on',
  'recorded_on',
  'ref',
] as const;

/**
 * A cell a spreadsheet would run as a formula is prefixed with `'` (CONTRACT.md section 4), so
 * that opening the file never executes text typed in by someone else.
 */
export function defuseFormula(cell: string): string {
  // A leading tab or carriage return too: spreadsheets skip it and then read the formula behind it.
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

/** One row of declined.csv, its cells defused: the archive's CSVs reuse it (contract §4). */
export function declineCells(jurisdiction: JurisdictionName, decline: DeclineRow): string[] {
  return [
    jurisdiction.state,
    jurisdiction.id,
    jurisdiction.name,
    decline.facility,
    decline.citizenship ?? '',
    decline.offenses.map((offense) => `${offense.description} (${offense.status})`).join('; '),
    decline.issuedOn,
    decline.declinedOn,
    decline.learnedOn,
    decline.ref,
  ].map(defuseFormula);
}

/** RFC 4180 lines (CRLF, quotes where needed): every CSV file of the site, or blocks of one. */
export function csvLines(rows: readonly (readonly string[])[]): string {
  return rows.length === 0
    ? ''
    : stringify(
        rows.map((row) => [...row]),
        { record_delimiter: 'windows' },
      );
}

/** declined.csv: a header and one row per decline in Section II's order. */
export function renderCsv(edition: Edition): string {
  const rows = edition.sectionII.flatMap((group) =>
    group.declines.map((decline) => declineCells(group.jurisdiction, decline)),
  );
  return csvLines([DECLINED_CSV_COLUMNS, ...rows]);
}
