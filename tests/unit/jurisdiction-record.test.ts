import { describe, expect, it } from 'vitest';
import {
  foldWeek,
  summaryOf,
  touchedJurisdictions,
  withRecordedPolicies,
} from '#core/edition/jurisdiction-record';
import type { Edition } from '#core/edition/model';
import {
  renderJurisdictionCsv,
  renderJurisdictionIndex,
  renderJurisdictionPage,
  weekDeclineRows,
  weekWeeklyRows,
} from '#core/render/jurisdiction-pages';
import { fixtureEdition, heavyEdition } from '../fixtures/edition';

function revisionOf(base: Edition, revision: number, change: (e: Edition) => void): Edition {
  const copy = structuredClone(base);
  copy.edition.revision = revision;
  change(copy);
  return copy;
}

describe("a jurisdiction's record", () => {
  const first = revisionOf(fixtureEdition(), 1, () => undefined);

  it('lists exactly the declines the edition listed under it, by ref (transfers under the receiving agency)', () => {
    const amber = foldWeek(undefined, 'ZZ0010000', first);
    expect(amber?.declines.map((d) => [d.ref, d.state, d.revision])).toEqual([
      ['R7QX2K9P', 'listed', 1],
      ['R8MN4T2A', 'listed', 1],
    ]);
    // The transfer's row is under Dunmore (which released the person), not Elmstead.
    expect(foldWeek(undefined, 'ZZ0040000', first)?.declines.map((d) => d.ref)).toEqual(['R2BC7D5E']);
    expect(foldWeek(undefined, 'ZZ0050000', first)).toBeUndefined();
    expect(amber?.weeks).toEqual([
      {
        week: '2017-01-28',
        revision: 1,
        issued: 51,
        declined: 2,
        name: 'Amberfield County Sheriff',
        state: 'CA',
      },
    ]);
  });

  it('marks a corrected row and a withdrawn one from the next revision, and changes nothing on a repeat', () => {
    const before = foldWeek(undefined, 'ZZ0010000', first);
    const second = revisionOf(first, 2, (e) => {
      const group = e.sectionII.find((g) => g.jurisdiction.id === 'ZZ0010000');
      if (!group) throw new Error('fixture changed');
      const [kept] = group.declines;
      if (!kept) throw new Error('fixture changed');
      kept.facility = 'Amberfield Annex (corrected)';
      group.declines = [kept];
    });
    const after = foldWeek(before, 'ZZ0010000', second);
    expect(after?.declines.map((d) => [d.ref, d.state, d.revision])).toEqual([
      ['R7QX2K9P', 'corrected', 2],
      ['R8MN4T2A', 'withdrawn', 2],
    ]);
    expect(after?.weeks.map((w) => [w.revision, w.declined])).toEqual([[2, 1]]);
    expect(foldWeek(after, 'ZZ0010000', second)).toEqual(after);
    const summary = after ? summaryOf(after) : undefined;
    expect(summary).toMatchObject({ id: 'ZZ0010000', declines: 1, weeks: 1 });
    // Its CSV holds the rows still listed; its page says what happened to the others.
    const csv = after ? renderJurisdictionCsv(after) : '';
    expect(csv.split('\r\n')[0]).toBe(
      'week,state,jurisdiction_id,jurisdiction,facility,citizenship,offenses,issued_on,declined_on,recorded_on,ref',
    );
    expect(csv).toContain('R7QX2K9P');
    expect(csv).not.toContain('R8MN4T2A');
    const page = after ? renderJurisdictionPage(after, {}, '2017-02-13') : '';
    expect(page).toContain('Corrected in revision 2');
    expect(page).toContain('Withdrawn in revision 2');
    expect(page).toContain('href="../../reports/2017-01-28/r2/#corrections-log"');
  });

  it('takes its name from the newest week that names it, also after a re-issue drops it from that week', () => {
    const id = 'ZZ0010000';
    const later = revisionOf(first, 1, (e) => {
      e.edition.week = '2017-02-04';
      e.edition.weekEnd = '2017-02-10';
      for (const named of [...e.sectionI, ...e.sectionII, ...e.sectionIII])
        if (named.jurisdiction.id === id) named.jurisdiction.name = 'Amberfield County Sheriff’s Office';
    });
    const both = foldWeek(foldWeek(undefined, id, first), id, later);
    expect(both?.jurisdiction.name).toBe('Amberfield County Sheriff’s Office');
    // Folding the older week again (a re-issue of it) keeps the newer week's name.
    expect(
      foldWeek(
        both,
        id,
        revisionOf(first, 2, () => undefined),
      )?.jurisdiction.name,
    ).toBe('Amberfield County Sheriff’s Office');
    // The newer week re-issued without it: the name is the one the week before gave it.
    const dropped = revisionOf(later, 2, (e) => {
      e.sectionI = e.sectionI.filter((row) => row.jurisdiction.id !== id);
      e.sectionII = e.sectionII.filter((group) => group.jurisdiction.id !== id);
      e.sectionIII = e.sectionIII.filter((row) => row.jurisdiction.id !== id);
    });
    const after = foldWeek(both, id, dropped);
    expect(after?.weeks.map((w) => w.week)).toEqual(['2017-01-28']);
    expect(after?.jurisdiction).toMatchObject({ id, name: 'Amberfield County Sheriff', state: 'CA' });
  });

  it('is touched by the jurisdictions a revision names and those its predecessor named', () => {
    const dropped = revisionOf(first, 2, (e) => {
      e.sectionII = e.sectionII.filter((g) => g.jurisdiction.id !== 'ZZ0040000');
    });
    expect(touchedJurisdictions(dropped, first)).toContain('ZZ0040000');
    const folded = foldWeek(foldWeek(undefined, 'ZZ0040000', first), 'ZZ0040000', dropped);
    expect(folded?.declines.map((d) => d.state)).toEqual(['withdrawn']);
    expect(folded?.weeks).toEqual([]);
  });
});

describe("a jurisdiction's policy versions", () => {
  it("are the versions the weeks' latest Section III list, with those weeks and the recorded repeal date", () => {
    const edition = fixtureEdition();
    const row = edition.sectionIII[0];
    if (!row) throw new Error('fixture changed');
    const id = row.jurisdiction.id;
    const next = revisionOf(edition, 1, (e) => {
      e.edition.week = '2017-02-04';
    });
    const folded = foldWeek(foldWeek(undefined, id, edition), id, next);
    if (!folded) throw new Error('not named');
    expect(folded.policies.map((p) => [p.enactedOn, p.weeks, p.firstWeek, p.lastWeek])).toEqual([
      [row.policy.enactedOn, ['2017-01-28', '2017-02-04'], '2017-01-28', '2017-02-04'],
    ]);
    const dated = withRecordedPolicies(folded, [{ ...row.policy, repealedOn: '2017-03-01' }]);
    expect(dated.policies[0]?.repealedOn).toBe('2017-03-01');
    expect(renderJurisdictionPage(dated, {}, '2017-03-06')).toContain('Mar 1, 2017');

    // A re-issue of the first week that no longer lists it (its policy was corrected away):
    // that week leaves the version, and a version no week lists is gone.
    const corrected = revisionOf(edition, 3, (e) => {
      e.sectionIII = e.sectionIII.filter((r) => r.jurisdiction.id !== id);
    });
    const after = foldWeek(folded, id, corrected);
    expect(after?.policies.map((p) => p.weeks)).toEqual([['2017-02-04']]);
    const gone = foldWeek(
      after,
      id,
      revisionOf(next, 2, (e) => {
        e.sectionIII = e.sectionIII.filter((r) => r.jurisdiction.id !== id);
      }),
    );
    expect(gone?.policies).toEqual([]);
    expect(gone ? summaryOf(gone).hasPolicy : true).toBe(false);
  });

  it('lists a row withdrawn and then listed again as it was as listed, not corrected', () => {
    const first = revisionOf(fixtureEdition(), 1, () => undefined);
    const without = revisionOf(first, 2, (e) => {
      e.sectionII = e.sectionII.filter((g) => g.jurisdiction.id !== 'ZZ0040000');
    });
    const back = revisionOf(first, 3, () => undefined);
    const history = foldWeek(
      foldWeek(foldWeek(undefined, 'ZZ0040000', first), 'ZZ0040000', without),
      'ZZ0040000',
      back,
    );
    expect(history?.declines.map((d) => [d.state, d.revision])).toEqual([['listed', 3]]);
  });
});

describe('the archive data rows', () => {
  it("agree with the edition's report: a declines row per Section II row, a weekly row per jurisdiction named", () => {
    const edition = heavyEdition({ declines: 40, jurisdictions: 12, states: 4, policies: 6 });
    const declines = weekDeclineRows(edition);
    expect(declines).toHaveLength(edition.sectionII.reduce((n, g) => n + g.declines.length, 0));
    expect(declines.map((row) => row.at(-1))).toEqual(
      edition.sectionII.flatMap((g) => g.declines.map((d) => d.ref)),
    );
    const weekly = weekWeeklyRows(edition);
    const named = new Set([
      ...edition.sectionI.map((r) => r.jurisdiction.id),
      ...edition.sectionII.map((g) => g.jurisdiction.id),
      ...edition.sectionIII.map((r) => r.jurisdiction.id),
    ]);
    expect(new Set(weekly.map((row) => row[2]))).toEqual(named);
    for (const group of edition.sectionII) {
      const row = weekly.find((r) => r[2] === group.jurisdiction.id);
      expect(row?.[5]).toBe(String(group.declines.length));
    }
    for (const row of edition.sectionI) {
      expect(weekly.find((r) => r[2] === row.jurisdiction.id)?.[4]).toBe(String(row.issued));
    }
  });

  it('index lists states and continues by state when there are many', () => {
    const summaries = Array.from({ length: 1_600 }, (_, i) => ({
      id: `ZZX${String(i).padStart(5, '0')}`,
      name: `Synthetic Agency ${i}`,
      state: i % 2 === 0 ? 'CA' : 'TX',
      declines: i % 7,
      weeks: 1,
      lastWeek: '2024-01-06',
      hasPolicy: false,
    }));
    const small = renderJurisdictionIndex(summaries.slice(0, 10), { synthetic: true });
    expect(small.states).toEqual([]);
    expect(small.index).toContain('href="../jurisdictions/ZZX00000/"');
    const large = renderJurisdictionIndex(summaries, { synthetic: true });
    expect(large.states.map((s) => s.code)).toEqual(['CA', 'TX']);
    expect(large.index).toContain('href="../jurisdictions/_/state/CA/"');
    for (const { page } of large.states) expect(Buffer.byteLength(page)).toBeLessThan(400_000);
  });
});
