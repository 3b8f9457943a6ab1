import { describe, expect, it } from 'vitest';
import { archiveOf, type RevisionSummary, renderIndex, summariseRevision } from '#core/render/home-page';
import { renderMessagePage } from '#core/render/message-page';
import { fixtureEdition } from '../fixtures/edition';
import { activeContent, attributeValues, startTags } from '../fixtures/markup';

function publishedRevisions(): RevisionSummary[] {
  const latest = summariseRevision(fixtureEdition());
  const first: RevisionSummary = {
    ...latest,
    revision: 1,
    publishedAt: '2017-02-06T14:00:00.000Z',
    corrections: 0,
  };
  const older: RevisionSummary = {
    ...first,
    week: '2017-01-21',
    weekEnd: '2017-01-27',
    publishedAt: '2017-01-30T14:00:00.000Z',
    headline: { issued: 2825, declined: 47, jurisdictionsWithDeclines: 20, statesWithDeclines: 9 },
  };
  return [older, latest, first];
}

describe('the archive', () => {
  it('groups revisions by week, newest week first, each with every revision', () => {
    const archive = archiveOf(publishedRevisions());
    expect(archive.map((entry) => [entry.week, entry.revision, entry.revisionCount])).toEqual([
      ['2017-01-28', 2, 2],
      ['2017-01-21', 1, 1],
    ]);
    expect(archive[0]?.revisions).toEqual([
      { revision: 1, publishedAt: '2017-02-06T14:00:00.000Z' },
      { revision: 2, publishedAt: '2017-02-12T14:30:00.000Z' },
    ]);
  });
});

describe('the home page', () => {
  it('shows the latest main points, the archive with re-issues marked, and the subscribe form', () => {
    // Act
    const html = renderIndex(archiveOf(publishedRevisions()), fixtureEdition(), {
      contactLine: 'DDOR, PO Box 1',
    });

    // Assess
    expect(html).toContain('Latest edition: Week of January 28 – February 3, 2017');
    expect(html).toContain('3,083 detainers and requests for notification were issued in the week');
    expect(html).toContain(
      '<a href="./reports/2017-01-28/">Read the full edition: week of January 28 – February 3, 2017</a>',
    );
    expect(html.indexOf('January 28 – February 3, 2017</a>')).toBeLessThan(
      html.indexOf('January 21 – 27, 2017</a>'),
    );
    expect(html).toContain(
      '<strong>Re-issued</strong>: <a href="./reports/2017-01-28/r1/">revision 1</a> (Feb 6, 2017), <a href="./reports/2017-01-28/r2/">revision 2</a> (Feb 12, 2017)',
    );
    expect(html).toContain('<td class="num">2,825</td><td class="num">47</td>');
    expect(html).toContain('<strong>Synthetic data.</strong>');
    expect(html).toContain('Contact: DDOR, PO Box 1');

    const form = startTags(html).find((tag) => tag.name === 'form');
    expect(form?.attributes).toEqual(
      expect.arrayContaining([
        { name: 'method', value: 'post' },
        { name: 'action', value: './subscriptions' },
      ]),
    );
    const input = startTags(html).find((tag) => tag.name === 'input');
    expect(input?.attributes).toEqual(
      expect.arrayContaining([
        { name: 'type', value: 'email' },
        { name: 'name', value: 'email' },
        { name: 'id', value: 'subscribe-email' },
      ]),
    );
    expect(html).toContain('<label for="subscribe-email">');
    expect(attributeValues(html, 'href')).toEqual(
      expect.arrayContaining(['./assets/site.css', './feed.xml']),
    );
    expect(activeContent(html)).toEqual([]);
  });

  it('renders before any edition exists', () => {
    const html = renderIndex([], undefined);
    expect(html).toContain('No edition has been published yet.');
    expect(html).not.toContain('Synthetic data');
  });
});

describe('message pages', () => {
  it('shows a title, a paragraph and an optional POST form with hidden fields', () => {
    const html = renderMessagePage({
      title: 'Unsubscribe',
      message: 'Press the button to stop the weekly email.',
      form: {
        action: '/subscriptions/unsubscribe?token=a&b',
        button: 'Unsubscribe',
        fields: [{ name: 'List-Unsubscribe', value: 'One-Click' }],
      },
    });
    expect(html).toContain('<h1>Unsubscribe</h1>');
    expect(html).toContain('<p>Press the button to stop the weekly email.</p>');
    expect(html).toContain(
      '<form class="action" method="post" action="/subscriptions/unsubscribe?token&#x3D;a&amp;b">',
    );
    expect(html).toContain('<input type="hidden" name="List-Unsubscribe" value="One-Click">');
    expect(html).toContain('<button type="submit">Unsubscribe</button>');
    expect(attributeValues(html, 'href')).toContain('/assets/site.css');
    expect(activeContent(html)).toEqual([]);
  });

  it('has no form when none is given, and escapes what it is given', () => {
    const html = renderMessagePage({
      title: '<script>alert(1)</script>',
      message: '"><img src=x onerror=alert(1)>',
    });
    expect(html).not.toContain('<form');
    expect(activeContent(html)).toEqual([]);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
