import { describe, expect, it } from 'vitest';
import type { Edition } from '#core/edition/model';
import type { EditionRecord } from '#core/edition/ports';
import { emailDecision, type PublishDeps, publishWeek } from '#core/edition/publication';
import type { WeekData } from '#core/edition/week-data';

/** publishWeek over in-memory stores: the order of its effects, without any server. */
function fakeDeps() {
  const records: EditionRecord[] = [];
  const files = new Map<string, string>();
  const invalidations: string[][] = [];
  const drafts = new Map<string, string>();
  const empty: WeekData = {
    week: '2017-01-28',
    issued: [],
    declined: [],
    jurisdictions: new Map(),
    trend: [],
  };
  const deps: PublishDeps = {
    weeks: { readWeek: async (week) => ({ ...empty, week }) },
    editions: {
      latest: async (week) =>
        records.filter((r) => r.week === week).sort((a, b) => b.revision - a.revision)[0],
      commit: async (record) => {
        if (records.some((r) => r.week === record.week && r.revision === record.revision)) return false;
        records.push(record);
        return true;
      },
      listAll: async () => [...records].reverse(),
      lastEmailedWeek: async () => undefined,
      markEmailed: async () => undefined,
      dirtyWeeks: async () => [],
      markDirty: async () => undefined,
      clearDirty: async () => undefined,
      markWrite: async () => undefined,
      claimEmail: async () => true,
      pendingWrites: async () => [],
      settlePending: async () => undefined,
    },
    site: {
      putFile: async (key, body) => {
        files.set(key, body);
      },
      readText: async (key) => files.get(key),
      listKeys: async (prefix) => [...files.keys()].filter((key) => key.startsWith(prefix)),
      readEdition: async (week, revision) => {
        const text = files.get(`reports/${week}/r${revision}/report.json`);
        return text === undefined ? undefined : (JSON.parse(text) as Edition);
      },
    },
    render: {
      page: (edition) => `<p>${edition.edition.week}</p>`,
      sectionIIPages: () => [],
      retiredPart: () => 'retired',
      csv: () => 'csv',
      json: (edition) => JSON.stringify(edition),
      index: () => 'index',
      feed: () => 'feed',
    },
    timeZone: 'America/New_York',
    synthetic: true,
    siteUrl: 'https://example.org/',
    now: () => new Date('2017-02-06T15:00:00Z'),
    nextEditionOn: () => '2017-02-13',
    openDisputes: async () => ({ count: 0 }),
    corrections: async () => [],
    revisionRecords: { get: async () => [], put: async () => undefined },
    drafts: {
      put: async (week, revision, attempt, draft) => {
        drafts.set(`${week}/${revision}/${attempt}`, JSON.stringify(draft));
      },
      get: async (week, revision, attempt) => {
        const text = drafts.get(`${week}/${revision}/${attempt}`);
        return text === undefined ? undefined : JSON.parse(text);
      },
    },
    invalidate: async (paths) => {
      invalidations.push([...paths]);
    },
  };
  return { deps, records, files, invalidations };
}
/** One record issued in the week after 2017-01-28's: added to a read, it makes a re-issue. */
function issuedRecord(detainerId: string): WeekData['issued'][number] {
  return {
    detainerId,
    revision: 1,
    voided: false,
    ref: `R${detainerId}`,
    record: {
      kind: 'detainer',
      issuedOn: '2017-01-30',
      jurisdiction: { id: 'ZZ0010000', name: 'Synthetic County Sheriff’s Office', state: 'CA' },
      facility: 'Synthetic County Jail',
      status: 'honored',
    },
    createdAt: '2017-02-06T14:00:00Z',
    updatedAt: '2017-02-06T14:00:00Z',
  } as unknown as WeekData['issued'][number];
}

/** The week as `weeks` reads it, plus one issued record: a re-issue (its content hash differs). */
function withIssued(weeks: PublishDeps['weeks'], detainerId: string): PublishDeps['weeks'] {
  return {
    readWeek: async (week) => ({ ...(await weeks.readWeek(week)), issued: [issuedRecord(detainerId)] }),
  };
}

describe('publishWeek', () => {
  it('commits revision 1 after its files, then invalidates the changed paths; a rerun makes nothing new', async () => {
    const { deps, records, files, invalidations } = fakeDeps();
    const first = await publishWeek(deps, { date: '2017-02-01', email: false });
    expect(first).toMatchObject({ week: '2017-01-28', result: 'published', revision: 1 });
    expect([...files.keys()]).toEqual(
      expect.arrayContaining([
        'reports/2017-01-28/r1/report.json',
        'reports/2017-01-28/index.html',
        'index.html',
        'feed.xml',
      ]),
    );
    expect(invalidations).toEqual([
      [
        '/',
        '/index.html',
        '/feed.xml',
        '/reports/2017-01-28/',
        '/reports/2017-01-28/index.html',
        '/reports/2017-01-28/report.json',
        '/reports/2017-01-28/declined.csv',
      ],
    ]);
    // No wildcard, ever: CloudFront allows only 15 of them in progress.
    expect(invalidations.flat().some((path) => path.includes('*'))).toBe(false);
    const again = await publishWeek(deps, { date: '2017-01-28', email: false });
    expect(again).toMatchObject({ result: 'unchanged', revision: 1 });
    expect(records).toHaveLength(1);
  });

  it('looks for corrections since the previous revision began its read, not since it was published', async () => {
    const { deps, records } = fakeDeps();
    // A clock that moves on with every reading, and a week that gains a record between runs.
    let tick = Date.parse('2017-02-06T15:00:00Z');
    deps.now = () => {
      tick += 1000;
      return new Date(tick);
    };
    let reads = 0;
    deps.weeks = {
      readWeek: async (week) => {
        reads += 1;
        return {
          week,
          issued: reads > 1 ? [issuedRecord('D1')] : [],
          declined: [],
          jurisdictions: new Map(),
          trend: [],
        };
      },
    };
    const seen: string[] = [];
    deps.corrections = async (_previous, _next, _data, _ids, since) => {
      seen.push(since);
      return [];
    };
    await publishWeek(deps, { date: '2017-01-28', email: false });
    const second = await publishWeek(deps, { date: '2017-01-28', email: false });
    expect(second).toMatchObject({ result: 'published', revision: 2 });
    const first = records[0];
    expect(first?.readAt).toBeDefined();
    expect((first?.readAt ?? '') < (first?.publishedAt ?? '')).toBe(true);
    expect(seen).toEqual([first?.readAt]);
  });

  it("writes Section II's own pages beside each page, and retires the latest parts a re-issue no longer has", async () => {
    const { deps, files, invalidations } = fakeDeps();
    const weeks = deps.weeks;
    // Revision 1 has three parts; revision 2 one.
    deps.render.sectionIIPages = (edition, options) =>
      Array.from(
        { length: edition.edition.revision === 1 ? 3 : 1 },
        (_, i) =>
          `part ${i + 1} of r${edition.edition.revision} (${options.location}${options.superseded ? ', superseded' : ''})`,
      );
    deps.render.retiredPart = (edition, options, part) =>
      `part ${part} retired by r${edition.edition.revision} (${options.location})`;
    await publishWeek(deps, { date: '2017-01-28', email: false });
    expect(files.get('reports/2017-01-28/r1/_/section-ii/3/index.html')).toBe('part 3 of r1 (revision)');
    expect(files.get('reports/2017-01-28/_/section-ii/3/index.html')).toBe('part 3 of r1 (latest)');
    expect(invalidations[0]).toEqual(
      expect.arrayContaining([
        '/reports/2017-01-28/_/section-ii/3/',
        '/reports/2017-01-28/_/section-ii/3/index.html',
      ]),
    );
    // A re-issue: the content hash must differ, so give the second read a record.
    deps.weeks = withIssued(weeks, 'D1');
    const second = await publishWeek(deps, { date: '2017-01-28', email: false });
    expect(second).toMatchObject({ result: 'published', revision: 2 });
    expect(files.get('reports/2017-01-28/_/section-ii/1/index.html')).toBe('part 1 of r2 (latest)');
    expect(files.get('reports/2017-01-28/_/section-ii/2/index.html')).toBe('part 2 retired by r2 (latest)');
    expect(files.get('reports/2017-01-28/_/section-ii/3/index.html')).toBe('part 3 retired by r2 (latest)');
    // Revision 1 keeps its parts, which gain the notice as its page does.
    expect(files.get('reports/2017-01-28/r1/_/section-ii/3/index.html')).toBe(
      'part 3 of r1 (revision, superseded)',
    );
    expect(invalidations[1]).toEqual(
      expect.arrayContaining([
        '/reports/2017-01-28/_/section-ii/3/',
        '/reports/2017-01-28/r1/_/section-ii/3/',
      ]),
    );
  });

  it('retires the parts a page no longer has when it is rendered again under other rules', async () => {
    const { deps, files, invalidations } = fakeDeps();
    const weeks = deps.weeks;
    // Revision 1 is published with two parts; by the time revision 2 supersedes it, the renderer
    // keeps revision 1's rows on its page (another site URL, contact line or template).
    let rule: 'old' | 'new' = 'old';
    deps.render.sectionIIPages = (edition, options) =>
      Array.from(
        { length: rule === 'old' ? 2 : 0 },
        (_, i) => `part ${i + 1} of r${edition.edition.revision} (${options.location})`,
      );
    deps.render.retiredPart = (edition, options, part) =>
      `part ${part} retired by r${edition.edition.revision} (${options.location})`;
    await publishWeek(deps, { date: '2017-01-28', email: false });
    expect(files.get('reports/2017-01-28/r1/_/section-ii/2/index.html')).toBe('part 2 of r1 (revision)');
    rule = 'new';
    deps.weeks = withIssued(weeks, 'D2');
    expect(await publishWeek(deps, { date: '2017-01-28', email: false })).toMatchObject({ revision: 2 });
    // Found on the site, not recomputed: both folders' old parts now say where the rows are.
    for (const part of [1, 2]) {
      expect(files.get(`reports/2017-01-28/r1/_/section-ii/${part}/index.html`)).toBe(
        `part ${part} retired by r1 (revision)`,
      );
      expect(files.get(`reports/2017-01-28/_/section-ii/${part}/index.html`)).toBe(
        `part ${part} retired by r2 (latest)`,
      );
    }
    // Revision 2's own folder never had parts: nothing is written there.
    expect([...files.keys()].some((key) => key.startsWith('reports/2017-01-28/r2/_/'))).toBe(false);
    expect(invalidations[1]).toEqual(
      expect.arrayContaining([
        '/reports/2017-01-28/_/section-ii/2/index.html',
        '/reports/2017-01-28/r1/_/section-ii/2/index.html',
      ]),
    );
  });

  it('refuses a week that has not ended in the report time zone', async () => {
    const { deps } = fakeDeps();
    await expect(publishWeek(deps, { date: '2017-02-04', email: false })).rejects.toThrow(/has not ended/);
  });

  it('emails revision 1 once, never a re-issue, and never a backfill', () => {
    expect(emailDecision(1, true, '2017-01-28', undefined).decision).toBe('send');
    expect(emailDecision(2, true, '2017-01-28', undefined).decision).toBe('none');
    expect(emailDecision(1, false, '2017-01-28', undefined).decision).toBe('none');
    expect(emailDecision(1, true, '2017-01-28', '2017-02-04').decision).toBe('none');
  });
});
