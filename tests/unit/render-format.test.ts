import { describe, expect, it } from 'vitest';
import { escapeXml, sectionIChart, trendChart } from '#core/render/charts';
import { dateIn, formatDate, formatDateRange, formatNumber, formatShare, plural } from '#core/render/format';
import { httpsUrl, httpUrl, siteRootUrl } from '#core/render/links';
import { fixtureEdition } from '../fixtures/edition';

describe('date formats', () => {
  it('writes a week within one month, across months and across years', () => {
    expect(formatDateRange('2017-02-04', '2017-02-10')).toBe('February 4 – 10, 2017');
    expect(formatDateRange('2017-01-28', '2017-02-03')).toBe('January 28 – February 3, 2017');
    expect(formatDateRange('2017-12-30', '2018-01-05')).toBe('December 30, 2017 – January 5, 2018');
  });

  it('has a short form for subjects and tables', () => {
    expect(formatDateRange('2017-01-28', '2017-02-03', true)).toBe('Jan 28 – Feb 3, 2017');
    expect(formatDateRange('2017-02-04', '2017-02-10', true)).toBe('Feb 4 – 10, 2017');
    expect(formatDateRange('2017-12-30', '2018-01-05', true)).toBe('Dec 30, 2017 – Jan 5, 2018');
    expect(formatDate('2017-09-02', true)).toBe('Sep 2, 2017');
  });

  it('takes the publication date in the report time zone, not UTC', () => {
    // 03:00 UTC on February 6 is still February 5 in New York.
    expect(dateIn('2017-02-06T03:00:00Z', 'America/New_York')).toBe('2017-02-05');
    expect(dateIn('2017-02-06T03:00:00Z', 'UTC')).toBe('2017-02-06');
  });

  it('rejects what is not a calendar date', () => {
    expect(() => formatDate('2017-13-01')).toThrow(RangeError);
    expect(() => formatDate('Feb 1')).toThrow(RangeError);
  });
});

describe('number formats', () => {
  it('groups thousands and keeps one decimal only when there is one', () => {
    expect(formatNumber(3083)).toBe('3,083');
    expect(formatNumber(1234567)).toBe('1,234,567');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(2937.54)).toBe('2,937.5');
    expect(formatNumber(4.0)).toBe('4');
    expect(formatNumber(-258)).toBe('-258');
  });

  it('never shows a non-zero share as 0%', () => {
    expect(formatShare(0.25)).toBe('25%');
    expect(formatShare(0.001)).toBe('under 1%');
    expect(formatShare(0)).toBe('0%');
  });

  it('pluralises with the count', () => {
    expect(plural(1, 'decline', 'declines')).toBe('1 decline');
    expect(plural(2060, 'decline', 'declines')).toBe('2,060 declines');
  });
});

describe('links', () => {
  it('lets only https policy sources become links', () => {
    expect(httpsUrl('https://example.org/p')).toBe('https://example.org/p');
    expect(httpsUrl('http://example.org/p')).toBeUndefined();
    expect(httpsUrl('javascript:alert(1)')).toBeUndefined();
    expect(httpsUrl(' JaVaScRiPt:alert(1)')).toBeUndefined();
    expect(httpsUrl('Board minutes (paper)')).toBeUndefined();
    expect(httpUrl('data:text/html,<script>')).toBeUndefined();
  });

  it('normalises the site root to end with a slash', () => {
    expect(siteRootUrl('http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000/');
    expect(() => siteRootUrl('ftp://example.org/')).toThrow(TypeError);
  });
});

describe('charts', () => {
  it('escapes every text it writes', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
    const edition = fixtureEdition();
    const row = edition.sectionI[0];
    if (!row) throw new Error('fixture has Section I rows');
    row.jurisdiction.name = '</text><script>alert(1)</script>';
    const svg = sectionIChart(edition.sectionI, { title: 'T <b>' });
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('<b>');
    expect(svg).toContain('&#60;/text&#62;&#60;script&#62;');
  });

  it('has a title and a description holding the numbers, and no style attribute', () => {
    const edition = fixtureEdition();
    const svg = sectionIChart(edition.sectionI, { title: 'Section I' });
    expect(svg).toMatch(/<svg[^>]*role="img"[^>]*aria-labelledby="chart-section-i-t chart-section-i-d"/);
    expect(svg).toContain('<title id="chart-section-i-t">Section I</title>');
    expect(svg).toContain('1. Amberfield County Sheriff (CA): 51 issued, 2 declined');
    expect(svg).not.toMatch(/\sstyle=/);

    const trend = trendChart(edition.trend, { title: 'Trend' });
    expect(trend).toContain('<desc id="chart-trend-d">');
    expect(trend).toContain('Detainers issued: 2,800, 2,825');
    expect(trend).not.toMatch(/\sstyle=/);
  });

  it('draws zero-height bars when every value is zero', () => {
    const svg = trendChart(
      [
        { week: '2017-01-21', issued: 0, declined: 0 },
        { week: '2017-01-28', issued: 0, declined: 0 },
      ],
      { title: 'Trend' },
    );
    expect(svg).not.toContain('NaN');
    expect(svg).not.toContain('Infinity');
  });
});
