import { stringify } from 'csv-stringify/sync';
import type { Edition } from '#core/edition/model';

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

/** declined.csv: RFC 4180 (CRLF, quotes where needed), one row per decline in Section II's order. */
export function renderCsv(edition: Edition): string {
  const rows: string[][] = [];
  for (const group of edition.sectionII) {
    for (const decline of group.declines) {
      rows.push(
        [
          group.jurisdiction.state,
          group.jurisdiction.id,
          group.jurisdiction.name,
          decline.facility,
          decline.citizenship ?? '',
          decline.offenses.map((offense) => `${offense.description} (${offense.status})`).join('; '),
          decline.issuedOn,
          decline.declinedOn,
          decline.learnedOn,
          decline.ref,
        ].map(defuseFormula),
      );
    }
  }
  return stringify([[...DECLINED_CSV_COLUMNS], ...rows], { record_delimiter: 'windows' });
}
