import { describe, expect, it } from 'vitest';
import { renderCsv } from '#core/render/declined-csv';
import { renderEmail } from '#core/render/email';
import { archiveOf, renderIndex, summariseRevision } from '#core/render/home-page';
import { renderPage } from '#core/render/page';
import { hostileEdition } from '../fixtures/edition';
import { activeContent, attributeValues, parseCsv } from '../fixtures/markup';

/**
 * Every text field of the edition holds markup or a script URL (tests/fixtures/edition.ts). All of
 * it must come out as text: no element, attribute or link that the data chose.
 */
const EMAIL_VIEW = {
  reportUrl: 'https://ddor.example.org/reports/2017-01-28/',
  unsubscribeUrl: 'https://ddor.example.org/subscriptions/unsubscribe?token=t',
  contactLine: 'DDOR, PO Box 1',
  siteUrl: 'https://ddor.example.org/',
};

function renderings(): [string, string, { inlineStyle?: boolean }][] {
  const edition = hostileEdition();
  return [
    [
      'page',
      renderPage(edition, { siteUrl: 'https://ddor.example.org/', contactLine: '<b>contact</b>' }),
      {},
    ],
    ['email', renderEmail(edition, EMAIL_VIEW).html, { inlineStyle: true }],
    ['index', renderIndex(archiveOf([summariseRevision(edition)]), edition, { contactLine: '<b>c</b>' }), {}],
  ];
}

describe('hostile text in an edition', () => {
  for (const [name, html, options] of renderings()) {
    it(`renders inert in the ${name}`, () => {
      expect(activeContent(html, options)).toEqual([]);
      expect(html).not.toMatch(/<script/i);
      expect(html).not.toMatch(/<img/i);
      expect(html).not.toMatch(/<svg onload/i);
      expect(html).not.toMatch(/<b>/);
      expect(html).not.toMatch(/href="\s*javascript:/i);
      expect(attributeValues(html, 'href').every((href) => !/^\s*javascript:/i.test(href))).toBe(true);
    });
  }

  it('shows the payloads as text where they were typed', () => {
    const edition = hostileEdition();
    const page = renderPage(edition, { siteUrl: 'https://ddor.example.org/' });
    const email = renderEmail(edition, EMAIL_VIEW).html;
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toMatch(/&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert\(1\)&gt;/);
    // The policy source is not https: it is shown, not linked.
    expect(page).toContain('<small class="source">javascript:alert(1)</small>');
    // Text inside the chart is escaped by charts.ts.
    expect(page).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(email).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('does not link an earlier correction whose URL is not http(s)', () => {
    const html = renderPage(hostileEdition(), { siteUrl: 'https://ddor.example.org/' });
    expect(html).toMatch(/<li>Week of December 31, 2016 – January 6, 2017: re-issued/);
  });

  it('keeps a payload inside its CSV cell', () => {
    const rows = parseCsv(renderCsv(hostileEdition()));
    expect(rows.every((row) => row.length === 10)).toBe(true);
    expect(rows[1]?.[3]).toMatch(/^("><img|<script|'><svg)/);
  });
});
