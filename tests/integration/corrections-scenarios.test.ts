import { describe, expect, it } from 'vitest';
import { syntheticRecord } from '../support/api';
import { useLocalStack } from '../support/local-stack';
import { publish, publishedReport } from '../support/publishing';

/**
 * The 2017 report's failures (DOMAIN.md, "Why the precedent failed"), replayed one by one with
 * fictional jurisdictions: each published edition must be right, and after a correction the
 * re-issued edition must say what changed and why.
 */
const stack = useLocalStack();

const ref = (id: string, name: string, state: string) => ({ id, name, state });

async function put(id: string, record: Record<string, unknown>, reason?: string): Promise<void> {
  const response = await stack().api(`/outcomes/${id}`, {
    method: 'PUT',
    body: { ...record, ...(reason ? { reason } : {}) },
  });
  expect([200, 201], await response.clone().text()).toContain(response.status);
}

describe('2017 failures, replayed', () => {
  it('never merges same-named counties in different states', async () => {
    // Week of 2017-01-07 to 2017-01-13.
    const pa = ref('ZZPA0001', 'Synthetic Franklin County Sheriff', 'PA');
    const oh = ref('ZZOH0001', 'Synthetic Franklin County Sheriff', 'OH');
    await put(
      'F-1',
      syntheticRecord({
        issuedOn: '2017-01-09',
        jurisdiction: pa,
        declinedOn: '2017-01-10',
        learnedOn: '2017-01-10',
      }),
    );
    await put(
      'F-2',
      syntheticRecord({
        issuedOn: '2017-01-09',
        jurisdiction: oh,
        status: 'honored',
        declinedOn: undefined,
        learnedOn: undefined,
      }),
    );
    const { edition } = await publish('2017-01-07', false);
    expect(edition.sectionII.map((g) => g.jurisdiction)).toEqual([pa]);
    expect(edition.headline).toMatchObject({
      declined: 1,
      jurisdictionsWithDeclines: 1,
      statesWithDeclines: 1,
    });
    expect(edition.sectionI.map((r) => r.jurisdiction.id)).toEqual(['ZZPA0001']);
  });

  it('counts a release after a transfer for the receiving agency, with the chain in the history', async () => {
    // Week of 2017-01-14 to 2017-01-20.
    const sender = ref('ZZTX0001', 'Synthetic Sender County Sheriff', 'TX');
    const receiver = ref('ZZTX0002', 'Synthetic Receiver County Sheriff', 'TX');
    await put(
      'T-1',
      syntheticRecord({
        issuedOn: '2017-01-14',
        jurisdiction: sender,
        status: 'transferred',
        transferredTo: receiver,
        declinedOn: undefined,
        learnedOn: undefined,
      }),
    );
    await put(
      'T-1',
      syntheticRecord({
        issuedOn: '2017-01-14',
        jurisdiction: sender,
        transferredTo: receiver,
        facility: 'Receiver Jail',
        declinedOn: '2017-01-17',
        learnedOn: '2017-01-18',
      }),
      'released by the receiving county',
    );
    const { edition } = await publish('2017-01-14', false);
    expect(edition.sectionII).toHaveLength(1);
    expect(edition.sectionII[0]?.jurisdiction.id).toBe('ZZTX0002');
    expect(edition.sectionII[0]?.declines[0]?.transferredFrom?.id).toBe('ZZTX0001');
    const sectionI = Object.fromEntries(edition.sectionI.map((r) => [r.jurisdiction.id, r]));
    expect(sectionI.ZZTX0001?.declined ?? 0).toBe(0);
    const history = (await (await stack().api('/outcomes/T-1')).json()) as {
      history: { changes: { field: string; after: unknown }[] }[];
    };
    expect(history.history.map((h) => h.changes.find((c) => c.field === 'status')?.after)).toEqual([
      'transferred',
      'declined',
    ]);
  });

  it('re-issues an edition when a detainer issued to the wrong agency is corrected, keeping revision 1', async () => {
    // Week of 2017-01-21 to 2017-01-27.
    const wrong = ref('ZZNV0001', 'Synthetic Wrong County Sheriff', 'NV');
    const right = ref('ZZNV0002', 'Synthetic Right City Police', 'NV');
    const record = syntheticRecord({
      issuedOn: '2017-01-23',
      jurisdiction: wrong,
      declinedOn: '2017-01-24',
      learnedOn: '2017-01-25',
    });
    await put('W-1', record);
    const first = await publish('2017-01-21', false);
    expect(first.revision).toBe(1);
    const r1 = await (
      await fetch(new URL('/reports/2017-01-21/r1/report.json', stack().urls.gateway))
    ).text();

    await put(
      'W-1',
      { ...record, jurisdiction: right },
      'detainer was issued to the city police, not the county',
    );
    const second = await publish('2017-01-21', false);
    expect(second).toMatchObject({ result: 'published', revision: 2 });
    const latest = await publishedReport(stack().urls.gateway, '2017-01-21');
    expect(latest.sectionII.map((g) => g.jurisdiction.id)).toEqual(['ZZNV0002']);
    expect(latest.corrections).toContainEqual(
      expect.objectContaining({
        revision: 2,
        field: 'jurisdiction',
        reason: 'detainer was issued to the city police, not the county',
      }),
    );
    // Revision 1 stays readable, byte for byte, at its own address.
    expect(
      await (await fetch(new URL('/reports/2017-01-21/r1/report.json', stack().urls.gateway))).text(),
    ).toBe(r1);
    const page = await (await fetch(new URL('/reports/2017-01-21/', stack().urls.gateway))).text();
    expect(page).toContain('detainer was issued to the city police, not the county');
    // Publishing again with nothing changed makes no revision 3.
    expect(await publish('2017-01-21', false)).toMatchObject({ result: 'unchanged', revision: 2 });
  });

  it('counts a decline recorded years after issue in the week it was recorded, and says so', async () => {
    // Week of 2017-01-28 to 2017-02-03.
    const old = ref('ZZWA0001', 'Synthetic Old Case County', 'WA');
    await put(
      'L-1',
      syntheticRecord({
        issuedOn: '2013-05-02',
        jurisdiction: old,
        declinedOn: '2013-06-01',
        learnedOn: '2017-01-30',
      }),
    );
    const { edition } = await publish('2017-01-28', false);
    expect(edition.headline.declined).toBe(1);
    expect(edition.headline.issued).toBe(0);
    expect(edition.sectionIV.recordedLate.count).toBe(1);
    expect(edition.sectionIV.issuedEarlier).toBe(1);
    // Issued in 2013: the jurisdiction has no detainer issued this week, so it is not in Section I.
    expect(edition.sectionI).toEqual([]);
  });

  it('keeps a cooperating jurisdiction out of Section I however many detainers it received', async () => {
    // Week of 2017-02-04 to 2017-02-10.
    const cooperating = ref('ZZAZ0001', 'Synthetic Cooperating County', 'AZ');
    const limiting = ref('ZZAZ0002', 'Synthetic Limiting County', 'AZ');
    for (let i = 0; i < 5; i++) {
      await put(
        `C-${i}`,
        syntheticRecord({
          issuedOn: '2017-02-06',
          jurisdiction: cooperating,
          status: 'honored',
          declinedOn: undefined,
          learnedOn: undefined,
        }),
      );
    }
    await put(
      'C-9',
      syntheticRecord({
        issuedOn: '2017-02-06',
        jurisdiction: limiting,
        status: 'pending',
        declinedOn: undefined,
        learnedOn: undefined,
      }),
    );
    const policy = await stack().api('/jurisdictions/ZZAZ0002', {
      method: 'PUT',
      body: {
        name: 'Synthetic Limiting County',
        state: 'AZ',
        policy: {
          enactedOn: '2016-06-01',
          type: 'resolution',
          summary: 'Synthetic',
          criteria: 'Judicial warrant',
          source: 'https://example.org/synthetic',
        },
      },
    });
    expect(policy.status).toBe(200);
    const { edition } = await publish('2017-02-04', false);
    expect(edition.sectionI.map((r) => r.jurisdiction.id)).toEqual(['ZZAZ0002']);
    expect(edition.sectionIII.map((r) => r.jurisdiction.id)).toContain('ZZAZ0002');
    expect(edition.headline.issued).toBe(6);
  });
});
