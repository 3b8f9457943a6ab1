import { performance } from 'node:perf_hooks';
import { type ArchiveSiteDeps, buildArchiveFiles, updateArchive } from '#core/edition/archive-site';
import type { Edition } from '#core/edition/model';
import { addDays } from '#core/reporting-week';
import { archiveRenderer } from '#lambdas/edition/publish/archive';
import { heavyEdition } from '../tests/fixtures/edition';
import type { Benchmark, Measurement } from './support/benchmark';

/**
 * What a publication adds to the archive's own files (jurisdiction pages, index, /data/), against
 * the archive's size: the same week folded into an archive of a few weeks and into one of years,
 * with 3,000 jurisdictions. The site is an in-memory store that counts each object read and
 * written and its bytes (S3 calls are this work's cost; the renderer and the fold are the
 * publisher's own code), so the figures do not depend on an emulator's speed.
 */
const POOL = 3_000;
const SHAPE = { declines: 206, jurisdictions: 52, states: 16, policies: 118 };
const FIRST_WEEK = '2019-01-05';

/** Week `w` of the synthetic archive: the 2017 shape, its jurisdictions spread over the pool. */
function weekEdition(w: number): Edition {
  const edition = heavyEdition(SHAPE);
  const week = addDays(FIRST_WEEK, 7 * w);
  edition.edition = { ...edition.edition, week, weekEnd: addDays(week, 6), revision: 1 };
  const ids = new Map<string, string>();
  const idOf = (id: string) => {
    let mapped = ids.get(id);
    if (mapped === undefined) {
      mapped = `ZZP${String((ids.size * 37 + w * 53) % POOL).padStart(5, '0')}`;
      ids.set(id, mapped);
    }
    return mapped;
  };
  for (const group of edition.sectionII) {
    group.jurisdiction = { ...group.jurisdiction, id: idOf(group.jurisdiction.id) };
    group.declines = group.declines.map((d) => ({ ...d, ref: `${d.ref}W${w}` }));
  }
  for (const row of edition.sectionI)
    row.jurisdiction = { ...row.jurisdiction, id: idOf(row.jurisdiction.id) };
  // Policies are a jurisdiction's for years: the same ones every week.
  edition.sectionIII = edition.sectionIII.map((row, i) => ({
    ...row,
    jurisdiction: { ...row.jurisdiction, id: `ZZP${String(POOL - 1 - i).padStart(5, '0')}` },
  }));
  return edition;
}

interface Counts {
  reads: number;
  writes: number;
  bytesRead: number;
  bytesWritten: number;
}

function countingSite() {
  const files = new Map<string, string>();
  const counts: Counts = { reads: 0, writes: 0, bytesRead: 0, bytesWritten: 0 };
  return {
    files,
    counts,
    site: {
      async putFile(key: string, body: string) {
        counts.writes += 1;
        counts.bytesWritten += Buffer.byteLength(body);
        files.set(key, body);
      },
      async readText(key: string) {
        counts.reads += 1;
        const text = files.get(key);
        if (text !== undefined) counts.bytesRead += Buffer.byteLength(text);
        return text;
      },
    } satisfies ArchiveSiteDeps['site'],
  };
}

function depsFor(site: ArchiveSiteDeps['site']): ArchiveSiteDeps {
  return {
    site,
    render: archiveRenderer({ siteUrl: 'https://ddor.example.org/', contactLine: 'Synthetic publisher' }),
    exclusive: (work) => work(),
    disputes: async () => [],
    today: () => '2024-01-08',
  };
}

interface Run {
  fold: Counts & { ms: number };
  build: Counts & { ms: number };
  touched: number;
  largestPage: number;
  index: number;
  dataBytes: number;
}

async function counted(store: ReturnType<typeof countingSite>, work: () => Promise<unknown>) {
  const before = { ...store.counts };
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  return {
    ms,
    reads: store.counts.reads - before.reads,
    writes: store.counts.writes - before.writes,
    bytesRead: store.counts.bytesRead - before.bytesRead,
    bytesWritten: store.counts.bytesWritten - before.bytesWritten,
  };
}

/** An archive of `weeks` weeks, then the next week folded in and the run's files built, measured. */
async function measureAt(weeks: number, log: (line: string) => void): Promise<Run> {
  const store = countingSite();
  const deps = depsFor(store.site);
  for (let w = 0; w < weeks; w++) {
    await updateArchive(deps, weekEdition(w));
    if (w % 50 === 49) log(`    ${w + 1}/${weeks} weeks folded`);
  }
  await buildArchiveFiles(deps);
  let touched = 0;
  const fold = await counted(store, async () => {
    touched = (await updateArchive(deps, weekEdition(weeks))).jurisdictions;
  });
  const build = await counted(store, () => buildArchiveFiles(deps));
  let largestPage = 0;
  for (const [key, body] of store.files) {
    if (key.endsWith('.html') && key !== 'jurisdictions/index.html')
      largestPage = Math.max(largestPage, Buffer.byteLength(body));
  }
  const index = Buffer.byteLength(store.files.get('jurisdictions/index.html') ?? '');
  const dataBytes = Buffer.byteLength(store.files.get('data/declines.csv') ?? '');
  return { fold, build, touched, largestPage, index, dataBytes };
}

export const archiveSite: Benchmark = {
  id: 'archive-site',
  title: 'Jurisdiction pages and archive data: a publication against the archive',
  description:
    "One more week (the 2017 shape: 206 declines in 52 jurisdictions, Section I's ten, 118 policies) folded " +
    `into the jurisdiction pages, index and /data/ files (core/edition/archive-site.ts) of an archive of ${POOL.toLocaleString('en-US')} ` +
    'jurisdictions, small (a few weeks) and five years old: objects read and written, their bytes, and the time ' +
    "of the fold, each against the small archive's. The site is an in-memory store that counts every read and " +
    'write, so the figures are the S3 work a publication asks for, not an emulator’s speed.',
  async run({ quick, log }) {
    const small = quick ? 4 : 10;
    const large = quick ? 40 : 260;
    log(`  archive of ${small} weeks`);
    const a = await measureAt(small, log);
    log(`  archive of ${large} weeks (five years when full)`);
    const b = await measureAt(large, log);
    const base = `archive of ${small} weeks`;
    const row = (
      name: string,
      unit: Measurement['unit'],
      subject: number,
      baseline: number,
    ): Measurement => ({
      name: `${large} weeks: ${name}`,
      unit,
      samples: [subject],
      baseline: { name: base, samples: [baseline] },
    });
    const measurements: Measurement[] = [
      row('jurisdictions whose record the week changed', 'items', b.touched, a.touched),
      row("a publication's fold: objects read", 'items', b.fold.reads, a.fold.reads),
      row("a publication's fold: objects written", 'items', b.fold.writes, a.fold.writes),
      row("a publication's fold: bytes read", 'bytes', b.fold.bytesRead, a.fold.bytesRead),
      row("a publication's fold: bytes written", 'bytes', b.fold.bytesWritten, a.fold.bytesWritten),
      row("a publication's fold: time (in process)", 'ms', b.fold.ms, a.fold.ms),
      row("the run's build of the index and data files: objects read", 'items', b.build.reads, a.build.reads),
      row("the run's build: bytes written", 'bytes', b.build.bytesWritten, a.build.bytesWritten),
      row("the run's build: time (in process)", 'ms', b.build.ms, a.build.ms),
      {
        name: `${large} weeks: largest page (a jurisdiction's, one of its years, or a state's index)`,
        unit: 'bytes',
        samples: [b.largestPage],
        baseline: { name: 'contract: no page over 400,000', samples: [400_000] },
      },
      {
        name: `${large} weeks: the index, /jurisdictions/`,
        unit: 'bytes',
        samples: [b.index],
        baseline: { name: 'contract: no page over 400,000', samples: [400_000] },
      },
    ];
    return {
      measurements,
      notes: [
        "A publication's fold reads and writes its week's jurisdictions (a read and three files each, more for " +
          'year pages), its own week block and `data/_/state.json` (the totals of every jurisdiction: it grows with the ' +
          'jurisdictions, not the weeks). A jurisdiction named every week carries every week in its weekly table, so a ' +
          "policy jurisdiction's record is what still grows with the archive in the fold's bytes.",
        "The run's build (once per weekly run, after each `npm run publish`, and by `rebuild-site`) reads every week's " +
          `block and writes the whole-archive CSVs (${(b.dataBytes / 1_048_576).toFixed(1)} MiB of declines.csv at ` +
          `${large} weeks) and the index: it grows with the archive, as the files it writes do.`,
        `Weeks spread their jurisdictions over the pool (a stride of 53 ids a week); the 118 policy jurisdictions are ` +
          'the same every week, so each is named in every week of the archive.',
      ],
    };
  },
};
