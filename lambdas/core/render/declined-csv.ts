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

/** A cell as RFC 4180 writes it: quoted only if it holds a quote, a comma or a line break. */
function csvCell(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

/**
 * RFC 4180 lines (CRLF after every record, quotes where needed): every CSV file of the site, or
 * blocks of one. Written here rather than with csv-stringify (11 KB in the publisher's bundle for
 * these lines, and it left a lone CR or LF unquoted); a property test holds the two byte for byte
 * equal wherever csv-stringify quotes correctly.
 */
export function csvLines(rows: readonly (readonly string[])[]): string {
  let out = '';
  for (const row of rows) out += `${row.map(csvCell).join(',')}\r\n`;
  return out;
}

/** declined.csv: a header and one row per decline in Section II's order. */
export function renderCsv(edition: Edition): string {
  const rows = edition.sectionII.flatMap((group) =>
    group.declines.map((decline) => declineCells(group.jurisdiction, decline)),
  );
  return csvLines([DECLINED_CSV_COLUMNS, ...rows]);
}
