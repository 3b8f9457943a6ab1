import { describe, expect, it } from 'vitest';
import { renderPage, renderRetiredPart, renderSectionIIPart, sectionIIParts } from '#core/render/page';
import { siteAssets } from '#core/render/site-assets';
import { fixtureEdition, heavyEdition } from '../fixtures/edition';
import { activeContent, attributeValues, startTags } from '../fixtures/markup';

const SITE = 'https://ddor.example.org/';

function inOrder(html: string, needles: string[]): boolean {
  const positions = needles.map((needle) => html.indexOf(needle));
  return positions.every((p, i) => p >= 0 && (i === 0 || p > (positions[i - 1] ?? -1)));
}

describe('the edition page', () => {
  it('opens with the week, the revision, the next edition and the headline numbers', () => {
    // Prepare
    const edition = fixtureEdition();
    edition.edition.revision = 1;
    edition.corrections = [];

    // Act
    const html = renderPage(edition, { siteUrl: SITE });

    // Assess
    expect(html).toContain('<h1>Week of January 28 – February 3, 2017</h1>');
    expect(html).toContain('1, published February 12, 2017 (provisional: late records may revise it)');
    expect(html).toContain('<dt>Next edition</dt><dd>February 13, 2017</dd>');
    expect(html).toContain('3,083 detainers and requests for notification were issued in the week');
    expect(html).toContain(
      '258 more than the previous week (2,825) and 145.5 above the 12-week average (2,937.5)',
    );
    expect(html).toContain('4 declines were recorded in the week: 43 fewer than the previous week (47)');
    expect(html).toContain('The declines were recorded for 3 jurisdictions in 2 states.');
    expect(html).toContain('Only recorded declines are counted');
    expect(html).not.toContain('Corrected edition');
  });

  it('says when a figure did not change', () => {
    const edition = fixtureEdition();
    edition.comparison.previousWeek.declined = 4;
    edition.headline = {
      ...edition.headline,
      declined: 1,
      jurisdictionsWithDeclines: 1,
      statesWithDeclines: 1,
    };
    const html = renderPage(edition, { siteUrl: SITE });
    expect(html).toContain('1 decline was recorded in the week: 3 fewer than the previous week (4)');
    expect(html).toContain('The decline was recorded for 1 jurisdiction in 1 state.');
    edition.headline.declined = 4;
    expect(renderPage(edition, { siteUrl: SITE })).toContain('the same as the previous week (4)');
  });

  it('shows the corrections notice and log on a re-issue', () => {
    const html = renderPage(fixtureEdition(), { siteUrl: SITE });
    expect(html).toContain('Corrected edition: revision 2, re-issued February 12, 2017');
    expect(html).toContain('2 changes to the records altered its figures');
    expect(html).toContain('href="#corrections-log"');
    expect(html).toContain('id="corrections-log"');
    expect(html).toContain('Elmstead County Sheriff (CA, ZZ0050000)');
    expect(html).toContain('The person was transferred to Dunmore before release.');
    expect(html).toContain('<a href="r1/">revision 1</a> · revision 2 (this page)');
    expect(html).not.toContain('provisional');
  });

  it('carries the synthetic banner only for synthetic data', () => {
    const synthetic = renderPage(fixtureEdition(), { siteUrl: SITE });
    expect(synthetic).toContain('<strong>Synthetic data.</strong>');
    const real = renderPage({ ...fixtureEdition(), synthetic: false }, { siteUrl: SITE });
    expect(real).not.toContain('Synthetic data');
  });

  it('titles the sections by what they count', () => {
    const html = renderPage(fixtureEdition(), { siteUrl: SITE });
    expect(
      inOrder(html, [
        'I. Most detainers issued this week, among jurisdictions with a limiting policy or a recorded decline</h2>',
        'II. Declines recorded this week, by jurisdiction</h2>',
        'III. Policies that limit cooperation</h2>',
        'IV. Scope, definitions and data quality</h2>',
      ]),
    ).toBe(true);
    expect(html).not.toMatch(/non-cooperative/i);
  });

  it('lists each section in the edition order', () => {
    const html = renderPage(fixtureEdition(), { siteUrl: SITE });
    const sectionI = html.slice(html.indexOf('id="section-i-caption"'));
    expect(
      inOrder(sectionI, [
        '<th scope="row"><a href="../../jurisdictions/ZZ0010000/">Amberfield County Sheriff</a></th>',
        '<th scope="row"><a href="../../jurisdictions/ZZ0020000/">Brightwater City Police</a></th>',
        '<th scope="row"><a href="../../jurisdictions/ZZ0030000/">Cobalt Valley Detention Authority</a></th>',
      ]),
    ).toBe(true);
    expect(inOrder(html, ['R7QX2K9P', 'R8MN4T2A', 'R2BC7D5E', 'R5HJ8K3L'])).toBe(true);
    expect(
      inOrder(html, [
        '<h3 id="state-CA">California: 3 declines in 2 jurisdictions</h3>',
        '<h3 id="state-TX">Texas',
      ]),
    ).toBe(true);
    const sectionIII = html.slice(html.indexOf('id="section-iii-caption"'));
    expect(inOrder(sectionIII, ['Cobalt Valley Detention Authority', 'Amberfield County Sheriff'])).toBe(
      true,
    );
  });

  it('groups Section II with a count per group and says what each row is', () => {
    const html = renderPage(fixtureEdition(), { siteUrl: SITE });
    // The jurisdiction heads its rows; its id shows only where a name repeats in a state.
    expect(html).toContain(
      '<tr><th rowspan="2"><a href="../../jurisdictions/ZZ0010000/">Amberfield County Sheriff</a><td>',
    );
    expect(html).not.toContain('(CA, ZZ0010000)</span>');
    expect(html).toContain('Transferred from Elmstead County Sheriff (CA, ZZ0050000) before release');
    expect(html).toContain('Lifted by ICE on Feb 3, 2017; still counted');
    expect(html).toContain('Request for notification');
    expect(html).toContain('Burglary (convicted); Driving without a licence (charged)');
    // The week ends in 2017: its dates are written without the year, and the caption says so.
    expect(html).toContain('<td>Jan 29<td>Feb 1<td>Feb 2\n');
    expect(html).toContain('(dates without a year are in 2017)');
  });

  it('says how a named jurisdiction disputes a row', () => {
    const html = renderPage(fixtureEdition(), {
      siteUrl: SITE,
      apiUrl: 'https://api.ddor.example.org',
      contactLine: 'DDOR, PO Box 1, Springfield',
    });
    expect(html).toContain('<code>POST https://api.ddor.example.org/disputes</code>');
    expect(html).toContain('jurisdiction token');
    expect(html).toContain('To write to the publisher instead: DDOR, PO Box 1, Springfield</p>');
    // The publisher's own line ends the paragraph: no full stop of ours after one of its own.
    const dotted = renderPage(fixtureEdition(), { siteUrl: SITE, contactLine: 'Write to DDOR, PO Box 1.' });
    expect(dotted).toContain('To write to the publisher instead: Write to DDOR, PO Box 1.</p>');
    expect(dotted).not.toContain('PO Box 1..');
  });

  it('draws both charts with a title and a description, and gives their numbers in tables', () => {
    const html = renderPage(fixtureEdition(), { siteUrl: SITE });
    expect(html).toContain('<title id="chart-section-i-t">');
    expect(html).toContain(
      '<desc id="chart-section-i-d">1. Amberfield County Sheriff (CA): 51 issued, 2 declined;',
    );
    expect(html).toContain('<title id="chart-trend-t">');
    expect(html).toContain('<desc id="chart-trend-d">');
    expect(html).toContain('<caption id="trend-caption">');
    expect(html).toContain(
      '<th scope="row">Jan 28, 2017 (this week)</th><td class="num">3,075</td><td class="num">4</td>',
    );
  });

  it('links the data, the feed, the archive and the stylesheet relative to where it is served', () => {
    const latest = renderPage(fixtureEdition(), { siteUrl: SITE });
    const hrefs = attributeValues(latest, 'href');
    expect(hrefs).toEqual(
      expect.arrayContaining(['report.json', 'declined.csv', '../../feed.xml', '../../#archive']),
    );
    expect(hrefs).toContain('../../assets/site.css');
    expect(latest).toContain('<a href="https://ddor.example.org/reports/2017-01-28/r2/">');

    const revision = renderPage(fixtureEdition(), {
      siteUrl: SITE,
      location: 'revision',
      supersededBy: { revision: 3, publishedAt: '2017-02-20T15:00:00Z' },
    });
    expect(attributeValues(revision, 'href')).toEqual(
      expect.arrayContaining([
        'report.json',
        '../../../feed.xml',
        '../../../assets/site.css',
        '../r1/',
        '../r3/',
      ]),
    );
    expect(revision).toContain('Revision 3 of this week, published February 20, 2017, replaces this one.');
    expect(siteAssets.map((asset) => asset.path)).toContain('assets/site.css');
  });

  it('links a policy source only when it is https', () => {
    const html = renderPage(fixtureEdition(), { siteUrl: SITE });
    expect(html).toContain('<a href="https://example.org/policies/cobalt-valley">Board resolution</a>');
    expect(html).toContain('<small class="source">Board minutes, 15 June 2015 (paper copy)</small>');
  });

  it('is accessible by construction: language, skip link, landmarks, headings in order, scoped headers', () => {
    const html = renderPage(fixtureEdition(), { siteUrl: SITE });
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(html).toContain('<a class="skip-link" href="#main">');
    expect(html).toContain('<main id="main"');
    const tags = startTags(html);
    for (const landmark of ['header', 'nav', 'main', 'footer'])
      expect(tags.some((t) => t.name === landmark)).toBe(true);
    const levels = tags.filter((t) => /^h[1-6]$/.test(t.name)).map((t) => Number(t.name.slice(1)));
    expect(levels[0]).toBe(1);
    levels.forEach((level, i) => {
      if (i > 0) expect(level - (levels[i - 1] ?? 1)).toBeLessThanOrEqual(1);
    });
    // A th with no scope is in HTML's "auto" state, which makes a th that starts a body row the
    // header of that row: Sections II and III leave it out to keep within the page weight.
    // Every other th says what it heads.
    tags.forEach((th, i) => {
      if (th.name !== 'th') return;
      const startsRow = tags[i - 1]?.name === 'tr';
      if (!startsRow) expect(th.attributes.map((a) => a.name)).toContain('scope');
    });
    for (const row of html.matchAll(/<tr>(<th(?: [^>]*)?>)/g)) {
      const header = row[1] ?? '';
      const before = row.input.slice(0, row.index);
      if (!header.includes('scope='))
        expect(before.lastIndexOf('<tbody>')).toBeGreaterThan(before.lastIndexOf('<thead>'));
    }
    expect(tags.filter((t) => t.name === 'table').length).toBe(
      tags.filter((t) => t.name === 'caption').length,
    );
  });

  it('runs no script and needs no inline style (strict CSP)', () => {
    const html = renderPage(fixtureEdition(), { siteUrl: SITE });
    expect(activeContent(html)).toEqual([]);
    expect(html).not.toMatch(/<style|<script/i);
  });

  it('handles a week with no declines, no Section I rows and no policies', () => {
    const edition = fixtureEdition();
    edition.sectionI = [];
    edition.sectionII = [];
    edition.sectionIII = [];
    edition.headline = { issued: 12, declined: 0, jurisdictionsWithDeclines: 0, statesWithDeclines: 0 };
    const html = renderPage(edition, { siteUrl: SITE });
    expect(html).toContain('No decline was recorded this week.');
    expect(html).toContain('No jurisdiction met these conditions this week.');
    expect(html).toContain('No policy is recorded as in force at the end of this week.');
    expect(html).not.toContain('id="chart-section-i"');
  });

  it('is at most 100,000 bytes for a week of 200 declines shaped like the first 2017 edition', () => {
    // The contract's own example headline: 206 declines in 52 jurisdictions of 16 states.
    const edition = heavyEdition({ declines: 206, jurisdictions: 52, states: 16, policies: 118 });
    const html = renderPage(edition, { siteUrl: SITE });
    expect(html.match(/<tr>(<th[^>]*><a [^>]*>[^<]*<\/a>)?<td>R/g)?.length).toBe(206);
    expect(sectionIIParts(edition, { siteUrl: SITE })).toEqual([]);
    expect(Buffer.byteLength(html)).toBeLessThanOrEqual(100_000);
  });

  it('keeps a week of 200 declines spread thinly within 100,000 bytes, its rows on a page of their own', () => {
    // One decline in each of 200 jurisdictions, 150 policies: Section II and III alone would be
    // over the budget, so the rows move to a part, and the edition links it.
    const edition = heavyEdition({ declines: 200, jurisdictions: 200, states: 51, policies: 150 });
    const parts = sectionIIParts(edition, { siteUrl: SITE });
    expect(parts.map((part) => part.rows)).toEqual([200]);
    for (const location of ['latest', 'revision'] as const) {
      const html = renderPage(edition, { siteUrl: SITE, location });
      expect(Buffer.byteLength(html)).toBeLessThanOrEqual(100_000);
      expect(html).not.toContain('<table class="data declines">');
      expect(html).toContain('the rows are on a page of their own:');
      expect(html).toContain('<a href="_/section-ii/1/">Part 1: Alaska – Wyoming</a> (200 declines)');
    }
    const part = renderSectionIIPart(edition, { siteUrl: SITE }, 1);
    const refs = edition.sectionII.flatMap((group) => group.declines.map((row) => row.ref));
    expect([...part.matchAll(/<td>(R[\w-]{20})\n?<td>/g)].map((m) => m[1])).toEqual(refs);
    // A draft keeps every row on its one page (it has no part pages), and says where they will be.
    const draft = renderPage(edition, { siteUrl: SITE, draft: true });
    expect(draft).toContain('<table class="data declines">');
    expect(draft).not.toContain('section-ii/1/');
    expect(draft).toContain('Published, these rows will be on 1 page of their own');
    expect(renderPage(fixtureEdition(), { siteUrl: SITE, draft: true })).not.toContain(
      'Published, these rows',
    );
  });

  it('continues Section II on pages of its own for a week of 5,000 declines, none over 400,000 bytes', () => {
    const edition = heavyEdition({ declines: 5_000, jurisdictions: 1_500, states: 51, policies: 150 });
    const page = renderPage(edition, { siteUrl: SITE });
    const parts = sectionIIParts(edition, { siteUrl: SITE });
    expect(parts.length).toBeGreaterThan(1);
    // Every row is on exactly one part, in Section II's order.
    const refs = edition.sectionII.flatMap((group) => group.declines.map((row) => row.ref));
    const pages = parts.map((part) => renderSectionIIPart(edition, { siteUrl: SITE }, part.number));
    const shown = pages.flatMap((html) => [...html.matchAll(/<td>(R[\w-]{20})\n?<td>/g)].map((m) => m[1]));
    expect(shown).toEqual(refs);
    for (const html of [page, ...pages]) expect(Buffer.byteLength(html)).toBeLessThanOrEqual(400_000);
    // The edition lists the parts, and its state index points into them.
    expect(page).not.toContain('<table class="data declines">');
    for (const part of parts)
      expect(page).toContain(`<a href="_/section-ii/${part.number}/">Part ${part.number}: `);
    expect(page).toMatch(/<a href="_\/section-ii\/1\/#state-AL">Alabama<\/a>/);
    // Each part links the others and its neighbours, back to the edition, and the site's stylesheet.
    const second = pages[1] ?? '';
    expect(second).toContain('<a href="../../../_/section-ii/1/" rel="prev">Previous part</a>');
    expect(second).toContain('<a href="../../../_/section-ii/3/" rel="next">Next part</a>');
    expect(second).toContain('<a href="../../../#section-ii">Back to the edition</a>');
    expect(second).toContain('href="../../../../../assets/site.css"');
    expect(second).toContain('aria-current="page">Part 2: ');
  });

  it('keeps a draft within what it can show: every row up to 5,000, never a link to a part page it has not', () => {
    // A draft is served by the intake API, which has no part pages.
    const large = heavyEdition({ declines: 2_500, jurisdictions: 400, states: 20, policies: 0 });
    const inline = renderPage(large, { siteUrl: SITE, draft: true });
    expect(inline.match(/<tr>(<th[^>]*><a [^>]*>[^<]*<\/a>)?<td>R/g)?.length).toBe(2_500);
    expect(inline).not.toContain('section-ii/');
    // It says what the published edition will do with them (as published: four parts).
    expect(sectionIIParts(large, { siteUrl: SITE })).toHaveLength(4);
    expect(inline).toContain('Published, these rows will be on 4 pages of their own');
    const huge = heavyEdition({ declines: 5_001, jurisdictions: 1_500, states: 51, policies: 0 });
    const page = renderPage(huge, { siteUrl: SITE, draft: true });
    expect(page).not.toContain('<table class="data declines">');
    expect(page).not.toContain('section-ii/');
    expect(page).toContain('they are in its <code>draft.json</code>');
    expect(page).toMatch(/<li>Part 1: Alaska – [A-Z][a-z ]+ \(\d[\d,]* declines\)<\/li>/);
    expect(page).toMatch(/<li>Alabama \(\d+\)<\/li>/);
  });

  it('cuts a part at a jurisdiction boundary, and carries on a jurisdiction too long for one part', () => {
    const edition = heavyEdition({ declines: 2_500, jurisdictions: 1, states: 1, policies: 0 });
    const parts = sectionIIParts(edition, { siteUrl: SITE });
    expect(parts.map((part) => part.rows)).toEqual([834, 834, 832]);
    const second = renderSectionIIPart(edition, { siteUrl: SITE }, 2);
    expect(second).toContain('Synthetic County 1 Sheriff’s Office (continued)');
    expect(() => renderSectionIIPart(edition, { siteUrl: SITE }, 4)).toThrow(/no part 4/);
  });

  it('says where a retired part went, its links resolving from the part path of either folder', () => {
    const edition = fixtureEdition();
    const { week, revision } = edition.edition;
    for (const location of ['latest', 'revision'] as const) {
      const folder = location === 'latest' ? `reports/${week}/` : `reports/${week}/r${revision}/`;
      const html = renderRetiredPart(edition, { siteUrl: SITE, location }, 3);
      const at = new URL(`${folder}_/section-ii/3/`, SITE);
      const stylesheet = startTags(html)
        .find((tag) => tag.attributes.some((a) => a.name === 'rel' && a.value === 'stylesheet'))
        ?.attributes.find((a) => a.name === 'href');
      expect(new URL(stylesheet?.value ?? '', at).href).toBe(`${SITE}assets/site.css`);
      expect(html).toContain('Section II, part 3: no longer a page of its own');
      expect(html).toContain(`${SITE}${folder}`);
    }
  });

  it('gives the same bytes for the same edition', () => {
    const a = renderPage(fixtureEdition(), { siteUrl: SITE });
    const b = renderPage(fixtureEdition(), { siteUrl: SITE });
    expect(a).toBe(b);
  });
});
