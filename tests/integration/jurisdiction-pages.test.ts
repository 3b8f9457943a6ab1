import { describe, expect, it } from 'vitest';
import type { JurisdictionHistory } from '#core/edition/jurisdiction-record';
import type { Edition } from '#core/edition/model';
import { syntheticRecord } from '../support/api';
import { useLocalStack } from '../support/local-stack';
import { eventually, publish, runCli } from '../support/publishing';

/**
 * The archive's jurisdiction pages and data (CONTRACT.md §4, v3), through the real stack: record
 * two weeks, publish them, read every jurisdiction file back through the gateway, void a row and
 * see it marked after the next publication. Fictional jurisdictions only.
 */
// Review off: a week from the queue publishes at once (the review flow is tested elsewhere).
const stack = useLocalStack({ review: { mode: 'off' } });

const WEEK_1 = '2017-01-28';
const WEEK_2 = '2017-02-04';
const alder = { id: 'XJOR0001', name: 'Alder County Sheriff', state: 'OR' };
const birch = { id: 'XJWA0002', name: 'Birch City Jail', state: 'WA' };
const cedar = { id: 'XJ.CA.3', name: 'Cedar Township Police', state: 'CA' };

async function get(path: string): Promise<{ status: number; type: string; body: string }> {
  const response = await fetch(new URL(path, stack().urls.gateway), { redirect: 'manual' });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: await response.text(),
  };
}

async function put(id: string, body: Record<string, unknown>): Promise<void> {
  const response = await stack().api(`/outcomes/${id}`, { method: 'PUT', body });
  expect([200, 201], await response.clone().text()).toContain(response.status);
}

function refsIn(edition: Edition, jurisdictionId: string): string[] {
  return edition.sectionII
    .filter((g) => g.jurisdiction.id === jurisdictionId)
    .flatMap((g) => g.declines.map((d) => d.ref));
}

function csvRows(text: string): string[][] {
  // Our cells hold no commas or quotes (fixture text): a split is enough to compare them.
  return text
    .split('\r\n')
    .filter((line) => line !== '')
    .map((line) => line.split(','));
}

describe('jurisdiction pages and the archive data', () => {
  const editions: Edition[] = [];

  it('serves the empty archive before the first edition: index, header-only data files, README', async () => {
    const index = await get('/jurisdictions/');
    expect(index.status).toBe(200);
    expect(index.type).toMatch(/^text\/html/);
    const declines = await get('/data/declines.csv');
    expect(declines.status).toBe(200);
    expect(declines.type).toMatch(/^text\/csv/);
    expect(declines.body).toBe(
      'week,state,jurisdiction_id,jurisdiction,facility,citizenship,offenses,issued_on,declined_on,recorded_on,ref\r\n',
    );
    const weekly = await get('/data/weekly.csv');
    expect(weekly.status).toBe(200);
    expect(weekly.body).toBe('week,state,jurisdiction_id,jurisdiction,issued,declined\r\n');
    const readme = await get('/data/README');
    expect(readme.status).toBe(200);
    expect(readme.body).toContain('declines.csv');
    for (const path of ['/', '/feed.xml', '/assets/site.css']) expect((await get(path)).status).toBe(200);
    const robots = await get('/robots.txt');
    expect(robots.status).toBe(200);
    expect(robots.type).toMatch(/^text\/plain/);
    expect(robots.body).toBe('User-agent: *\nDisallow: /subscriptions\n');
  });

  it('publishes two weeks that name three jurisdictions (one after a transfer)', async () => {
    const policy = {
      enactedOn: '2016-03-01',
      type: 'County ordinance',
      summary: 'Synthetic policy.',
      criteria: 'A judicial warrant.',
      source: 'https://example.org/alder/ordinance',
    };
    const created = await stack().api(`/jurisdictions/${alder.id}`, {
      method: 'PUT',
      body: { name: alder.name, state: alder.state, policy },
    });
    expect(created.status).toBe(201);
    await put(
      'JP-A1',
      syntheticRecord({
        jurisdiction: alder,
        issuedOn: '2017-01-29',
        declinedOn: '2017-01-30',
        learnedOn: '2017-01-31',
      }),
    );
    await put(
      'JP-A2',
      syntheticRecord({
        jurisdiction: alder,
        issuedOn: '2017-01-29',
        declinedOn: '2017-02-01',
        learnedOn: '2017-02-01',
      }),
    );
    // Issued to Birch, transferred to Cedar, declined there: listed under Cedar.
    await put(
      'JP-T1',
      syntheticRecord({
        jurisdiction: birch,
        issuedOn: '2017-01-29',
        status: 'declined',
        transferredTo: cedar,
        declinedOn: '2017-01-30',
        learnedOn: '2017-01-30',
      }),
    );
    await put(
      'JP-B1',
      syntheticRecord({
        jurisdiction: birch,
        issuedOn: '2017-02-05',
        declinedOn: '2017-02-06',
        learnedOn: '2017-02-07',
      }),
    );
    editions.push((await publish(WEEK_1, false)).edition);
    editions.push((await publish(WEEK_2, false)).edition);
    expect(refsIn(editions[0] as Edition, cedar.id)).toHaveLength(1);
  });

  it("lists on each jurisdiction's page exactly the declines the editions listed for it, by ref", async () => {
    for (const jurisdiction of [alder, birch, cedar]) {
      const expected = editions.flatMap((edition) => refsIn(edition, jurisdiction.id)).sort();
      const page = await get(`/jurisdictions/${jurisdiction.id}/`);
      expect(page.status, jurisdiction.id).toBe(200);
      expect(page.type).toMatch(/^text\/html/);
      const history = JSON.parse(
        (await get(`/jurisdictions/${jurisdiction.id}/history.json`)).body,
      ) as JurisdictionHistory;
      expect(history.schemaVersion).toBe(1);
      expect(history.jurisdiction.id).toBe(jurisdiction.id);
      expect(history.declines.map((d) => d.ref).sort()).toEqual(expected);
      for (const ref of expected) expect(page.body).toContain(ref);
      const csv = csvRows((await get(`/jurisdictions/${jurisdiction.id}/declines.csv`)).body);
      expect(
        csv
          .slice(1)
          .map((row) => row.at(-1))
          .sort(),
      ).toEqual(expected);
    }
    const alderHistory = JSON.parse(
      (await get(`/jurisdictions/${alder.id}/history.json`)).body,
    ) as JurisdictionHistory;
    expect(alderHistory.policies.map((p) => p.source)).toEqual(['https://example.org/alder/ordinance']);
    // An id with dots is a folder too: without its slash it redirects.
    const bare = await get(`/jurisdictions/${cedar.id}`);
    expect(bare.status).toBe(301);
    // The edition's rows link the pages.
    const page = await get(`/reports/${WEEK_1}/`);
    expect(page.body).toContain(`href="../../jurisdictions/${cedar.id}/"`);
    expect(page.body).toContain(`href="../../jurisdictions/${alder.id}/"`);
  });

  it('lists every jurisdiction on the index, and the data files agree with every report.json', async () => {
    const index = await get('/jurisdictions/');
    expect(index.status).toBe(200);
    for (const jurisdiction of [alder, birch, cedar])
      expect(index.body).toContain(`jurisdictions/${jurisdiction.id}/`);
    const declines = csvRows((await get('/data/declines.csv')).body);
    expect(declines[0]?.[0]).toBe('week');
    const expected = editions.flatMap((edition) =>
      edition.sectionII.flatMap((g) =>
        g.declines.map((d) => [edition.edition.week, g.jurisdiction.id, d.ref]),
      ),
    );
    expect(declines.slice(1).map((row) => [row[0], row[2], row.at(-1)])).toEqual(expected);
    const weekly = csvRows((await get('/data/weekly.csv')).body);
    expect(weekly[0]).toEqual(['week', 'state', 'jurisdiction_id', 'jurisdiction', 'issued', 'declined']);
    for (const edition of editions) {
      for (const group of edition.sectionII) {
        const row = weekly.find((r) => r[0] === edition.edition.week && r[2] === group.jurisdiction.id);
        expect(row?.[5]).toBe(String(group.declines.length));
      }
    }
    const readme = await get('/data/README');
    expect(readme.status).toBe(200);
    expect(readme.type).toMatch(/^text\/plain/);
    expect(readme.body).toContain('Schema version 1');
  });

  it('marks a voided row withdrawn and a corrected one corrected after the next publication, and not before', async () => {
    const voided = await stack().api('/outcomes/JP-A2/void', {
      method: 'POST',
      body: { reason: 'Entered twice (synthetic)' },
    });
    expect(voided.status, await voided.clone().text()).toBe(200);
    const ref = refsIn(editions[0] as Edition, alder.id).find(
      (r) =>
        r !== undefined &&
        (editions[0] as Edition).sectionII.some((g) =>
          g.declines.some((d) => d.ref === r && d.declinedOn === '2017-02-01'),
        ),
    );
    expect(ref).toBeDefined();
    const before = JSON.parse(
      (await get(`/jurisdictions/${alder.id}/history.json`)).body,
    ) as JurisdictionHistory;
    expect(before.declines.find((d) => d.ref === ref)?.state).toBe('listed');

    // A correction too: JP-A1's facility changes, so its row is listed as corrected.
    await put(
      'JP-A1',
      syntheticRecord({
        jurisdiction: alder,
        facility: 'Alder County Annex (synthetic)',
        issuedOn: '2017-01-29',
        declinedOn: '2017-01-30',
        learnedOn: '2017-01-31',
      }),
    );
    const reissued = await publish(WEEK_1, false);
    expect(reissued.revision).toBe(2);
    const after = JSON.parse(
      (await get(`/jurisdictions/${alder.id}/history.json`)).body,
    ) as JurisdictionHistory;
    expect(after.declines.find((d) => d.ref === ref)).toMatchObject({ state: 'withdrawn', revision: 2 });
    const correctedRef = refsIn(reissued.edition, alder.id)[0];
    expect(after.declines.find((d) => d.ref === correctedRef)).toMatchObject({
      state: 'corrected',
      revision: 2,
      row: { facility: 'Alder County Annex (synthetic)' },
    });
    const page = await get(`/jurisdictions/${alder.id}/`);
    expect(page.body).toContain('Withdrawn in revision 2');
    expect(page.body).toContain('Corrected in revision 2');
    expect(page.body).toContain(`href="../../reports/${WEEK_1}/r2/#corrections-log"`);
    const declines = csvRows((await get('/data/declines.csv')).body);
    expect(declines.some((row) => row.at(-1) === ref)).toBe(false);
    const csv = (await get(`/jurisdictions/${alder.id}/declines.csv`)).body;
    expect(csv).not.toContain(ref);
  });

  it('GET /jurisdictions/{id} answers every policy version, its history and revision with an ETag; PUT takes If-Match', async () => {
    const read = await stack().api(`/jurisdictions/${alder.id}`);
    expect(read.status, `${await read.clone().text()}`).toBe(200);
    const view = (await read.json()) as {
      revision: number;
      policies: unknown[];
      history: { revision: number }[];
    };
    expect(read.headers.get('etag')).toBe(`"${view.revision}"`);
    expect(view.policies).toHaveLength(1);
    expect(view.history.map((entry) => entry.revision)).toEqual([1]);
    expect((await stack().api('/jurisdictions/XJNONE404')).status).toBe(404);

    const body = { name: alder.name, state: alder.state, aor: 'Synthetic Field Office' };
    const stale = await stack().api(`/jurisdictions/${alder.id}`, {
      method: 'PUT',
      body,
      headers: { 'if-match': `"${view.revision + 5}"` },
    });
    expect(stale.status).toBe(412);
    const fresh = await stack().api(`/jurisdictions/${alder.id}`, {
      method: 'PUT',
      body,
      headers: { 'if-match': `"${view.revision}"` },
    });
    expect(fresh.status, await fresh.clone().text()).toBe(200);
    expect(fresh.headers.get('etag')).toBe(`"${view.revision + 1}"`);
    // The same write again, with a stale If-Match: unchanged, 200, as outcome writes (contract §2).
    const again = await stack().api(`/jurisdictions/${alder.id}`, {
      method: 'PUT',
      body,
      headers: { 'if-match': `"${view.revision}"` },
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { result: string }).result).toBe('unchanged');
    const missing = await stack().api('/jurisdictions/XJNEW0009', {
      method: 'PUT',
      body: { name: 'Synthetic New Agency', state: 'OR' },
      headers: { 'if-match': '*' },
    });
    expect(missing.status).toBe(412);
  });

  it('npm run rebuild-site renders every page again and leaves every data file as it was', async () => {
    const { PutObjectCommand, S3Client } = await import('@aws-sdk/client-s3');
    const data = [
      `/reports/${WEEK_1}/r1/report.json`,
      `/reports/${WEEK_1}/r1/declined.csv`,
      `/reports/${WEEK_1}/r2/report.json`,
      `/reports/${WEEK_2}/report.json`,
    ];
    const before = await Promise.all(data.map(async (path) => (await get(path)).body));
    const pages = [
      `/reports/${WEEK_1}/r1/`,
      `/reports/${WEEK_1}/`,
      `/jurisdictions/${alder.id}/`,
      '/jurisdictions/',
    ];
    const rendered = await Promise.all(pages.map(async (path) => (await get(path)).body));
    // Pages as an older template left them: no jurisdiction links, no jurisdiction page.
    const s3 = new S3Client({});
    try {
      for (const path of pages) {
        await s3.send(
          new PutObjectCommand({
            Bucket: stack().buckets.SITE_BUCKET,
            Key: `${path.slice(1)}index.html`,
            Body: '<!doctype html><title>old</title>',
            ContentType: 'text/html; charset=utf-8',
          }),
        );
      }
    } finally {
      s3.destroy();
    }
    const run = await runCli('rebuild-site.ts', [], stack().dataDir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('rebuilt the site: 2 weeks');
    const after = await Promise.all(pages.map(async (path) => (await get(path)).body));
    for (const [i, path] of pages.entries()) {
      // The same bytes, but for the "as of" date a jurisdiction page carries.
      const strip = (html: string) => html.replace(/as of [A-Z][a-z]+ \d+, \d{4}/g, 'as of …');
      expect(strip(after[i] ?? ''), path).toBe(strip(rendered[i] ?? ''));
    }
    // The superseded revision keeps its notice.
    expect(after[0]).toContain('Superseded.');
    expect(await Promise.all(data.map(async (path) => (await get(path)).body))).toEqual(before);
  });

  it('a week published from the queue reaches its jurisdiction at once, and the index and data files after the run', async () => {
    const { enqueue } = await import('#adapters/sqs');
    const { publishMessageSchema } = await import('#core/edition/publish-message');
    const { QUEUES } = await import('#config/runtime');
    const week = '2017-02-11';
    await put(
      'JP-Q1',
      syntheticRecord({
        jurisdiction: birch,
        issuedOn: '2017-02-12',
        declinedOn: '2017-02-13',
        learnedOn: '2017-02-14',
      }),
    );
    const queueUrl = process.env[QUEUES.publish.envVar] ?? '';
    await enqueue(queueUrl, publishMessageSchema, [
      { week, email: false, runAt: '2017-02-20T14:00:00.000Z' },
    ]);
    const report = await eventually(
      async () => (await get(`/reports/${week}/report.json`)).body,
      (body) => body.startsWith('{'),
      'the queued week published',
    );
    const ref = refsIn(JSON.parse(report) as Edition, birch.id)[0] ?? 'none';
    // Folded by the publication itself, just after the week's own files.
    await eventually(
      async () =>
        JSON.parse((await get(`/jurisdictions/${birch.id}/history.json`)).body) as JurisdictionHistory,
      (history) => history.declines.some((d) => d.ref === ref),
      "the week folded into its jurisdiction's record",
    );
    // The data files follow once the run's delayed build message arrives.
    await eventually(
      async () => (await get('/data/declines.csv')).body,
      (body) => body.includes(ref),
      'the data files built after the run',
    );
    expect((await get('/data/weekly.csv')).body).toContain(`${week},WA,${birch.id}`);
  });

  it("counts a dispute about a row on its jurisdiction's page at the next run, opened and then resolved, with no publication between", async () => {
    const { enqueue } = await import('#adapters/sqs');
    const { archiveMessageSchema } = await import('#core/edition/publish-message');
    const { QUEUES } = await import('#config/runtime');
    const queueUrl = process.env[QUEUES.publish.envVar] ?? '';
    const history = async () =>
      JSON.parse((await get(`/jurisdictions/${alder.id}/history.json`)).body) as JurisdictionHistory;
    const first = await history();
    const ref = first.declines.find((d) => d.state !== 'withdrawn')?.ref ?? 'none';
    const before = first.disputes;
    // What the run does after its last week: the archive's build, from the publish queue; then
    // the record and the page both count `counts`.
    const afterBuild = async (counts: { open: number; resolved: number }, what: string) => {
      await enqueue(queueUrl, archiveMessageSchema, [{ archive: true }]);
      await eventually(history, (h) => JSON.stringify(h.disputes) === JSON.stringify(counts), what);
      expect((await get(`/jurisdictions/${alder.id}/`)).body).toContain(
        `Disputes about its rows: ${counts.open} open, ${counts.resolved} resolved`,
      );
    };

    const opened = await stack().api('/disputes', {
      method: 'POST',
      body: { ref, reason: 'synthetic dispute' },
    });
    expect(opened.status, await opened.clone().text()).toBe(201);
    const { id } = (await opened.json()) as { id: string };
    await afterBuild({ open: before.open + 1, resolved: before.resolved }, 'the open dispute counted');

    const resolved = await stack().api(`/disputes/${id}/resolution`, {
      method: 'POST',
      body: { outcome: 'rejected', reason: 'synthetic: the records stand' },
    });
    expect(resolved.status, await resolved.clone().text()).toBe(200);
    await afterBuild({ open: before.open, resolved: before.resolved + 1 }, 'the resolution counted');
  });

  it('two weeks published at once both reach a jurisdiction they share, and the data files', async () => {
    const weeks = ['2017-02-18', '2017-02-25'];
    for (let i = 0; i < weeks.length; i++) {
      const day = `2017-02-${String(19 + 7 * i).padStart(2, '0')}`;
      await put(
        `JP-C${i}`,
        syntheticRecord({ jurisdiction: cedar, issuedOn: day, declinedOn: day, learnedOn: day }),
      );
    }
    const published = await Promise.all(weeks.map((week) => publish(week, false)));
    const refs = published.flatMap((week) => refsIn(week.edition, cedar.id));
    expect(refs).toHaveLength(2);
    const history = JSON.parse(
      (await get(`/jurisdictions/${cedar.id}/history.json`)).body,
    ) as JurisdictionHistory;
    for (const ref of refs) expect(history.declines.map((d) => d.ref)).toContain(ref);
    expect(history.weeks.map((w) => w.week)).toEqual(expect.arrayContaining(weeks));
    const declines = (await get('/data/declines.csv')).body;
    for (const ref of refs) expect(declines).toContain(ref);
  });
});
