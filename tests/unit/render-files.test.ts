import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderFeed } from '#core/render/atom-feed';
import { csvLines, DECLINED_CSV_COLUMNS, defuseFormula, renderCsv } from '#core/render/declined-csv';
import { summariseRevision } from '#core/render/home-page';
import { fixtureEdition } from '../fixtures/edition';
import { parseCsv } from '../fixtures/markup';

describe('declined.csv', () => {
  it('has the contract header and one CRLF row per decline in Section II order', () => {
    // Act
    const csv = renderCsv(fixtureEdition());

    // Assess
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(
      'state,jurisdiction_id,jurisdiction,facility,citizenship,offenses,issued_on,declined_on,recorded_on,ref',
    );
    expect(DECLINED_CSV_COLUMNS.join(',')).toBe(lines[0]);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const rows = parseCsv(csv).slice(1);
    expect(rows.map((row) => row[9])).toEqual(['R7QX2K9P', 'R8MN4T2A', 'R2BC7D5E', 'R5HJ8K3L']);
    expect(rows[0]).toEqual([
      'CA',
      'ZZ0010000',
      'Amberfield County Sheriff',
      'Amberfield County Jail',
      'Freedonia',
      'Burglary (convicted); Driving without a licence (charged)',
      '2017-01-29',
      '2017-02-01',
      '2017-02-02',
      'R7QX2K9P',
    ]);
    // No citizenship and no offenses: empty cells, not "undefined".
    expect(rows[1]?.slice(4, 6)).toEqual(['', '']);
    // The transferred row is listed under the jurisdiction that released the person.
    expect(rows[2]?.slice(0, 3)).toEqual(['CA', 'ZZ0040000', 'Dunmore Township Jail']);
  });

  it('quotes commas, quotes and line breaks (RFC 4180)', () => {
    const edition = fixtureEdition();
    const group = edition.sectionII[0];
    const row = group?.declines[0];
    if (!group || !row) throw new Error('fixture has Section II rows');
    group.jurisdiction.name = 'Amberfield County, "North" Sheriff';
    row.facility = 'Jail\r\nAnnex';
    const csv = renderCsv(edition);
    expect(csv).toContain('"Amberfield County, ""North"" Sheriff"');
    expect(parseCsv(csv)[1]?.slice(2, 4)).toEqual(['Amberfield County, "North" Sheriff', 'Jail\r\nAnnex']);
  });

  it('writes the same bytes as csv-stringify, the library it replaced, and reads back as written', () => {
    // Cells from an alphabet of the characters that matter, so quoting is exercised often.
    const unit = (breaks: boolean) =>
      fc.constantFrom('"', ',', ' ', 'a', 'é', "'", ';', ...(breaks ? ['\r', '\n', '\r\n'] : ['\r\n']));
    const rowsOf = (breaks: boolean) =>
      fc.array(
        fc.array(fc.oneof(fc.string({ unit: unit(breaks) }), fc.string()), { minLength: 1, maxLength: 6 }),
        {
          minLength: 1,
          maxLength: 8,
        },
      );
    // csv-stringify leaves a lone CR or LF unquoted (it looks only for its record delimiter,
    // CRLF), which splits the record for any reader; ours quotes every line break, so the bytes
    // are compared where the two agree, and every case must read back as written.
    const lone = /\r(?!\n)|(?<!\r)\n/;
    fc.assert(
      fc.property(rowsOf(false), (rows) => {
        if (rows.some((row) => row.some((cell) => lone.test(cell)))) return;
        expect(csvLines(rows)).toBe(stringify(rows, { record_delimiter: 'windows' }));
      }),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(rowsOf(true), (rows) => {
        for (const cell of rows.flat()) {
          // A cell with a quote, a comma or any line break is quoted, whole.
          if (/[",\r\n]/.test(cell)) expect(csvLines([[cell]])).toBe(`"${cell.replaceAll('"', '""')}"\r\n`);
          else expect(csvLines([[cell]])).toBe(`${cell}\r\n`);
        }
        const normalised = rows.map((row) => (row.length === 1 && row[0] === '' ? [] : row));
        expect(parseCsv(csvLines(rows)).map((row) => (row.length === 1 && row[0] === '' ? [] : row))).toEqual(
          normalised,
        );
      }),
      { numRuns: 400 },
    );
  });

  it("prefixes a cell that a spreadsheet would run as a formula with '", () => {
    expect(defuseFormula('=HYPERLINK("http://x","y")')).toBe('\'=HYPERLINK("http://x","y")');
    expect(defuseFormula('+1')).toBe("'+1");
    expect(defuseFormula('-2+3')).toBe("'-2+3");
    expect(defuseFormula('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(defuseFormula('\t=1+1')).toBe("'\t=1+1");
    expect(defuseFormula('\r=1+1')).toBe("'\r=1+1");
    expect(defuseFormula('Burglary (convicted)')).toBe('Burglary (convicted)');

    const edition = fixtureEdition();
    const row = edition.sectionII[0]?.declines[0];
    if (!row) throw new Error('fixture has Section II rows');
    row.facility = '=cmd|" /C calc"!A0';
    row.citizenship = '@evil';
    row.offenses = [{ description: '-1+1', status: 'charged' }];
    const parsed = parseCsv(renderCsv(edition))[1];
    expect(parsed?.[3]).toBe('\'=cmd|" /C calc"!A0');
    expect(parsed?.[4]).toBe("'@evil");
    expect(parsed?.[5]).toBe("'-1+1 (charged)");
  });

  it('is a header only for a week with no declines', () => {
    const edition = fixtureEdition();
    edition.sectionII = [];
    expect(renderCsv(edition)).toBe(`${DECLINED_CSV_COLUMNS.join(',')}\r\n`);
  });
});

describe('feed.xml', () => {
  const site = 'https://ddor.example.org';

  function revisions() {
    const second = fixtureEdition();
    const first = summariseRevision(second);
    first.revision = 1;
    first.publishedAt = '2017-02-06T14:00:00.000Z';
    first.corrections = 0;
    const nextWeek = {
      ...first,
      week: '2017-02-04',
      weekEnd: '2017-02-10',
      publishedAt: '2017-02-13T14:00:00.000Z',
    };
    return { second, first, nextWeek };
  }

  it('is an Atom feed with one entry per revision, re-issues included, newest first', () => {
    const { second, first, nextWeek } = revisions();
    const xml = renderFeed([first, second, nextWeek], site);

    expect(
      xml.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'),
    ).toBe(true);
    expect(xml).toContain('<id>https://ddor.example.org/</id>');
    expect(xml).toContain('<link rel="self" href="https://ddor.example.org/feed.xml"/>');
    expect(xml).toContain('<updated>2017-02-13T14:00:00.000Z</updated>');
    expect(xml).toMatch(/<author>\s*<name>Declined Detainer Outcome Report<\/name>/);

    const entries = [...xml.matchAll(/<entry>([\s\S]*?)<\/entry>/g)].map((m) => m[1] ?? '');
    expect(entries).toHaveLength(3);
    const ids = entries.map((entry) => /<id>([^<]+)<\/id>/.exec(entry)?.[1]);
    expect(ids).toEqual([
      'https://ddor.example.org/reports/2017-02-04/r1/',
      'https://ddor.example.org/reports/2017-01-28/r2/',
      'https://ddor.example.org/reports/2017-01-28/r1/',
    ]);
    for (const entry of entries) {
      expect(entry).toMatch(/<title type="html">/);
      expect(entry).toMatch(/<link href="https:\/\/ddor\.example\.org\/reports\/[0-9-]+\/r\d\/"\/>/);
      expect(entry).toMatch(/<updated>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z<\/updated>/);
    }
    expect(entries[1]).toContain('Week of Jan 28 – Feb 3, 2017: corrected, revision 2');
    expect(entries[1]).toContain('Re-issued as revision 2 after 2 corrections.');
    expect(entries[2]).toContain(
      '3,083 detainers issued; 4 declines recorded, in 3 jurisdictions in 2 states.',
    );
  });

  it('is well formed: every element closed, no stray markup from the data', () => {
    const { second, first } = revisions();
    const xml = renderFeed([first, second], site);
    const stack: string[] = [];
    const body = xml.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '').replace(/^<\?xml[^>]*\?>/, '');
    for (const match of body.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^>]*?(\/?)>/g)) {
      if (match[3] === '/') continue;
      if (match[1] === '/') expect(stack.pop()).toBe(match[2]);
      else stack.push(match[2] ?? '');
    }
    expect(stack).toEqual([]);
  });

  it('does not depend on the clock and accepts editions or summaries alike', () => {
    const { second, first } = revisions();
    const a = renderFeed([first, second], site);
    const b = renderFeed([second, first], `${site}/`);
    expect(a).toBe(b);
    expect(renderFeed([], site)).toContain('<updated>1970-01-01T00:00:00.000Z</updated>');
  });
});
