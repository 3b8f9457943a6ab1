import { access, readFile } from 'node:fs/promises';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { addDays, todayIn, weekOf } from '#core/reporting-week';
import { securityHeaderMap } from '#lib/security-headers';
import { useLocalStack } from '../support/local-stack';
import { publish, runCli } from '../support/publishing';

/**
 * Publishing a week end to end (CONTRACT.md sections 3, 4 and 6): record a fixture week through
 * the intake API, publish it with the real command in a child process, and read every published
 * file back through the gateway as a reader (or CloudFront) does. Fictional jurisdictions only.
 */
const stack = useLocalStack();

const WEEK = '2017-01-28';
const WEEK_END = '2017-02-03';
/** A week with a record that is only ever previewed, never published. */
const PREVIEW_WEEK = '2017-02-04';

const amberfield = { id: 'XQOR0001', name: 'Amberfield County Sheriff’s Office', state: 'OR' };
const brindlewood = { id: 'XQWA0002', name: 'Brindlewood County Jail', state: 'WA' };
const cobble = { id: 'XQLA0003', name: 'Cobble Parish Detention Center', state: 'LA' };

const policy = {
  enactedOn: '2016-05-01',
  type: 'County ordinance',
  summary: 'Detainers are honoured only with a judicial warrant.',
  criteria: 'Judicial warrant required; no holds past release.',
  source: 'https://example.org/amberfield/ordinance-16-04',
};

/** Detainer ids: distinctive, so that a leak into any published byte is found by a plain search. */
const IDS = {
  a1: 'DDOR-PUBTEST-A1-7Q9X',
  a2: 'DDOR-PUBTEST-A2-7Q9X',
  a3: 'DDOR-PUBTEST-A3-7Q9X',
  b1: 'DDOR-PUBTEST-B1-7Q9X',
  b2: 'DDOR-PUBTEST-B2-7Q9X',
  c1: 'DDOR-PUBTEST-C1-7Q9X',
  p1: 'DDOR-PUBTEST-P1-7Q9X',
} as const;
/** Recorded by the last tests, for another week. */
const LATE_ID = 'DDOR-PUBTEST-D1-7Q9X';

const records: Record<keyof typeof IDS, Record<string, unknown>> = {
  a1: {
    issuedOn: '2017-01-30',
    jurisdiction: amberfield,
    facility: 'Amberfield County Jail',
    citizenship: 'Freedonia',
    offenses: [
      { description: 'Synthetic offense A', status: 'convicted' },
      { description: 'Synthetic offense B', status: 'charged' },
    ],
    status: 'declined',
    declinedOn: '2017-02-01',
    learnedOn: '2017-02-02',
  },
  a2: {
    issuedOn: '2017-01-31',
    jurisdiction: amberfield,
    facility: 'Amberfield County Jail',
    status: 'honored',
  },
  a3: {
    issuedOn: '2017-02-02',
    jurisdiction: amberfield,
    facility: 'Amberfield County Jail',
    status: 'pending',
  },
  b1: {
    issuedOn: '2017-01-29',
    jurisdiction: brindlewood,
    // A cell a spreadsheet would run as a formula.
    facility: '=Brindlewood Annex',
    citizenship: 'Sylvania',
    offenses: [{ description: 'Synthetic offense C', status: 'charged' }],
    status: 'declined',
    declinedOn: '2017-01-30',
    learnedOn: '2017-01-30',
  },
  b2: {
    issuedOn: '2017-01-29',
    jurisdiction: brindlewood,
    facility: 'Brindlewood County Jail',
    status: 'pending',
  },
  // Issued in an earlier week, declined in this one: in Section II, not in Section I.
  c1: {
    issuedOn: '2016-12-20',
    jurisdiction: cobble,
    facility: 'Cobble Parish Detention Center',
    status: 'declined',
    declinedOn: '2017-01-31',
    learnedOn: '2017-02-01',
  },
  p1: {
    issuedOn: '2017-02-06',
    jurisdiction: cobble,
    facility: 'Cobble Parish Detention Center',
    status: 'declined',
    declinedOn: '2017-02-07',
    learnedOn: '2017-02-07',
  },
};

const CACHE_IMMUTABLE = 'public, max-age=31536000, immutable';
const CACHE_SHORT = 'public, max-age=300, must-revalidate';

async function get(path: string): Promise<{ status: number; headers: Headers; body: string }> {
  const response = await fetch(new URL(path, stack().urls.gateway));
  return { status: response.status, headers: response.headers, body: await response.text() };
}

async function record(id: string, body: Record<string, unknown>): Promise<void> {
  const response = await stack().api(`/outcomes/${id}`, { method: 'PUT', body });
  expect([200, 201], await response.clone().text()).toContain(response.status);
}

async function refOf(id: string): Promise<string> {
  const { DynamoOutcomeStore } = await import('#adapters/outcome-store');
  const stored = (await new DynamoOutcomeStore().get(id)) as { ref?: string } | undefined;
  if (stored?.ref === undefined) throw new Error(`no ref for ${id}`);
  return stored.ref;
}

/** Every object in the site bucket: what is published, whatever its path. */
async function publishedKeys(): Promise<string[]> {
  const s3 = new S3Client({});
  try {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: stack().buckets.SITE_BUCKET }));
    return (out.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [object.Key]));
  } finally {
    s3.destroy();
  }
}

describe('publishing a week to the site', () => {
  let r1Json = '';
  let r1Csv = '';

  it('records the fixture week through the API', async () => {
    const jurisdiction = await stack().api(`/jurisdictions/${amberfield.id}`, {
      method: 'PUT',
      body: { name: amberfield.name, state: amberfield.state, aor: 'Synthetic Field Office', policy },
    });
    expect(jurisdiction.status, await jurisdiction.clone().text()).toBe(201);
    for (const [key, body] of Object.entries(records)) await record(IDS[key as keyof typeof IDS], body);
  });

  it('publishes with `npm run publish`, printing the page URL and how many emails went out', async () => {
    const run = await runCli('publish.ts', ['--week', '2017-02-01'], stack().dataDir);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`published the week of ${WEEK}: revision 1`);
    expect(run.stdout).toContain(`page: ${stack().urls.gateway}/reports/${WEEK}/`);
    // No one has subscribed: the edition was to be emailed, to nobody.
    expect(run.stdout).toMatch(/^emails sent for this edition: 0$/m);
  });

  it('serves every file of section 4 with its content type, cache rule and security headers', async () => {
    const files: [path: string, type: string, cache: string][] = [
      ['/', 'text/html', CACHE_SHORT],
      [`/reports/${WEEK}/`, 'text/html', CACHE_SHORT],
      [`/reports/${WEEK}/report.json`, 'application/json', CACHE_SHORT],
      [`/reports/${WEEK}/declined.csv`, 'text/csv', CACHE_SHORT],
      // A revision's page may gain a notice; its data never changes.
      [`/reports/${WEEK}/r1/`, 'text/html', CACHE_SHORT],
      [`/reports/${WEEK}/r1/report.json`, 'application/json', CACHE_IMMUTABLE],
      [`/reports/${WEEK}/r1/declined.csv`, 'text/csv', CACHE_IMMUTABLE],
      ['/feed.xml', 'application/atom+xml', CACHE_SHORT],
      ['/assets/site.css', 'text/css', CACHE_SHORT],
    ];
    for (const [path, type, cache] of files) {
      const response = await get(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')?.split(';')[0], path).toBe(type);
      expect(response.headers.get('cache-control'), path).toBe(cache);
      for (const [name, value] of Object.entries(securityHeaderMap()))
        expect(response.headers.get(name), `${path}: ${name}`).toBe(value);
      expect(response.body.length, path).toBeGreaterThan(0);
    }
    expect((await get('/')).headers.get('content-security-policy')).toContain("default-src 'none'");
    // A folder without its slash is redirected, so the page's relative links work.
    const bare = await fetch(new URL(`/reports/${WEEK}`, stack().urls.gateway), { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe(`/reports/${WEEK}/`);
  });

  it('publishes report.json with the fields of section 4, computed from the records', async () => {
    const response = await get(`/reports/${WEEK}/report.json`);
    r1Json = (await get(`/reports/${WEEK}/r1/report.json`)).body;
    expect(response.body).toBe(r1Json);
    const report = JSON.parse(response.body);

    expect(report.synthetic).toBe(true);
    expect(report.edition).toMatchObject({
      week: WEEK,
      weekEnd: WEEK_END,
      revision: 1,
      timeZone: 'America/New_York',
    });
    expect(new Date(report.edition.publishedAt).toISOString()).toBe(report.edition.publishedAt);
    expect(Date.now() - Date.parse(report.edition.publishedAt)).toBeLessThan(60_000);
    expect(report.headline).toEqual({
      issued: 5,
      declined: 3,
      jurisdictionsWithDeclines: 3,
      statesWithDeclines: 3,
    });
    expect(report.sectionI).toEqual([
      expect.objectContaining({ rank: 1, jurisdiction: amberfield, issued: 3, declined: 1 }),
      expect.objectContaining({ rank: 2, jurisdiction: brindlewood, issued: 2, declined: 1 }),
    ]);
    // Grouped by state code, then name: LA, OR, WA.
    expect(report.sectionII.map((group: { jurisdiction: unknown }) => group.jurisdiction)).toEqual([
      cobble,
      amberfield,
      brindlewood,
    ]);
    expect(report.sectionII[1].declines).toEqual([
      expect.objectContaining({
        ref: await refOf(IDS.a1),
        facility: 'Amberfield County Jail',
        citizenship: 'Freedonia',
        offenses: [
          { description: 'Synthetic offense A', status: 'convicted' },
          { description: 'Synthetic offense B', status: 'charged' },
        ],
        issuedOn: '2017-01-30',
        declinedOn: '2017-02-01',
        learnedOn: '2017-02-02',
      }),
    ]);
    expect(report.sectionIII).toEqual([
      {
        jurisdiction: { ...amberfield, aor: 'Synthetic Field Office' },
        policy: expect.objectContaining(policy),
      },
    ]);
    expect(report.sectionIV).toEqual(expect.any(Object));
    expect(report.sectionIV.issuedEarlier).toBe(1);
    expect(report.corrections).toEqual([]);
  });

  it('publishes declined.csv with its header and one row per decline, in Section II order', async () => {
    const latest = await get(`/reports/${WEEK}/declined.csv`);
    r1Csv = (await get(`/reports/${WEEK}/r1/declined.csv`)).body;
    expect(latest.body).toBe(r1Csv);
    const lines = latest.body.split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1)).toEqual([
      'state,jurisdiction_id,jurisdiction,facility,citizenship,offenses,issued_on,declined_on,recorded_on,ref',
      `LA,${cobble.id},${cobble.name},Cobble Parish Detention Center,,,2016-12-20,2017-01-31,2017-02-01,${await refOf(IDS.c1)}`,
      `OR,${amberfield.id},${amberfield.name},Amberfield County Jail,Freedonia,Synthetic offense A (convicted); Synthetic offense B (charged),2017-01-30,2017-02-01,2017-02-02,${await refOf(IDS.a1)}`,
      `WA,${brindlewood.id},${brindlewood.name},'=Brindlewood Annex,Sylvania,Synthetic offense C (charged),2017-01-29,2017-01-30,2017-01-30,${await refOf(IDS.b1)}`,
    ]);
  });

  it('lists the edition on the home page, in the feed, and on its page, readable without JavaScript', async () => {
    const home = (await get('/')).body;
    expect(home).toMatch(new RegExp(`href="(\\./)?reports/${WEEK}/"`));
    expect(home).toMatch(/<form class="subscribe" method="post" action="[^"]*subscriptions">/);
    const feed = (await get('/feed.xml')).body;
    expect(feed).toContain(`${stack().urls.gateway}/reports/${WEEK}/r1/`);
    const page = (await get(`/reports/${WEEK}/`)).body;
    expect(page).not.toMatch(/<script/i);
    expect(page).toContain(amberfield.name);
    expect(page).not.toContain('Superseded.');
  });

  it('makes no new revision when the week is published again unchanged', async () => {
    const again = await publish(WEEK, false);
    expect(again).toMatchObject({ week: WEEK, result: 'unchanged', revision: 1 });
    expect((await get(`/reports/${WEEK}/r2/report.json`)).status).toBe(404);
    expect((await get(`/reports/${WEEK}/report.json`)).body).toBe(r1Json);
  });

  it('re-issues a changed week as revision 2 with a corrections log; revision 1 stays byte for byte', async () => {
    await record(IDS.a2, {
      ...records.a2,
      status: 'declined',
      declinedOn: '2017-02-02',
      learnedOn: '2017-02-03',
      reason: 'the county reported the release late',
    });

    const run = await runCli('publish.ts', ['--week', WEEK], stack().dataDir);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`published the week of ${WEEK}: revision 2`);
    expect(run.stdout).toContain('no email: re-issues are listed in the next emailed edition');
    expect(run.stdout).toMatch(/^emails sent for this edition: 0$/m);
    const report = JSON.parse((await get(`/reports/${WEEK}/report.json`)).body);
    expect(report.edition.revision).toBe(2);
    expect(report.headline.declined).toBe(4);
    expect(report.corrections).toContainEqual({
      revision: 2,
      date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      ref: await refOf(IDS.a2),
      jurisdiction: amberfield,
      field: 'status',
      before: 'honored',
      after: 'declined',
      reason: 'the county reported the release late',
    });
    expect((await get(`/reports/${WEEK}/r2/report.json`)).body).toBe(
      (await get(`/reports/${WEEK}/report.json`)).body,
    );
    expect((await get(`/reports/${WEEK}/r2/report.json`)).headers.get('cache-control')).toBe(CACHE_IMMUTABLE);

    const r1 = await get(`/reports/${WEEK}/r1/report.json`);
    expect(r1.body).toBe(r1Json);
    expect(r1.headers.get('cache-control')).toBe(CACHE_IMMUTABLE);
    expect((await get(`/reports/${WEEK}/r1/declined.csv`)).body).toBe(r1Csv);
    const r1Page = (await get(`/reports/${WEEK}/r1/`)).body;
    expect(r1Page).toContain('Superseded.');
    expect(r1Page).toMatch(/Superseded\.<\/strong> Revision 2 of this week[^<]*<a href="\.\.\/r2\/">/);
    expect((await get(`/reports/${WEEK}/r2/`)).body).not.toContain('Superseded.');
    expect((await get(`/reports/${WEEK}/declined.csv`)).body.split('\r\n')).toHaveLength(6);
    expect((await get('/feed.xml')).body).toContain(`${stack().urls.gateway}/reports/${WEEK}/r2/`);
    expect((await get('/')).body).toContain('Re-issued');
  });

  it('answers a usage error with exit code 2 and a message that says what to fix, changing nothing', async () => {
    for (const [script, args, says] of [
      ['publish.ts', ['--week', 'next-monday'], /--week must be a date/],
      ['publish.ts', ['--week', '2017-02-30'], /not a real calendar date/],
      ['publish.ts', [], /--week is required/],
      ['clients.ts', ['rename', 'x'], /unknown command/],
    ] as const) {
      const run = await runCli(script, args, stack().dataDir);
      expect(run.code, `${script} ${args.join(' ')}`).toBe(2);
      expect(run.stderr).toMatch(says);
    }
  });

  it('refuses to publish a week that has not ended, with a clear error', async () => {
    const today = todayIn('America/New_York');
    const run = await runCli('publish.ts', ['--week', today], stack().dataDir);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `error: the week of ${weekOf(today)} to ${addDays(weekOf(today), 6)} has not ended`,
    );
    expect(run.stderr).toContain('--preview');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    await expect(publish(today, false)).rejects.toThrow(/has not ended/);
    expect((await get(`/reports/${weekOf(today)}/`)).status).toBe(404);
  });

  it('previews a week to local files without publishing it', async () => {
    const run = await runCli('publish.ts', ['--week', PREVIEW_WEEK, '--preview'], stack().dataDir);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('nothing published or emailed');
    const paths = run.stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.startsWith(stack().dataDir));
    expect(paths.map((path) => path.split('/').pop())).toEqual([
      'index.html',
      'report.json',
      'declined.csv',
      'email.html',
      'email.txt',
    ]);
    for (const path of paths) await access(path);
    const draft = JSON.parse(await readFile(paths[1] ?? '', 'utf8'));
    expect(draft.edition).toMatchObject({ week: PREVIEW_WEEK, revision: 1 });
    expect(draft.headline).toMatchObject({ issued: 1, declined: 1 });
    for (const path of paths) {
      const text = await readFile(path, 'utf8');
      for (const id of Object.values(IDS)) expect(text.includes(id), `${id} in ${path}`).toBe(false);
    }
    for (const path of ['/', '/index.html', 'report.json', 'declined.csv', 'r1/', 'r1/report.json']) {
      const url = path.startsWith('/')
        ? `/reports/${PREVIEW_WEEK}${path}`
        : `/reports/${PREVIEW_WEEK}/${path}`;
      expect((await get(url)).status, url).toBe(404);
    }
    expect((await get('/')).body).not.toContain(`reports/${PREVIEW_WEEK}/`);
    expect((await get('/feed.xml')).body).not.toContain(`reports/${PREVIEW_WEEK}/`);
  });

  // A publish that stops after its commit and before the older page's notice is mended by a
  // rerun: revision 1's page still comes to say it was superseded.
  it('mends the superseded notice when a rerun completes a publish that stopped after its commit', async () => {
    const week = '2017-01-21';
    const id = LATE_ID;
    const body = { ...records.b2, issuedOn: '2017-01-23', facility: 'Brindlewood County Jail' };
    await record(id, body);
    expect(await publish(week, false)).toMatchObject({ result: 'published', revision: 1 });
    await record(id, {
      ...body,
      status: 'declined',
      declinedOn: '2017-01-24',
      learnedOn: '2017-01-25',
      reason: 'the county released the person',
    });
    const { publisherDeps } = await import('#lambdas/edition/publish/publisher');
    const { publishWeek } = await import('#core/edition/publication');
    const deps = publisherDeps();
    const real = deps.site;
    const site: typeof real = Object.assign(Object.create(real) as typeof real, {
      putFile: async (...args: Parameters<typeof real.putFile>) => {
        if (args[0] === `reports/${week}/r1/index.html`)
          throw new Error('simulated crash: after the commit, before the superseded notice');
        return real.putFile(...args);
      },
    });

    await expect(publishWeek({ ...deps, site }, { date: week, email: false })).rejects.toThrow(
      /simulated crash/,
    );
    const rerun = await publish(week, false);

    expect(rerun).toMatchObject({ result: 'unchanged', revision: 2 });
    expect(JSON.parse((await get(`/reports/${week}/report.json`)).body).edition.revision).toBe(2);
    expect((await get(`/reports/${week}/r1/`)).body).toContain('Superseded.');
  });

  it('publishes no detainer id anywhere', async () => {
    const keys = await publishedKeys();
    expect(keys).toEqual(
      expect.arrayContaining([
        'index.html',
        'feed.xml',
        'assets/site.css',
        `reports/${WEEK}/index.html`,
        `reports/${WEEK}/r1/report.json`,
        `reports/${WEEK}/r2/declined.csv`,
      ]),
    );
    for (const key of keys) {
      // A page as readers reach it: by its folder (`/jurisdictions/index.html` is a jurisdiction's).
      const { status, body } = await get(`/${key.replace(/(^|\/)index\.html$/, '$1')}`);
      expect(status, key).toBe(200);
      for (const id of [...Object.values(IDS), LATE_ID]) {
        expect(body.includes(id), `${id} in ${key}`).toBe(false);
        // Nor any recognisable part of it.
        expect(body.includes(id.slice(-7)), `${id} in ${key}`).toBe(false);
      }
    }
  });
});
