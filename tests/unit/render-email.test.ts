import { describe, expect, it } from 'vitest';
import { EMAIL_ROW_LIMIT, emailSubject, renderEmail } from '#core/render/email';
import { editionWithDeclines, fixtureEdition } from '../fixtures/edition';
import { activeContent, attributeValues } from '../fixtures/markup';

const VIEW = {
  reportUrl: 'https://ddor.example.org/reports/2017-01-28/',
  unsubscribeUrl: 'https://ddor.example.org/subscriptions/unsubscribe?token=tok_123',
  contactLine: 'DDOR, PO Box 1, Springfield, ZZ 00000',
  siteUrl: 'https://ddor.example.org',
};

function firstRevision() {
  const edition = fixtureEdition();
  edition.edition.revision = 1;
  edition.corrections = [];
  edition.earlierCorrections = [];
  return edition;
}

describe('the edition email', () => {
  it('has the subject of the contract, marked when it carries corrections', () => {
    expect(emailSubject(firstRevision())).toBe(
      'Declined Detainer Outcome Report — week of Jan 28 – Feb 3, 2017',
    );

    const withEarlier = firstRevision();
    withEarlier.earlierCorrections = fixtureEdition().earlierCorrections;
    expect(emailSubject(withEarlier)).toBe(
      'Declined Detainer Outcome Report — week of Jan 28 – Feb 3, 2017 (corrections)',
    );
    expect(emailSubject(fixtureEdition())).toMatch(/ \(corrections\)$/);

    const newYear = firstRevision();
    newYear.edition.week = '2017-12-30';
    newYear.edition.weekEnd = '2018-01-05';
    expect(emailSubject(newYear)).toBe(
      'Declined Detainer Outcome Report — week of Dec 30, 2017 – Jan 5, 2018',
    );
    expect(renderEmail(newYear, VIEW).subject).toBe(emailSubject(newYear));
  });

  it('opens with a preheader holding the two headline numbers', () => {
    const { html } = renderEmail(firstRevision(), VIEW);
    expect(html).toMatch(
      /<div class="preheader"[^>]*>Synthetic data\. 3,083 detainers issued and 4 declines recorded in the week of Jan 28 – Feb 3, 2017\.<\/div>/,
    );
  });

  it('gives the main points, Section I, a button to the page, and the footer', () => {
    const { html } = renderEmail(firstRevision(), VIEW);
    expect(html).toContain('3,083 detainers and requests for notification were issued in the week');
    expect(html).toContain('Amberfield County Sheriff');
    expect(html).toContain('Cobalt Valley Detention Authority');
    expect(html).toMatch(
      /<a href="https:\/\/ddor\.example\.org\/reports\/2017-01-28\/"[^>]*>Read the full edition<\/a>/,
    );
    expect(html).toContain('because you subscribed to the weekly Declined Detainer Outcome Report');
    expect(attributeValues(html, 'href')).toContain(VIEW.unsubscribeUrl);
    expect(html).toContain('DDOR, PO Box 1, Springfield, ZZ 00000');
    expect(html).toContain('<strong>Synthetic data.</strong>');
  });

  it('lists corrections to earlier editions with absolute links', () => {
    const { html, text } = renderEmail(fixtureEdition(), VIEW);
    expect(html).toContain('Corrections to earlier editions');
    expect(html).toContain('<a href="https://ddor.example.org/reports/2016-12-31/r3/"');
    expect(html).toContain('re-issued as revision 3 on Feb 10, 2017 (2 changes)');
    expect(text).toContain(
      '- Week of December 31, 2016 – January 6, 2017: re-issued as revision 3 on Feb 10, 2017 (2 changes): https://ddor.example.org/reports/2016-12-31/r3/',
    );
  });

  it('inlines its CSS for mail clients and keeps only the dark-mode rules in a style block', () => {
    const { html } = renderEmail(firstRevision(), VIEW);
    expect(html).toMatch(/<td class="button" style="[^"]*background: #005ea2/);
    expect(html).toContain('@media (prefers-color-scheme: dark)');
    expect(html).not.toContain('.masthead {');
    expect(html).not.toMatch(/<img|<svg/i);
  });

  it('lists the rows of a short Section II', () => {
    const { html, text } = renderEmail(firstRevision(), VIEW);
    expect(html).toContain('R7QX2K9P');
    expect(html).toContain('Amberfield County Sheriff (CA): 2 declines');
    expect(text).toContain(
      '  - ref R7QX2K9P: Amberfield County Jail; declined Feb 1, 2017, recorded Feb 2, 2017',
    );
  });

  it('summarises a long Section II by state and stays under 100 KB with 2,000 declines', () => {
    const edition = editionWithDeclines(2000);
    const { html, text } = renderEmail(edition, VIEW);
    expect(2000).toBeGreaterThan(EMAIL_ROW_LIMIT);
    expect(html).toContain('Declines recorded, by state');
    expect(html).toMatch(
      /<th scope="row"[^>]*>California<\/th><td class="num"[^>]*>4<\/td><td class="num"[^>]*>200<\/td>/,
    );
    expect(html).not.toContain('R0000001');
    expect(text).toContain('California: 200 declines in 4 jurisdictions');
    expect(Buffer.byteLength(html)).toBeLessThan(100_000);
    expect(Buffer.byteLength(text)).toBeLessThan(20_000);
  });

  it('has a plain-text part that says the same, unescaped', () => {
    const edition = firstRevision();
    const row = edition.sectionI[1];
    if (!row) throw new Error('fixture has Section I rows');
    row.jurisdiction.name = "Hart & Vale County Sheriff's Office";
    const { text, html } = renderEmail(edition, VIEW);
    expect(text).toContain('DECLINED DETAINER OUTCOME REPORT\nWeek of January 28 – February 3, 2017');
    expect(text).toContain('*** SYNTHETIC DATA');
    expect(text).toContain('- 3,083 detainers and requests for notification were issued in the week');
    expect(text).toContain(
      "2. Hart & Vale County Sheriff's Office (TX): 37 issued, 1 declined; limiting policy in force: No",
    );
    expect(text).toContain(`Read the full edition: ${VIEW.reportUrl}`);
    expect(text).toContain(`Unsubscribe (one click, no account needed): ${VIEW.unsubscribeUrl}`);
    expect(text).toContain(VIEW.contactLine);
    expect(text).not.toMatch(/&amp;|&#|<[a-z]/);
    expect(html).toContain('Hart &amp; Vale County Sheriff');
  });

  it('runs no script', () => {
    expect(activeContent(renderEmail(fixtureEdition(), VIEW).html, { inlineStyle: true })).toEqual([]);
  });

  it('refuses URLs that are not http(s)', () => {
    expect(() => renderEmail(firstRevision(), { ...VIEW, unsubscribeUrl: 'javascript:alert(1)' })).toThrow(
      TypeError,
    );
    expect(() => renderEmail(firstRevision(), { ...VIEW, reportUrl: 'reports/2017-01-28/' })).toThrow(
      TypeError,
    );
  });

  it('gives the same bytes for the same edition', () => {
    const a = renderEmail(fixtureEdition(), VIEW);
    const b = renderEmail(fixtureEdition(), VIEW);
    expect(a).toEqual(b);
  });
});
