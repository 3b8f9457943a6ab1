import { describe, expect, it } from 'vitest';
import type { DeclineRow, Edition } from '#core/edition/model';
import { addDays } from '#core/reporting-week';
import {
  type CheckContext,
  changedRefs,
  declinesBefore,
  NO_CONTEXT,
  reviewChecks,
  sameNamePairKey,
} from '#core/review/checks';
import { fixtureEdition } from '../fixtures/edition';

/**
 * The fixture week made clean: its late notification request dated within the month, and its
 * one thin Section I row given a policy. Every check is silent on it; each test below breaks it
 * in one way only.
 */
function cleanEdition(): Edition {
  const edition = fixtureEdition();
  for (const group of edition.sectionII) {
    for (const row of group.declines) {
      if (row.ref === 'R8MN4T2A') row.declinedOn = '2017-01-30';
    }
  }
  for (const row of edition.sectionI) row.hasPolicy = true;
  return edition;
}

const ids = (edition: Edition, context?: CheckContext) => reviewChecks(edition, context).map((c) => c.id);

function row(ref: string, overrides: Partial<DeclineRow> = {}): DeclineRow {
  return {
    ref,
    kind: 'detainer',
    facility: 'Synthetic Holding Facility',
    offenses: [],
    issuedOn: '2017-01-28',
    declinedOn: '2017-01-30',
    learnedOn: '2017-01-31',
    ...overrides,
  };
}

describe('the pre-publication checks', () => {
  it('find nothing on a clean week', () => {
    expect(reviewChecks(cleanEdition())).toEqual([]);
  });

  it('late-record: a decline learned more than 30 days after it happened', () => {
    const edition = cleanEdition();
    edition.sectionII[0]?.declines.push(
      row('RLATE0001', { declinedOn: '2016-12-03', learnedOn: '2017-02-01' }),
    );
    // 30 days exactly is not late.
    edition.sectionII[0]?.declines.push(
      row('RONTIME01', { declinedOn: '2017-01-02', learnedOn: '2017-02-01' }),
    );
    const [finding] = reviewChecks(edition);
    expect(finding?.id).toBe('late-record');
    expect(finding?.refs).toEqual(['RLATE0001']);
    expect(finding?.message).toContain('1 decline was recorded more than 30 days');
    expect(finding?.message).toContain('the longest 60 days');
  });

  it('spike: five or more declines and more than three times the mean of the 12 weeks before', () => {
    const edition = cleanEdition();
    const group = edition.sectionII[1];
    if (group === undefined) throw new Error('fixture changed');
    group.declines = Array.from({ length: 6 }, (_, i) => row(`RSPIKE00${i}`));
    const jurisdiction = group.jurisdiction.id;
    const spiking = { ...NO_CONTEXT, declinesBefore: new Map([[jurisdiction, Array(12).fill(1)]]) };
    const [finding] = reviewChecks(edition, spiking);
    expect(finding?.id).toBe('spike');
    expect(finding?.jurisdictionIds).toEqual([jurisdiction]);
    expect(finding?.refs).toHaveLength(6);
    expect(finding?.message).toContain('Dunmore Township Jail (CA), 6 against a mean of 1.0');
    // A jurisdiction that usually has two a week is not spiking at six (6 ≤ 3 × 2).
    const usual = { ...NO_CONTEXT, declinesBefore: new Map([[jurisdiction, Array(12).fill(2)]]) };
    expect(ids(edition, usual)).toEqual([]);
    // Four is never a spike, whatever came before.
    group.declines = group.declines.slice(0, 4);
    expect(ids(edition)).toEqual([]);
  });

  it('same-name: equal names after NFC and case folding, in different states, unless acknowledged', () => {
    const edition = cleanEdition();
    const namesake = { id: 'ZZ0090000', name: 'AMBERFIELD COUNTY SHERIFF', state: 'TX' };
    edition.sectionII.push({ jurisdiction: namesake, declines: [row('RNAME0001')] });
    const [finding] = reviewChecks(edition);
    expect(finding?.id).toBe('same-name');
    expect(finding?.jurisdictionIds).toEqual(['ZZ0010000', 'ZZ0090000']);
    expect(finding?.refs).toEqual(['R7QX2K9P', 'R8MN4T2A', 'RNAME0001']);
    expect(finding?.message).toContain('Amberfield County Sheriff (CA, TX)');
    // An editor who checked the pair once is not asked again.
    const acknowledged = {
      ...NO_CONTEXT,
      acknowledgedPairs: new Set([sameNamePairKey('ZZ0090000', 'ZZ0010000')]),
    };
    expect(ids(edition, acknowledged)).toEqual([]);
    // Namesakes of one state are a different matter (two agencies of one county): not this check.
    namesake.state = 'CA';
    expect(ids(edition)).toEqual([]);
  });

  it('same-name: a composed and a decomposed accent are one name', () => {
    const edition = cleanEdition();
    const composed = { id: 'ZZ0091000', name: 'Pe\u00f1a County Jail', state: 'NM' };
    const decomposed = { id: 'ZZ0092000', name: 'Pen\u0303a County Jail', state: 'AZ' };
    edition.sectionII.push({ jurisdiction: composed, declines: [row('RNFC00001')] });
    edition.sectionIII.push({
      jurisdiction: decomposed,
      policy: edition.sectionIII[0]?.policy ?? ({} as never),
    });
    expect(reviewChecks(edition)[0]?.jurisdictionIds).toEqual(['ZZ0091000', 'ZZ0092000']);
  });

  it('self-transfer: a decline transferred to the jurisdiction it was issued to', () => {
    const edition = cleanEdition();
    const group = edition.sectionII[2];
    if (group === undefined) throw new Error('fixture changed');
    group.declines.push(row('RSELF0001', { transferredFrom: { ...group.jurisdiction } }));
    const [finding] = reviewChecks(edition);
    expect(finding?.id).toBe('self-transfer');
    expect(finding?.refs).toEqual(['RSELF0001']);
    expect(finding?.jurisdictionIds).toEqual([group.jurisdiction.id]);
  });

  it('open-dispute: a row of this edition with a dispute still open', () => {
    const context = { ...NO_CONTEXT, openDisputeRefs: new Set(['R5HJ8K3L', 'RNOTHERE1']) };
    const [finding] = reviewChecks(cleanEdition(), context);
    expect(finding?.id).toBe('open-dispute');
    expect(finding?.refs).toEqual(['R5HJ8K3L']);
    expect(finding?.message).toBe('1 row of this edition has an open dispute.');
  });

  it('thin-section-i: a Section I jurisdiction with no policy and exactly one decline', () => {
    const edition = cleanEdition();
    const brightwater = edition.sectionI[1];
    if (brightwater === undefined) throw new Error('fixture changed');
    brightwater.hasPolicy = false;
    const [finding] = reviewChecks(edition);
    expect(finding?.id).toBe('thin-section-i');
    expect(finding?.jurisdictionIds).toEqual(['ZZ0020000']);
    expect(finding?.refs).toEqual(['R5HJ8K3L']);
    expect(finding?.message).toContain('Brightwater City Police (TX)');
    brightwater.declined = 2;
    expect(ids(edition)).toEqual([]);
  });

  it('changed-after-draft: records changed since the draft, those still in it first', () => {
    const context = { ...NO_CONTEXT, changedAfterDraft: ['RGONE0001', 'R5HJ8K3L'] };
    const [finding] = reviewChecks(cleanEdition(), context);
    expect(finding?.id).toBe('changed-after-draft');
    expect(finding?.refs).toEqual(['R5HJ8K3L', 'RGONE0001']);
    expect(finding?.message).toContain('2 records changed after the draft was first assembled');
    expect(finding?.message).toContain('1 row left it');
  });

  it('changed-after-draft: the rows two assemblies differ in, added, dropped or changed', () => {
    const before = cleanEdition();
    expect(changedRefs(before, cleanEdition())).toEqual([]);
    const after = cleanEdition();
    const [first, second] = after.sectionII;
    if (first === undefined || second === undefined) throw new Error('the fixture has two groups');
    const edited = first.declines[0];
    if (edited === undefined) throw new Error('the fixture group has a row');
    edited.facility = 'Synthetic Annex';
    const dropped = second.declines.pop();
    first.declines.push(row('RNEW00001'));
    expect(changedRefs(before, after)).toEqual([edited.ref, dropped?.ref, 'RNEW00001'].sort());
  });

  it('lists its findings in the contract order, each once', () => {
    // The fixture as it is: a late notification request and a thin Section I row.
    const context = {
      ...NO_CONTEXT,
      openDisputeRefs: new Set(['R2BC7D5E']),
      changedAfterDraft: ['R2BC7D5E'],
    };
    expect(ids(fixtureEdition(), context)).toEqual([
      'late-record',
      'open-dispute',
      'thin-section-i',
      'changed-after-draft',
    ]);
  });
});

describe('the spike check’s weeks before', () => {
  it('counts each jurisdiction’s listed declines in the 12 weeks before, oldest first, missing weeks as zero', () => {
    const base = fixtureEdition();
    const week = base.edition.week;
    const at = (daysBefore: number): Edition => ({
      ...base,
      edition: { ...base.edition, week: addDays(week, -daysBefore) },
    });
    // One and twelve weeks before; the edition's own week and one 13 weeks before do not count.
    const counts = declinesBefore(week, [at(7), at(84), at(0), at(91)]);
    const group = base.sectionII[0];
    if (group === undefined) throw new Error('the fixture has no Section II');
    const series = counts.get(group.jurisdiction.id);
    expect(series).toHaveLength(12);
    expect(series?.[0]).toBe(group.declines.length);
    expect(series?.[11]).toBe(group.declines.length);
    expect(series?.slice(1, 11).every((n) => n === 0)).toBe(true);
  });
});
