/**
 * End to end, as people meet the product: the real local stack in a child process (tsx
 * local/start.ts, a fresh DATA_DIR, free ports), driven over HTTP only and through its commands;
 * then the edition, the archive and the subscriber's email in headless Chromium (Debian's, see
 * ensure-chromium.ts), checked for what a reader sees, broken links, console errors (CSP
 * violations included), accessibility (axe-core, WCAG 2.1 A and AA) and overflow on a phone.
 * Screenshots go to test-results/screenshots/. Fictional data only (fixture.ts).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import AxeBuilder from '@axe-core/playwright';
import { parseFeed } from '@rowanmanning/feed-parser';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editionRenderer } from '#lambdas/edition/publish/publisher';
import { S3RVER_CREDENTIALS } from '#local/emulators';
import { heavyEdition } from '../fixtures/edition';
import { apiClient } from '../support/api';
import type { SentMail } from '../support/local-stack';
import { CHROMIUM_ARGS, chromiumPath, ensureChromium } from './ensure-chromium';
import { EXPECTED_WEEK_1, EXPECTED_WEEK_2, JURISDICTIONS, OUTCOMES, WEEK_1, WEEK_2 } from './fixture';
import { lighthouseAudit } from './lighthouse-audit';
import { describeMessage, nuCheck } from './nu-checker';
import { spamVerdict } from './spam-check';
import { PROJECT_ROOT, runCommand, type StackProcess, startStackProcess } from './stack-process';

const SCREENSHOTS = join(PROJECT_ROOT, 'test-results', 'screenshots');
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

const READER = 'synthetic-reader@example.org';
const OTHER_READER = 'synthetic-colleague@example.org';

let running: StackProcess | undefined;
/** Every page the browser tests opened (its URL), for the Nu HTML Checker at the end. */
const visited = new Set<string>();
/** The subscription endpoints' HTML answers, as served (a POST's answer cannot be fetched again). */
const answers = new Map<string, string>();

/** Keeps an answer's body for the Nu HTML Checker when it is HTML; the body, either way. */
async function keepAnswer(name: string, response: Response): Promise<string> {
  const body = await response.text();
  if ((response.headers.get('content-type') ?? '').startsWith('text/html')) answers.set(name, body);
  return body;
}
let browser: Browser | undefined;
let intakeToken: string;

function stack(): StackProcess {
  if (running === undefined) throw new Error('the local stack did not start (see beforeAll)');
  return running;
}

function newContext(viewport: { width: number; height: number }): Promise<BrowserContext> {
  if (browser === undefined) throw new Error('Chromium did not start (see beforeAll)');
  return browser.newContext({ viewport });
}

function gateway(): string {
  return stack().stack.gateway;
}

async function sentMail(): Promise<SentMail[]> {
  const response = await fetch(stack().stack.urls.mailStore);
  expect(response.status).toBe(200);
  return ((await response.json()) as { emails: SentMail[] }).emails;
}

function header(mail: SentMail, name: string): string | undefined {
  return mail.headers?.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
}

/** A page that records every console error, uncaught exception and failed request. */
async function openPage(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const line = `console error: ${message.text()} [${message.location().url}]`;
    problems.push(line);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) =>
    problems.push(`request failed: ${request.url()} (${request.failure()?.errorText ?? '?'})`),
  );
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
    if (response.request().isNavigationRequest() && response.status() === 200) visited.add(response.url());
  });
  return { page, problems };
}

async function axeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  return results.violations.map(
    (v) => `${v.id} (${v.impact ?? '?'}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

/**
 * Words of data table cells drawn on more than one line ("St / ate"): each word of each cell's
 * text (split at spaces, and after a hyphen, where a line may break), measured as a DOM range; a word whose pieces start at different heights was
 * broken. A URL may break (it is longer than any column on a phone), nothing else. A string: the
 * test's TypeScript has no DOM types.
 */
const BROKEN_WORDS = `(() => {
  const broken = [];
  for (const cell of document.querySelectorAll('table:not([role="presentation"]) :is(th, td, caption)')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/[^\\s-]+-?/g)) {
        if (match[0].includes('://')) continue;
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (tops.size > 1) broken.push(match[0] + ' (in "' + cell.textContent.trim().slice(0, 60) + '")');
      }
    }
  }
  return broken;
})()`;

async function brokenWords(page: Page): Promise<string[]> {
  return (await page.evaluate(BROKEN_WORDS)) as string[];
}

/** Full-page screenshots at phone and desktop size; checks the page never scrolls sideways. */
async function screenshots(page: Page, name: string): Promise<void> {
  for (const [label, size] of [
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ] as const) {
    await page.setViewportSize(size);
    // A string: the test's TypeScript has no DOM types.
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    expect(overflow, `${name} scrolls sideways at ${label} size`).toBeLessThanOrEqual(0);
    expect(
      await brokenWords(page),
      `${name}: words of table cells broken across lines at ${label} size`,
    ).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${label}.png`), fullPage: true });
  }
}

/** The text as rendered for a reader (CSS applied, hidden text left out). */
function seen(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is what a reader sees, on purpose.
  return locator.innerText();
}

/** The little of the DOM the page functions below use (the tests are compiled without DOM types). */
interface DomNode {
  readonly textContent: string | null;
  readonly href?: string;
  querySelectorAll(selector: string): ArrayLike<DomNode>;
}

/** Each row's cells' text, for the rows `selector` matches. */
async function rowTexts(page: Page, selector: string): Promise<string[][]> {
  return page
    .locator(selector)
    .evaluateAll((rows: DomNode[]) =>
      rows.map((row) =>
        Array.from(row.querySelectorAll('th, td')).map((cell) => cell.textContent?.trim() ?? ''),
      ),
    );
}

async function publish(week: string): Promise<string> {
  const result = await runCommand(stack().dataDir, 'publish.ts', ['--week', week]);
  expect(result.code, `npm run publish -- --week ${week}\n${result.stdout}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

beforeAll(async () => {
  const problem = ensureChromium();
  if (problem !== undefined) throw new Error(problem);
  await mkdir(SCREENSHOTS, { recursive: true });
  const [started, launched] = await Promise.allSettled([
    startStackProcess(),
    chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS }),
  ]);
  // Whichever started is kept, so that afterAll stops it even when the other failed.
  if (started.status === 'fulfilled') running = started.value;
  if (launched.status === 'fulfilled') browser = launched.value;
  if (started.status === 'rejected') throw started.reason;
  if (launched.status === 'rejected') throw launched.reason;
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await running?.stop();
}, 60_000);

describe('the local stack, driven over HTTP', () => {
  it('prints its URLs and the demo hint, and gives an admin token that can create clients', async () => {
    expect(stack().output()).toContain('Load the synthetic demo data with: npm run demo');
    expect(stack().output()).toContain(gateway());
    const admin = apiClient(gateway(), stack().adminToken);
    const created = await admin.call<{ token: string; role: string }>('POST', '/clients', {
      name: 'End-to-end intake client (synthetic)',
      role: 'intake',
    });
    expect(created.status).toBe(201);
    expect(created.body.role).toBe('intake');
    intakeToken = created.body.token;
  });

  it('records the fixture weeks and policies with the new client token', async () => {
    const intake = apiClient(gateway(), intakeToken);
    for (const { id, body } of JURISDICTIONS) {
      const answer = await intake.call('PUT', `/jurisdictions/${id}`, body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    }
    const answer = await intake.call<{ results: { result: string }[] }>('POST', '/outcomes', {
      outcomes: OUTCOMES,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.results.map((r) => r.result)).toEqual(OUTCOMES.map(() => 'created'));
  });

  it('subscribes two readers, who confirm through the link in their confirmation email', async () => {
    for (const address of [READER, OTHER_READER]) {
      const answer = await apiClient(gateway(), undefined).call('POST', '/subscriptions', { email: address });
      expect(answer.status).toBe(202);
      // The confirmation goes out from a queue, a moment after the answer.
      let confirmation: SentMail | undefined;
      for (let waited = 0; confirmation === undefined && waited < 15_000; waited += 200) {
        confirmation = (await sentMail()).find(
          (m) => m.destination.to.includes(address) && m.subject.startsWith('Confirm your subscription'),
        );
        if (confirmation === undefined) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(confirmation, `a confirmation email to ${address}`).toBeDefined();
      const link = /https?:\/\/\S+\/subscriptions\/confirm\?token=[^\s"<>]+/.exec(
        confirmation?.body.text ?? '',
      )?.[0];
      expect(link).toBeDefined();
      expect(link?.startsWith(gateway())).toBe(true);
      // Opening the link shows a button; pressing it (the form's POST) confirms.
      const page = await fetch(link ?? '');
      expect(page.status).toBe(200);
      expect(await keepAnswer('confirmation page', page)).toMatch(
        /<form[^>]+method="post"[\s\S]*Confirm my subscription/,
      );
      const confirmed = await fetch(link ?? '', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      });
      expect(confirmed.status).toBe(200);
      expect(await keepAnswer('confirmed page', confirmed)).toMatch(/confirmed/i);
    }
  });

  it('publishes week 1 with the publish command, emailing both readers', async () => {
    const out = await publish(WEEK_1);
    expect(out).toContain(`published the week of ${WEEK_1}: revision 1`);
    expect(out).toContain(`page: ${gateway()}/reports/${WEEK_1}/`);
    expect(out).toContain('emails sent for this edition: 2');
  }, 120_000);
});

describe('what a reader sees in the browser', () => {
  const pageUrl = () => `${gateway()}/reports/${WEEK_1}/`;

  it('the edition page: headline, sections, charts, downloads; no console error or axe violation', async () => {
    const context = await newContext(DESKTOP);
    try {
      const { page, problems } = await openPage(context);
      const response = await page.goto(pageUrl());
      expect(response?.status()).toBe(200);

      await expect.poll(() => page.locator('.banner-synthetic').first().isVisible()).toBe(true);
      expect(await seen(page.locator('.banner-synthetic').first())).toContain('Synthetic data');
      expect(await seen(page.locator('h1'))).toBe(EXPECTED_WEEK_1.heading);
      expect(await seen(page.locator('.release-meta'))).toContain('provisional');

      const points = await page.locator('#main-points li').allInnerTexts();
      expect(points[0]).toMatch(
        /^23 detainers and requests for notification were issued in the week: 17 more than the previous week \(6\)/,
      );
      expect(points[1]).toMatch(/^5 declines were recorded in the week: 4 more than the previous week \(1\)/);
      expect(points[2]).toBe('The declines were recorded for 3 jurisdictions in 2 states.');
      expect(points.join(' ')).toContain(
        '1 of these declines was recorded more than 30 days after it happened.',
      );

      // Section I: the table and the chart's text alternative say the same.
      expect(await rowTexts(page, '#section-i table tbody tr')).toEqual(
        EXPECTED_WEEK_1.sectionI.map((r) => [
          String(r.rank),
          r.name,
          r.state,
          String(r.issued),
          String(r.declined),
          expect.any(String),
        ]),
      );
      const sectionIChart = page.locator('svg#chart-section-i');
      expect(await sectionIChart.getAttribute('role')).toBe('img');
      expect((await sectionIChart.locator('> title').textContent())?.trim()).not.toBe('');
      const sectionIDesc = (await sectionIChart.locator('> desc').textContent()) ?? '';
      for (const row of EXPECTED_WEEK_1.sectionI) {
        expect(sectionIDesc).toContain(
          `${row.rank}. ${row.name} (${row.state}): ${row.issued} issued, ${row.declined} declined`,
        );
      }
      const trendChart = page.locator('svg#chart-trend');
      expect((await trendChart.locator('> title').textContent())?.trim()).not.toBe('');
      const trendDesc = (await trendChart.locator('> desc').textContent()) ?? '';
      expect(trendDesc).toContain(`Detainers issued: ${EXPECTED_WEEK_1.trendIssued.join(', ')}.`);
      expect(trendDesc).toContain(`Declines recorded: ${EXPECTED_WEEK_1.trendDeclined.join(', ')}.`);
      const trendRows = await rowTexts(page, '#trend table tbody tr');
      expect(trendRows.map((r) => [r[1], r[2]])).toEqual(
        EXPECTED_WEEK_1.trendIssued.map((issued, i) => [
          String(issued),
          String(EXPECTED_WEEK_1.trendDeclined[i]),
        ]),
      );

      // Section II: one group per jurisdiction, in order, one row per decline with its ref.
      const report = (await (await fetch(`${pageUrl()}report.json`)).json()) as {
        sectionII: { declines: { ref: string }[] }[];
      };
      // Each jurisdiction heads its rows, spanning as many as it has declines.
      const heads = page.locator('#section-ii table.declines tbody tr:not(.state) > th');
      const names = await heads.allInnerTexts();
      expect(names).toHaveLength(EXPECTED_WEEK_1.sectionII.length);
      for (const [i, group] of EXPECTED_WEEK_1.sectionII.entries()) {
        const n = group.declinedOn.length;
        expect(names[i]).toContain(group.name);
        expect(Number((await heads.nth(i).getAttribute('rowspan')) ?? 1)).toBe(n);
      }
      // The ref is the seventh cell from a row's end, whether or not the row has the jurisdiction's.
      const refs = await page
        .locator('#section-ii table.declines tbody tr:not(.state) td:nth-last-child(7)')
        .allInnerTexts();
      expect(refs).toEqual(report.sectionII.flatMap((g) => g.declines.map((d) => d.ref)));
      expect(refs).toHaveLength(EXPECTED_WEEK_1.headline.declined);
      expect(await seen(page.locator('#section-ii'))).toContain('Transferred from');

      // Section III: policies in force, newest first; the repealed one is not there.
      const policies = await rowTexts(page, '#section-iii table tbody tr');
      expect(policies).toHaveLength(EXPECTED_WEEK_1.sectionIII.length);
      EXPECTED_WEEK_1.sectionIII.forEach((name, i) => {
        expect(policies[i]?.[0]?.startsWith(name), `${policies[i]?.[0]} is ${name}`).toBe(true);
      });
      expect(await seen(page.locator('#section-iii'))).not.toContain('Sylqua');

      // Every link to the data resolves.
      const hrefs = await page
        .locator('#downloads a')
        .evaluateAll((links: DomNode[]) => links.map((a) => a.href ?? ''));
      for (const name of ['report.json', 'declined.csv', 'feed.xml']) {
        const href = hrefs.find((h) => new URL(h).pathname.endsWith(`/${name}`));
        expect(href, `a link to ${name}`).toBeDefined();
        const file = await fetch(href ?? '');
        expect(file.status, href).toBe(200);
        await file.arrayBuffer();
      }

      expect(await axeViolations(page)).toEqual([]);
      await screenshots(page, 'edition');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('the published data: report.json, declined.csv and the feed agree with the page', async () => {
    const json = await fetch(`${gateway()}/reports/${WEEK_1}/report.json`);
    const text = await json.text();
    const report = JSON.parse(text) as {
      headline: unknown;
      synthetic: boolean;
      edition: { revision: number };
    };
    expect(report.headline).toEqual(EXPECTED_WEEK_1.headline);
    expect(report.synthetic).toBe(true);
    expect(report.edition.revision).toBe(1);
    // Nothing published carries a detainer id.
    expect(text).not.toContain('e2e-');

    const csv = await (await fetch(`${gateway()}/reports/${WEEK_1}/declined.csv`)).text();
    const lines = csv.trim().split(/\r?\n/);
    expect(lines[0]).toBe(
      'state,jurisdiction_id,jurisdiction,facility,citizenship,offenses,issued_on,declined_on,recorded_on,ref',
    );
    expect(lines.slice(1).map((line) => line.split(',')[0])).toEqual(['CA', 'CA', 'CA', 'TX', 'TX']);
    expect(csv).not.toContain('e2e-');

    const feed = await fetch(`${gateway()}/feed.xml`);
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toMatch(/atom|xml/);
    expect(await feed.text()).toContain(`/reports/${WEEK_1}/`);
  });

  it('the archive: the latest edition, every edition, the subscribe form; no console error or axe violation', async () => {
    const context = await newContext(DESKTOP);
    try {
      const { page, problems } = await openPage(context);
      const response = await page.goto(`${gateway()}/`);
      expect(response?.status()).toBe(200);
      expect(await page.locator('.banner-synthetic').first().isVisible()).toBe(true);
      expect(await seen(page.locator('#latest-heading'))).toBe(`Latest edition: ${EXPECTED_WEEK_1.heading}`);
      expect(await seen(page.locator('#latest'))).toContain('23 detainers and requests for notification');
      const archive = await rowTexts(page, '#archive tbody tr');
      expect(archive).toHaveLength(1);
      expect(archive[0]?.[1]).toBe('23');
      expect(archive[0]?.[2]).toBe('5');
      const link = page.locator('#archive tbody tr th a');
      expect(new URL((await link.getAttribute('href')) ?? '', page.url()).href).toBe(pageUrl());
      expect(await page.getByLabel('Email address').isVisible()).toBe(true);

      expect(await axeViolations(page)).toEqual([]);
      await screenshots(page, 'archive');
      // Following the archive's link opens the edition.
      await page.setViewportSize(DESKTOP);
      await link.click();
      await page.waitForURL(pageUrl());
      expect(await seen(page.locator('h1'))).toBe(EXPECTED_WEEK_1.heading);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("a jurisdiction's page and the index: reached from the edition's rows, no console error or axe violation, fit a phone", async () => {
    const context = await newContext(DESKTOP);
    try {
      const { page, problems } = await openPage(context);
      await page.goto(pageUrl());
      const first = page.locator('#section-ii table.declines tbody tr:not(.state) > th a').first();
      const name = ((await first.textContent()) ?? '').trim();
      await first.click();
      await page.waitForURL(/\/jurisdictions\/[^/]+\/$/);
      expect(await seen(page.locator('h1'))).toContain(name);
      // Its declines are the edition's rows under it, by ref.
      const report = (await (await fetch(`${pageUrl()}report.json`)).json()) as {
        sectionII: { jurisdiction: { name: string }; declines: { ref: string }[] }[];
      };
      const expected = report.sectionII
        .filter((g) => g.jurisdiction.name === name)
        .flatMap((g) => g.declines.map((d) => d.ref));
      const refs = await page.locator('#declines table tbody td.ref').allInnerTexts();
      expect(refs.sort()).toEqual(expected.sort());
      expect(await page.locator('svg#chart-weeks').getAttribute('role')).toBe('img');
      expect(await axeViolations(page)).toEqual([]);
      await screenshots(page, 'jurisdiction');

      await page.goto(`${gateway()}/jurisdictions/`);
      expect(await seen(page.locator('h1'))).toBe('Every jurisdiction');
      expect(await page.locator('main table tbody th a').count()).toBeGreaterThan(0);
      expect(await axeViolations(page)).toEqual([]);
      await screenshots(page, 'jurisdictions');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});

describe("Section II's own pages, for a very large week", () => {
  it('a part: its rows, the way between parts, no console error or axe violation, fits a phone', async () => {
    // Rendered as the publisher renders a week too large for one page and put where it would
    // publish it (a folder no fixture week uses), then served by the local site like any page.
    // Just over what one part holds (900 rows aimed at), so at least two parts.
    const edition = heavyEdition({ declines: 950, jurisdictions: 300, states: 20, policies: 0 });
    const render = editionRenderer(
      { siteUrl: `${gateway()}/`, contactLine: 'Synthetic publisher', synthetic: true },
      'America/New_York',
    );
    const parts = render.sectionIIPages(edition, { location: 'latest' });
    expect(parts.length).toBeGreaterThanOrEqual(2);
    const folder = 'reports/2099-01-03/';
    const s3 = new S3Client({
      endpoint: stack().stack.urls.s3,
      forcePathStyle: true,
      region: 'us-east-1',
      // As the account (the tests' direct access), not a role the gate would limit.
      credentials: S3RVER_CREDENTIALS,
    });
    try {
      const put = (key: string, body: string) =>
        s3.send(
          new PutObjectCommand({
            Bucket: stack().stack.buckets.SITE_BUCKET,
            Key: `${folder}${key}`,
            Body: body,
            ContentType: 'text/html; charset=utf-8',
          }),
        );
      await put('index.html', render.page(edition, { location: 'latest' }));
      for (const [i, part] of parts.entries()) await put(`_/section-ii/${i + 1}/index.html`, part);
    } finally {
      s3.destroy();
    }
    const context = await newContext(DESKTOP);
    try {
      const { page, problems } = await openPage(context);
      const response = await page.goto(`${gateway()}/${folder}_/section-ii/2/`);
      expect(response?.status()).toBe(200);
      const refs = await page
        .locator('table.declines tbody tr:not(.state) td:nth-last-child(7)')
        .allInnerTexts();
      // Part 2 holds the rows that follow part 1's, in Section II's order.
      const all = edition.sectionII.flatMap((group) => group.declines.map((row) => row.ref));
      const start = all.indexOf(refs[0] ?? '');
      expect(start).toBeGreaterThan(0);
      expect(refs).toEqual(all.slice(start, start + refs.length));
      expect(await axeViolations(page)).toEqual([]);
      // At phone width only (a part is long: both sizes and their screenshots cost half a minute).
      await page.setViewportSize(PHONE);
      expect(
        Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')),
      ).toBeLessThanOrEqual(0);
      expect(await brokenWords(page), 'words of the part broken across lines on a phone').toEqual([]);
      // The edition's own page lists the parts; following one opens it.
      await page.setViewportSize(DESKTOP);
      await page.locator('a[rel=prev]').click();
      await page.waitForURL(`${gateway()}/${folder}_/section-ii/1/`);
      await page.getByRole('link', { name: 'Back to the edition' }).click();
      await page.waitForURL(`${gateway()}/${folder}#section-ii`);
      expect(await page.locator('ul.section-ii-parts li').count()).toBe(parts.length);
      expect(await axeViolations(page)).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});

describe('the email, as the subscriber gets it', () => {
  let email: SentMail;

  it('is in the mailbox with its headers, and renders with its links working', async () => {
    const editions = (await sentMail()).filter(
      (m) => m.destination.to.includes(READER) && m.subject.startsWith('Declined Detainer Outcome Report'),
    );
    expect(editions).toHaveLength(1);
    email = editions[0] as SentMail;
    expect(email.subject).toBe('Declined Detainer Outcome Report — week of Mar 2 – 8, 2024');
    expect(header(email, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const oneClick = /^<(http[^>]+)>$/.exec(header(email, 'List-Unsubscribe') ?? '')?.[1];
    expect(oneClick).toMatch(/\/subscriptions\/unsubscribe\?token=/);
    expect(email.body.text).toContain('SYNTHETIC DATA');
    expect(email.body.text).toContain(`${gateway()}/reports/${WEEK_1}/`);

    const context = await newContext({ width: 600, height: 900 });
    try {
      const { page, problems } = await openPage(context);
      await page.setContent(email.body.html ?? '', { waitUntil: 'load' });
      expect(await page.locator('.banner-synthetic').first().isVisible()).toBe(true);
      expect(await seen(page.locator('h1'))).toBe(EXPECTED_WEEK_1.heading);
      // Four columns a phone can hold: the state goes with the name.
      const sectionI = await rowTexts(page, 'table.data:has(caption#section-i-caption) tbody tr');
      expect(sectionI.map((r) => r.slice(0, 4))).toEqual(
        EXPECTED_WEEK_1.sectionI.map((r) => [
          String(r.rank),
          `${r.name}, ${r.state}`,
          String(r.issued),
          String(r.declined),
        ]),
      );

      const report = page.getByRole('link', { name: 'Read the full edition' });
      const reportHref = (await report.getAttribute('href')) ?? '';
      expect(reportHref).toBe(`${gateway()}/reports/${WEEK_1}/`);
      const reportPage = await fetch(reportHref);
      expect(reportPage.status).toBe(200);
      expect(await reportPage.text()).toContain(EXPECTED_WEEK_1.heading);

      const unsubscribe = page.getByRole('link', { name: 'Unsubscribe' });
      const unsubscribeHref = (await unsubscribe.getAttribute('href')) ?? '';
      expect(unsubscribeHref).toBe(oneClick);
      // Opening the link shows a page with a button and changes nothing (mail scanners follow links).
      const unsubscribePage = await fetch(unsubscribeHref);
      expect(unsubscribePage.status).toBe(200);
      expect(await unsubscribePage.text()).toMatch(/<form[^>]+method="post"/i);

      expect(await axeViolations(page)).toEqual([]);
      await page.screenshot({ path: join(SCREENSHOTS, 'email-desktop.png'), fullPage: true });
      await page.setViewportSize(PHONE);
      // Most readers open it on a phone: it fits, and no word of a table is cut in two.
      const wider = await page.evaluate(
        `[...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5).map((el) => el.tagName + ' ' + Math.round(el.getBoundingClientRect().width) + 'px: ' + (el.textContent || '').trim().slice(0, 60))`,
      );
      expect(wider, 'parts of the email wider than a phone').toEqual([]);
      expect(await brokenWords(page), "words of the email's tables broken on a phone").toEqual([]);
      await page.screenshot({ path: join(SCREENSHOTS, 'email-phone.png'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('one-click unsubscribe (RFC 8058) stops the next edition for that reader only', async () => {
    const oneClick = /^<(http[^>]+)>$/.exec(header(email, 'List-Unsubscribe') ?? '')?.[1] ?? '';
    // Opening the link shows a form and changes nothing (contract §5).
    const form = await fetch(oneClick);
    expect(form.status).toBe(200);
    expect(await keepAnswer('unsubscribe page', form)).toMatch(/<form[^>]+method="post"/);
    const answer = await fetch(oneClick, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(answer.status).toBe(200);
    await keepAnswer('unsubscribed page', answer);

    const out = await publish(WEEK_2);
    expect(out).toContain(`published the week of ${WEEK_2}: revision 1`);
    expect(out).toContain('emails sent for this edition: 1');
    const week2 = (await sentMail()).filter((m) => m.subject.includes('Mar 9 – 15, 2024'));
    expect(week2.flatMap((m) => m.destination.to)).toEqual([OTHER_READER]);
    // A site file, fetched as a reader does: with no Authorization header (one with it is the API's).
    const report = await fetch(`${gateway()}/reports/${WEEK_2}/report.json`);
    expect(report.status).toBe(200);
    expect(((await report.json()) as { headline: unknown }).headline).toMatchObject(EXPECTED_WEEK_2);
  }, 120_000);
});

describe('a draft, as its editors see it', () => {
  it('the preview link of the editors’ email: the page marked as a draft, no console, CSP or axe problem, fits a phone', async () => {
    // The week after WEEK_2, under the stack's default review (window): a draft, and one editors' email.
    const run = await runCommand(stack().dataDir, 'weekly.ts', ['--at', '2024-03-25T13:00:00Z'], 90_000);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/2024-03-16 draft \(awaiting-review\), publishes at /);
    const notice = (await sentMail()).find((m) => m.destination.to.includes('editors@example.org'));
    const link = /Preview \(no sign-in, until [^)]+\): (\S+)/.exec(notice?.body.text ?? '')?.[1];
    expect(link, 'the preview link of the editors’ email').toBeDefined();
    const context = await newContext(DESKTOP);
    try {
      const { page, problems } = await openPage(context);
      const response = await page.goto(link ?? '');
      expect(response?.status()).toBe(200);
      expect(response?.headers()['x-robots-tag']).toContain('noindex');
      await expect(page.locator('meta[name=robots]').getAttribute('content')).resolves.toBe(
        'noindex, nofollow',
      );
      await expect(seen(page.locator('.notice').first())).resolves.toContain('Draft, not published.');
      // The site's stylesheet applies (loaded from the site, as the draft's CSP allows).
      const width = String(
        await page.evaluate("getComputedStyle(document.querySelector('main.wrap')).maxWidth"),
      );
      expect(width).toBe('1024px');
      expect(await axeViolations(page)).toEqual([]);
      await screenshots(page, 'draft');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 150_000);
});

describe('as third-party tools read it', () => {
  it('every page the browser opened has no error or warning; the emails none but what email clients need', async () => {
    expect(visited.size, 'the pages the earlier tests of this file opened').toBeGreaterThan(0);
    const documents = new Map<string, string>();
    for (const url of visited) {
      // The bytes as served (the browser's DOM would be its own serialisation).
      const response = await fetch(url);
      expect(response.status, url).toBe(200);
      documents.set(new URL(url).pathname, await response.text());
    }
    // One page of each kind at least: edition, archive, jurisdiction, index, part, draft preview.
    expect(documents.size).toBeGreaterThanOrEqual(6);
    const mail = await sentMail();
    const emails = new Map<string, string>();
    for (const [name, found] of [
      ['edition email', mail.find((m) => m.subject.includes('week of'))],
      ['confirmation email', mail.find((m) => m.subject.startsWith('Confirm'))],
      ["editors' email", mail.find((m) => m.destination.to.includes('editors@example.org'))],
    ] as const) {
      expect(found?.body.html, name).toBeDefined();
      emails.set(name, found?.body.html ?? '');
    }
    // The subscription endpoints' pages: the confirmation and unsubscribe forms and answers.
    expect([...answers.keys()]).toEqual(
      expect.arrayContaining(['confirmation page', 'confirmed page', 'unsubscribe page']),
    );
    const messages = await nuCheck(new Map([...documents, ...answers, ...emails]));
    const pageProblems = messages.filter((m) => !emails.has(m.document) && m.type !== 'info');
    expect(pageProblems.map(describeMessage)).toEqual([]);
    // Email clients need what the checker calls obsolete: table layout attributes (Outlook
    // ignores CSS widths and alignment) and Outlook's own mso- properties (the hidden preheader).
    const emailProblems = messages.filter(
      (m) =>
        emails.has(m.document) &&
        m.type !== 'info' &&
        !(m.type === 'warning' && / is obsolete\./.test(m.message)) &&
        !(m.type === 'error' && m.message.startsWith('CSS: “mso-')),
    );
    expect(emailProblems.map(describeMessage)).toEqual([]);
  }, 120_000);

  it('SpamAssassin scores the edition, confirmation and editors’ emails at almost nothing (its threshold is 5)', async () => {
    const mail = await sentMail();
    for (const [name, found] of [
      ['edition email', mail.find((m) => m.subject.includes('week of'))],
      ['confirmation email', mail.find((m) => m.subject.startsWith('Confirm'))],
      ["editors' email", mail.find((m) => m.destination.to.includes('editors@example.org'))],
    ] as const) {
      expect(found, name).toBeDefined();
      if (found === undefined) continue;
      const verdict = await spamVerdict({
        from: found.from,
        to: found.destination.to[0] ?? '',
        subject: found.subject,
        text: found.body.text ?? '',
        html: found.body.html ?? '',
        headers: Object.fromEntries((found.headers ?? []).map((h) => [h.name, h.value])),
      });
      // Its rules ran (an HTML body always hits this informational one)…
      expect(verdict.rules, name).toContain('HTML_MESSAGE');
      // …and the score is below half a point: one body rule (white-on-white text, 0.7) fails it.
      expect(verdict.score, `${name}: ${verdict.rules.join(', ')}`).toBeLessThan(0.5);
    }
  }, 180_000);

  it('a feed reader’s parser reads every edition from the feed, each entry linking a page that answers', async () => {
    const response = await fetch(`${gateway()}/feed.xml`);
    expect(response.headers.get('content-type')).toMatch(/^application\/atom\+xml/);
    // @rowanmanning/feed-parser: the parser of a feed reader, resilient as readers are, so what
    // it reads is what a subscriber's reader shows.
    const feed = parseFeed(await response.text());
    expect(feed.meta.type).toBe('atom');
    expect(feed.title).toBe('Declined Detainer Outcome Report');
    expect(feed.self).toBe(`${gateway()}/feed.xml`);
    const items = feed.items;
    // Both weeks published so far (the third is still a draft, and drafts are not in the feed).
    expect(items.map((item) => item.url)).toEqual([
      `${gateway()}/reports/${WEEK_2}/r1/`,
      `${gateway()}/reports/${WEEK_1}/r1/`,
    ]);
    expect(new Set(items.map((item) => item.id)).size).toBe(items.length);
    for (const item of items) {
      expect(item.title, item.url ?? '').toMatch(/^Week of /);
      expect(item.description, item.url ?? '').toMatch(/declines? recorded/);
      expect(item.updated?.getTime(), item.url ?? '').not.toBeNaN();
      expect((await fetch(item.url ?? '')).status, item.url ?? '').toBe(200);
    }
  }, 60_000);

  it('Lighthouse finds nothing to fix on the edition page (accessibility, best practices, SEO), and robots.txt reads as a crawler expects', async () => {
    // robots.txt as a crawler reads it (Lighthouse cannot fetch it under the site's CSP): every
    // line a known directive, the published pages allowed, the subscription endpoints not.
    const robots = await fetch(`${gateway()}/robots.txt`);
    expect(robots.status).toBe(200);
    expect(robots.headers.get('content-type')).toMatch(/^text\/plain/);
    const lines = (await robots.text()).split('\n').filter((line) => line.trim() !== '');
    for (const line of lines) expect(line).toMatch(/^(User-agent|Disallow|Allow|Sitemap): ?\S*$/);
    expect(lines).toEqual(['User-agent: *', 'Disallow: /subscriptions']);
    const verdict = await lighthouseAudit(`${gateway()}/reports/${WEEK_1}/`);
    expect(verdict.failed).toEqual([]);
    expect(verdict.scores).toEqual({ accessibility: 1, 'best-practices': 1, seo: 1 });
  }, 120_000);
});
