/**
 * The end-to-end test's data: fictional jurisdictions (invented names, `ZZ` ids, every name
 * marked "(synthetic)") in two fixture weeks, with the figures a reader should see worked out
 * by hand from the records below, not by the product's code.
 *
 * Week 1, Saturday 2024-03-02 to Friday 2024-03-08:
 *
 * | jurisdiction        | state | policy at week end          | issued | declines recorded |
 * | ------------------- | ----- | --------------------------- | -----: | ----------------: |
 * | Quorvale (A)        | CA    | yes, enacted 2019-05-01     |      6 | 3 (one late: issued 2023) |
 * | Belazar (B)         | TX    | none                        |      4 | 1                 |
 * | Talrix (C)          | NY    | yes, enacted 2023-07-15     |      3 | 0                 |
 * | Kovenquor (D)       | TX    | none                        |      0 | 1 (B's transfer, released at D) |
 * | Orvzen (E)          | IL    | none                        |      8 | 0                 |
 * | Sylqua (F)          | WA    | repealed 2024-02-01         |      2 | 0                 |
 *
 * Headline: 23 issued, 5 declined, 3 jurisdictions (A, B, D) in 2 states (CA, TX).
 * Section I: A (6, 3), B (4, 1), C (3, 0); not E (most issued, but no policy and no decline),
 * not F (its policy was repealed), not D (nothing issued to it).
 * Section II: California: A (3 rows: the late one first, by declined on); Texas: Belazar (1),
 * Kovenquor (1). Section III: C then A (newest enacted first); not F.
 * Earlier weeks, for the trend: 2024-02-17 has 4 issued; 2024-02-24 has 6 issued and 1 decline.
 * Week 2 (2024-03-09): 3 issued, 1 decline.
 */

export const WEEK_1 = '2024-03-02';
export const WEEK_2 = '2024-03-09';

interface Ref {
  id: string;
  name: string;
  state: string;
}

export const A: Ref = { id: 'ZZCA0001', name: "Quorvale County Sheriff's Office (synthetic)", state: 'CA' };
export const B: Ref = { id: 'ZZTX0001', name: 'Belazar County Jail (synthetic)', state: 'TX' };
export const C: Ref = { id: 'ZZNY0001', name: 'City of Talrix Police Department (synthetic)', state: 'NY' };
export const D: Ref = { id: 'ZZTX0002', name: "Kovenquor County Sheriff's Office (synthetic)", state: 'TX' };
export const E: Ref = { id: 'ZZIL0001', name: 'Orvzen Regional Detention Center (synthetic)', state: 'IL' };
export const F: Ref = { id: 'ZZWA0001', name: "Sylqua County Sheriff's Office (synthetic)", state: 'WA' };

const FACILITY: Record<string, string> = {
  [A.id]: 'Quorvale County Jail (synthetic)',
  [B.id]: 'Belazar County Jail (synthetic)',
  [C.id]: 'Talrix City Lockup (synthetic)',
  [D.id]: 'Kovenquor County Jail (synthetic)',
  [E.id]: 'Orvzen Regional Detention Center (synthetic)',
  [F.id]: 'Sylqua County Jail (synthetic)',
};

type Outcome = Record<string, unknown> & { detainerId: string };

function issued(detainerId: string, j: Ref, issuedOn: string, extra: Record<string, unknown> = {}): Outcome {
  return {
    detainerId,
    issuedOn,
    jurisdiction: j,
    facility: FACILITY[j.id],
    aor: 'Quorvale Field Office (synthetic)',
    status: 'honored',
    ...extra,
  };
}

function declined(
  detainerId: string,
  j: Ref,
  dates: { issuedOn: string; declinedOn: string; learnedOn: string },
  extra: Record<string, unknown> = {},
): Outcome {
  return issued(detainerId, j, dates.issuedOn, {
    status: 'declined',
    declinedOn: dates.declinedOn,
    learnedOn: dates.learnedOn,
    ...extra,
  });
}

const many = (prefix: string, j: Ref, dates: readonly string[]): Outcome[] =>
  dates.map((date, i) => issued(`${prefix}-${i + 1}`, j, date));

export const OUTCOMES: Outcome[] = [
  // Earlier weeks (the trend).
  ...many('e2e-w-2-e', E, ['2024-02-19', '2024-02-20', '2024-02-21', '2024-02-22']),
  ...many('e2e-w-1-e', E, ['2024-02-26', '2024-02-27', '2024-02-27', '2024-02-28', '2024-03-01']),
  declined('e2e-w-1-b', B, { issuedOn: '2024-02-24', declinedOn: '2024-02-25', learnedOn: '2024-02-26' }),

  // Week 1.
  declined(
    'e2e-w1-a1',
    A,
    { issuedOn: '2024-03-02', declinedOn: '2024-03-04', learnedOn: '2024-03-05' },
    { citizenship: 'Freedonia', offenses: [{ description: 'Burglary', status: 'convicted' }] },
  ),
  declined(
    'e2e-w1-a2',
    A,
    { issuedOn: '2024-03-03', declinedOn: '2024-03-06', learnedOn: '2024-03-07' },
    {
      citizenship: 'Sylvania',
      offenses: [
        { description: 'Theft', status: 'charged' },
        { description: 'Trespass', status: 'convicted' },
      ],
    },
  ),
  issued('e2e-w1-a3', A, '2024-03-04'),
  issued('e2e-w1-a4', A, '2024-03-05', { kind: 'notification_request' }),
  issued('e2e-w1-a5', A, '2024-03-06', { status: 'pending' }),
  issued('e2e-w1-a6', A, '2024-03-07', {
    status: 'lifted',
    liftedOn: '2024-03-08',
    liftReason: 'Case closed',
  }),
  // Recorded in week 1, issued and declined months before: counted in week 1's declines only.
  declined(
    'e2e-late-a',
    A,
    { issuedOn: '2023-11-10', declinedOn: '2023-11-12', learnedOn: '2024-03-05' },
    { citizenship: 'Ruritania', offenses: [{ description: 'Fraud', status: 'charged' }] },
  ),
  declined('e2e-w1-b1', B, { issuedOn: '2024-03-02', declinedOn: '2024-03-03', learnedOn: '2024-03-04' }),
  issued('e2e-w1-b2', B, '2024-03-04'),
  issued('e2e-w1-b3', B, '2024-03-05'),
  // Moved from B to D and released there: issued to B, D's decline.
  declined(
    'e2e-w1-b4',
    B,
    { issuedOn: '2024-03-05', declinedOn: '2024-03-07', learnedOn: '2024-03-08' },
    { transferredTo: D, facility: FACILITY[D.id], citizenship: 'Genovia' },
  ),
  ...many('e2e-w1-c', C, ['2024-03-02', '2024-03-04', '2024-03-06']),
  ...many('e2e-w1-e', E, [
    '2024-03-02',
    '2024-03-03',
    '2024-03-04',
    '2024-03-04',
    '2024-03-05',
    '2024-03-06',
    '2024-03-07',
    '2024-03-08',
  ]),
  ...many('e2e-w1-f', F, ['2024-03-03', '2024-03-06']),

  // Week 2.
  ...many('e2e-w2-e', E, ['2024-03-11', '2024-03-13']),
  declined('e2e-w2-a1', A, { issuedOn: '2024-03-10', declinedOn: '2024-03-11', learnedOn: '2024-03-12' }),
];

const policy = (id: string, enactedOn: string, type: string, extra: Record<string, unknown> = {}) => ({
  enactedOn,
  type,
  summary: 'Honors a detainer only when it comes with a judicial warrant (synthetic policy text).',
  criteria: 'A warrant or order signed by a judge.',
  source: `https://example.org/synthetic/policies/${id.toLowerCase()}`,
  ...extra,
});

/** `PUT /jurisdictions/{id}` bodies. */
export const JURISDICTIONS: { id: string; body: Record<string, unknown> }[] = [
  {
    id: A.id,
    body: {
      name: A.name,
      state: A.state,
      aor: 'Quorvale Field Office (synthetic)',
      policy: policy(A.id, '2019-05-01', "Sheriff's Office policy"),
    },
  },
  {
    id: C.id,
    body: { name: C.name, state: C.state, policy: policy(C.id, '2023-07-15', 'Municipal code change') },
  },
  {
    id: F.id,
    body: {
      name: F.name,
      state: F.state,
      policy: policy(F.id, '2022-01-10', 'Resolution', { repealedOn: '2024-02-01' }),
    },
  },
];

export const EXPECTED_WEEK_1 = {
  heading: 'Week of March 2 – 8, 2024',
  headline: { issued: 23, declined: 5, jurisdictionsWithDeclines: 3, statesWithDeclines: 2 },
  sectionI: [
    { rank: 1, name: A.name, state: 'CA', issued: 6, declined: 3 },
    { rank: 2, name: B.name, state: 'TX', issued: 4, declined: 1 },
    { rank: 3, name: C.name, state: 'NY', issued: 3, declined: 0 },
  ],
  /** Section II groups in order, with their rows' declined-on dates in order. */
  sectionII: [
    { name: A.name, state: 'CA', declinedOn: ['2023-11-12', '2024-03-04', '2024-03-06'] },
    { name: B.name, state: 'TX', declinedOn: ['2024-03-03'] },
    { name: D.name, state: 'TX', declinedOn: ['2024-03-07'] },
  ],
  sectionIII: [C.name, A.name],
  /** The 12 weeks of the trend, oldest first. */
  trendIssued: [0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 6, 23],
  trendDeclined: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 5],
};

export const EXPECTED_WEEK_2 = { issued: 3, declined: 1 };
