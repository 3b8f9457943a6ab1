/**
 * The synthetic demo data set: pure and deterministic. The same seed, end week and number of
 * weeks give the same records, byte for byte, so re-running `npm run demo` upserts them as
 * unchanged. Every jurisdiction, facility, field office and country is invented (names built from
 * syllables that no US county or city uses, each marked "(synthetic)"; countries from fiction);
 * jurisdiction ids are `ZZ` + state + number, e.g. `ZZCA0012`.
 *
 * Shape, after the 2017 report: about 3,000 detainers issued a week over a few hundred
 * jurisdictions in every state and DC, and some 50–200 declines recorded a week, most where a
 * limiting policy is in force. It has both kinds (detainers and requests for notification),
 * transfers (some declined by the receiving agency), lifts (alone and after a decline),
 * declines recorded long after they happened (a few of detainers years old), offenses charged
 * and convicted, and recent detainers still pending.
 *
 * Each week's records come from a generator seeded by (seed, week) alone, not by the week's
 * position in the window: a later run (a later end week) regenerates the weeks it shares with an
 * earlier one identically, apart from outcomes that have since become known (pending before).
 */
import type * as z from 'zod';
import type { batchItemSchema, PolicyInput } from '#core/intake/schemas';
import { addDays, weekEnd, weeksEndingWith } from '#core/reporting-week';
import { type StateCode, US_STATE_CODES } from '#core/us-states';
import { seededRandom } from './seeded-random';

export const DEFAULT_SEED = 'ddor-demo-2017';

/** Weeks before the window whose late-recorded declines still fall into it. */
export const WARM_UP_WEEKS = 22;

/** A jurisdiction as a record names it, typed by the schema (its state is a state code). */
export type JurisdictionRef = DemoOutcome['jurisdiction'];

/** A policy as `PUT /jurisdictions/{id}` takes it: the body schema's own type. */
export type DemoPolicy = PolicyInput;

export interface DemoJurisdiction extends JurisdictionRef {
  aor: string;
  facilities: string[];
  /** Relative share of the detainers issued. */
  weight: number;
  /** Chance that one of its detainers is declined while a policy is in force (or always, without one). */
  declineRate: number;
  /** Oldest first; the last without `repealedOn` is in force. Empty: no policy. */
  policies: DemoPolicy[];
}

/** One item of `POST /outcomes`, typed by the batch item schema the intake API validates it with. */
export type DemoOutcome = Omit<z.infer<typeof batchItemSchema>, 'reason'>;

export type DemoOffense = NonNullable<DemoOutcome['offenses']>[number];

export interface DemoDataSet {
  seed: string;
  /** The weeks (Saturdays) of the window, oldest first; the last is the week to publish. */
  weeks: string[];
  jurisdictions: DemoJurisdiction[];
  /** Oldest issue week first. */
  outcomes: DemoOutcome[];
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

/** A 32-bit hash of a string (FNV-1a with a final avalanche). */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export interface Random {
  /** [0, 1) */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A standard normal deviate. */
  normal(): number;
}

/** mulberry32: small, fast and good enough for test data; never for anything secret. */
export function randomFrom(...parts: readonly (string | number)[]): Random {
  const next = seededRandom(hash32(parts.join('|')));
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
    normal: () => {
      // Box–Muller; 1 - next() keeps the logarithm finite.
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
  };
}

/** Picks by weight: `cumulative` holds running totals of the weights. */
function pickWeighted<T>(random: Random, items: readonly T[], cumulative: readonly number[]): T {
  const total = cumulative[cumulative.length - 1] ?? 0;
  const target = random.next() * total;
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((cumulative[mid] ?? 0) > target) high = mid;
    else low = mid + 1;
  }
  const item = items[low];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function runningTotals(weights: readonly number[]): number[] {
  let sum = 0;
  return weights.map((w) => {
    sum += w;
    return sum;
  });
}

// ---------------------------------------------------------------------------------------------
// Invented names

/** 50 states and DC (the territories are valid too, but the report's shape is the states'). */
const TERRITORIES: ReadonlySet<string> = new Set(['AS', 'GU', 'MP', 'PR', 'VI', 'UM']);
/** DC stands after DE, as the seeded data set has always been generated (its shape depends on the order). */
export const DEMO_STATES: readonly StateCode[] = US_STATE_CODES.filter(
  (code) => !TERRITORIES.has(code) && code !== 'DC',
).flatMap((code): StateCode[] => (code === 'DE' ? ['DE', 'DC'] : [code]));

const NAME_STARTS = [
  'Ab',
  'Bel',
  'Brim',
  'Cael',
  'Cor',
  'Dav',
  'Drom',
  'El',
  'Esk',
  'Fal',
  'Fen',
  'Gal',
  'Grel',
  'Hal',
  'Hov',
  'Isk',
  'Jor',
  'Kel',
  'Kov',
  'Lor',
  'Lyss',
  'Mav',
  'Morv',
  'Nor',
  'Ol',
  'Orv',
  'Pel',
  'Prax',
  'Rav',
  'Ros',
  'Sar',
  'Syl',
  'Tal',
  'Trev',
  'Ul',
  'Ulm',
  'Vorn',
  'Wen',
  'Yar',
];
const NAME_MIDDLES = ['a', 'e', 'i', 'o', 'ar', 'en', 'il', 'or', 'u'];
/** Every ending has a z, x, q, y or "th": no US county or city name is built like these. */
const NAME_ENDS = [
  'dex',
  'mirz',
  'nyx',
  'qua',
  'quor',
  'rix',
  'thil',
  'vir',
  'vyx',
  'xis',
  'zar',
  'zen',
  'zoth',
  'zyl',
];

/** A made-up place name, e.g. "Belazar", "Kovenquor". */
function inventedRoot(random: Random): string {
  const start = random.pick(NAME_STARTS);
  const middle = random.chance(0.55) ? random.pick(NAME_MIDDLES) : '';
  return `${start}${middle}${random.pick(NAME_ENDS)}`;
}

/** Countries from fiction, so that no real nationality is tied to made-up offenses. */
const COUNTRIES = [
  'Freedonia',
  'Sylvania',
  'Ruritania',
  'Grand Fenwick',
  'Genovia',
  'Elbonia',
  'Latveria',
  'Syldavia',
  'Borduria',
  'Zubrowka',
  'Kasnia',
  'Markovia',
  'Wadiya',
  'Florin',
  'Guilder',
  'Petoria',
  'Orsinia',
  'Krakozhia',
];
const COUNTRY_TOTALS = runningTotals(COUNTRIES.map((_, i) => 1 / (i + 1) ** 0.9));

const OFFENSES = [
  'Driving under the influence',
  'Burglary',
  'Assault',
  'Theft',
  'Possession of a controlled substance',
  'Fraud',
  'Trespass',
  'Traffic offense',
  'Weapons possession',
  'Vandalism',
  'Illegal re-entry',
  'Robbery',
  'Domestic violence',
];

const POLICY_TYPES = [
  "Sheriff's Office policy",
  'County ordinance',
  'Municipal code change',
  'Resolution',
  'Executive order',
];
const POLICY_TERMS = [
  {
    summary: 'Honors a detainer only when it comes with a judicial warrant (synthetic policy text).',
    criteria: 'A warrant or order signed by a judge.',
  },
  {
    summary: 'Gives notice of release but holds no one past their release date (synthetic policy text).',
    criteria: 'Notification only; no hold beyond the scheduled release.',
  },
  {
    summary: 'Honors detainers for people convicted of listed serious offenses (synthetic policy text).',
    criteria: 'A conviction for an offense on the listed schedule.',
  },
  {
    summary:
      'Honors detainers with a prior removal order and a pending felony charge (synthetic policy text).',
    criteria: 'A final removal order and a felony charge.',
  },
  {
    summary: 'Does not honor detainers or requests for notification (synthetic policy text).',
    criteria: 'None: detainers are not honored.',
  },
];

const LIFT_REASONS = [
  'Case closed',
  'Not removable',
  'Citizenship claim verified',
  'Detainer issued in error',
  'Booked into detention',
];

// ---------------------------------------------------------------------------------------------
// The jurisdictions

/** Fixed dates, not relative to today: a re-run in a later week must not add policy versions. */
const POLICY_FIRST = '2013-06-01';
const POLICY_DAYS = 4_870; // to about September 2026

export function demoJurisdictions(seed: string): DemoJurisdiction[] {
  const random = randomFrom(seed, 'jurisdictions');
  const usedRoots = new Set<string>();
  const freshRoot = (): string => {
    for (;;) {
      const root = inventedRoot(random);
      if (!usedRoots.has(root)) {
        usedRoots.add(root);
        return root;
      }
    }
  };
  // Twelve invented ICE field offices ("areas of responsibility"), each for a run of states.
  const areas = Array.from({ length: 12 }, () => `${freshRoot()} Field Office (synthetic)`);
  const out: DemoJurisdiction[] = [];
  DEMO_STATES.forEach((state, stateIndex) => {
    const aor =
      areas[Math.floor((stateIndex * areas.length) / DEMO_STATES.length)] ?? 'Field Office (synthetic)';
    const count = state === 'DC' ? 2 : random.int(3, 8);
    for (let i = 1; i <= count; i++) {
      const root = freshRoot();
      const county = state === 'LA' ? 'Parish' : state === 'AK' ? 'Borough' : 'County';
      const form = random.next();
      const name =
        form < 0.6
          ? `${root} ${county} Sheriff's Office (synthetic)`
          : form < 0.8
            ? `${root} ${county} Jail (synthetic)`
            : form < 0.93
              ? `City of ${root} Police Department (synthetic)`
              : `${root} Regional Detention Center (synthetic)`;
      const facilities = [`${root} ${form < 0.8 ? `${county} Jail` : 'Detention Center'} (synthetic)`];
      if (random.chance(0.35)) facilities.push(`${root} Detention Annex (synthetic)`);
      if (random.chance(0.1)) facilities.push(`${root} Justice Center (synthetic)`);
      out.push({
        id: `ZZ${state}${String(i).padStart(4, '0')}`,
        name,
        state,
        aor,
        facilities,
        // Lognormal: a few large jails take many detainers a week, most a handful.
        weight: Math.exp(0.8 * random.normal()),
        declineRate: random.chance(0.1) ? 0.02 + random.next() * 0.03 : 0.002,
        policies: [],
      });
    }
  });
  // About one in eight has a limiting policy, the larger ones more often.
  for (const jurisdiction of out) {
    if (!random.chance(Math.min(0.45, 0.08 * jurisdiction.weight))) continue;
    const enactedOn = addDays(POLICY_FIRST, random.int(0, POLICY_DAYS));
    const terms = random.pick(POLICY_TERMS);
    const source = `https://example.org/synthetic/policies/${jurisdiction.id.toLowerCase()}`;
    const policy: DemoPolicy = { enactedOn, type: random.pick(POLICY_TYPES), ...terms, source };
    jurisdiction.declineRate = 0.12 + random.next() * 0.18;
    if (random.chance(0.15) && enactedOn < '2024-01-01') {
      // Replaced: the first version was repealed, a second enacted later (both kept).
      const repealedOn = addDays(enactedOn, random.int(200, 1_200));
      const next = random.pick(POLICY_TERMS);
      jurisdiction.policies = [
        { ...policy, repealedOn },
        {
          enactedOn: repealedOn,
          type: random.pick(POLICY_TYPES),
          ...next,
          source: `${source}-amended`,
        },
      ];
    } else {
      jurisdiction.policies = [policy];
    }
  }
  return out;
}

/** The policy in force at the end of `date`, as the report reads it. */
export function policyOn(jurisdiction: DemoJurisdiction, date: string): DemoPolicy | undefined {
  return jurisdiction.policies
    .filter((p) => p.enactedOn <= date && (p.repealedOn === undefined || p.repealedOn > date))
    .sort((a, b) => b.enactedOn.localeCompare(a.enactedOn))[0];
}

// ---------------------------------------------------------------------------------------------
// The records

function ref(jurisdiction: DemoJurisdiction): JurisdictionRef {
  return { id: jurisdiction.id, name: jurisdiction.name, state: jurisdiction.state };
}

/** A small non-negative delay, mostly short: geometric with the given mean. */
function delay(random: Random, mean: number, max: number): number {
  const days = Math.floor(-Math.log(1 - random.next()) * mean);
  return Math.min(days, max);
}

interface WeekContext {
  seed: string;
  /** The last day any outcome may have become known: the end of the window. */
  knownBy: string;
  jurisdictions: readonly DemoJurisdiction[];
  totals: readonly number[];
  byState: ReadonlyMap<string, DemoJurisdiction[]>;
}

function offenses(random: Random): DemoOffense[] | undefined {
  if (random.chance(0.15)) return undefined;
  const count = random.int(1, 3);
  return Array.from({ length: count }, () => ({
    description: random.pick(OFFENSES),
    status: random.chance(0.55) ? ('convicted' as const) : ('charged' as const),
  }));
}

function citizenship(random: Random): string | undefined {
  return random.chance(0.9) ? pickWeighted(random, COUNTRIES, COUNTRY_TOTALS) : undefined;
}

/** The detainers issued in `week`, with their outcomes as known by `context.knownBy`. */
function weekOutcomes(context: WeekContext, week: string): DemoOutcome[] {
  const random = randomFrom(context.seed, 'week', week);
  // Volume moves a little week to week; declines move more (they depend on what ICE learns).
  const issuedCount = Math.round(3_000 * (1 + 0.06 * random.normal()));
  const declineFactor = Math.max(0.45, 1 + 0.3 * random.normal());
  const out: DemoOutcome[] = [];
  for (let n = 1; n <= issuedCount; n++) {
    const jurisdiction = pickWeighted(random, context.jurisdictions, context.totals);
    const issuedOn = addDays(week, random.int(0, 6));
    const base: DemoOutcome = {
      detainerId: `demo:${week}:${String(n).padStart(5, '0')}`,
      kind: random.chance(0.78) ? 'detainer' : 'notification_request',
      issuedOn,
      jurisdiction: ref(jurisdiction),
      facility: random.pick(jurisdiction.facilities),
      status: 'pending',
    };
    if (random.chance(0.85)) base.aor = jurisdiction.aor;
    const country = citizenship(random);
    if (country !== undefined) base.citizenship = country;
    const listed = offenses(random);
    if (listed !== undefined) base.offenses = listed;

    // Draw every number the record could need, whatever its outcome, so that one record's
    // outcome never shifts the random stream of the records after it.
    const roll = random.next();
    const declineRoll = random.next();
    const declinedAfter = delay(random, 3, 20);
    const lateRecord = random.chance(0.12);
    const learnedAfter = lateRecord ? random.int(14, 150) : delay(random, 1, 6);
    const resolvedAfter = delay(random, 6, 60);
    const liftAfterDecline = random.chance(0.08) ? random.int(1, 20) : undefined;
    const liftReason = random.pick(LIFT_REASONS);
    const transferTarget = random.pick(context.byState.get(jurisdiction.state) ?? [jurisdiction]);
    const targetDeclines = random.next();

    const policy = policyOn(jurisdiction, issuedOn);
    const declineRate =
      jurisdiction.policies.length > 0 && policy === undefined ? 0.03 : jurisdiction.declineRate;
    const rate = Math.min(0.6, declineRate * declineFactor);
    const outcome = decide(context, base, {
      roll,
      declines: declineRoll < rate,
      declinedOn: addDays(issuedOn, declinedAfter),
      learnedAfter,
      resolvedOn: addDays(issuedOn, resolvedAfter),
      liftAfterDecline,
      liftReason,
      transferTarget: transferTarget.id === jurisdiction.id ? undefined : transferTarget,
      targetDeclines: targetDeclines < Math.min(0.6, transferTarget.declineRate * 1.5),
    });
    out.push(outcome);
  }
  // Declines recorded this week of detainers issued years ago (the 2017 report's "most
  // detainers years old"): only where a policy is in force, as ICE learns of them in bulk.
  const withPolicy = context.jurisdictions.filter((j) => policyOn(j, weekEnd(week)) !== undefined);
  const oldCount = withPolicy.length === 0 ? 0 : random.int(0, 3);
  for (let n = 1; n <= oldCount; n++) {
    const jurisdiction = random.pick(withPolicy);
    const learnedOn = addDays(week, random.int(0, 6));
    const issuedOn = addDays(learnedOn, -random.int(400, 1_100));
    const record: DemoOutcome = {
      detainerId: `demo:${week}:old-${n}`,
      kind: 'detainer',
      issuedOn,
      jurisdiction: ref(jurisdiction),
      facility: random.pick(jurisdiction.facilities),
      aor: jurisdiction.aor,
      status: 'declined',
      declinedOn: addDays(issuedOn, random.int(1, 20)),
      learnedOn,
    };
    const country = citizenship(random);
    if (country !== undefined) record.citizenship = country;
    const listed = offenses(random);
    if (listed !== undefined) record.offenses = listed;
    if (learnedOn <= context.knownBy) out.push(record);
  }
  return out;
}

interface Draws {
  roll: number;
  declines: boolean;
  declinedOn: string;
  learnedAfter: number;
  resolvedOn: string;
  liftAfterDecline: number | undefined;
  liftReason: string;
  transferTarget: DemoJurisdiction | undefined;
  targetDeclines: boolean;
}

/** The record's outcome, as far as it is known by `knownBy` (later outcomes are still pending). */
function decide(context: WeekContext, base: DemoOutcome, draws: Draws): DemoOutcome {
  const known = (date: string): boolean => date <= context.knownBy;
  const declined = (record: DemoOutcome): DemoOutcome => {
    const learnedOn = addDays(draws.declinedOn, draws.learnedAfter);
    if (!known(learnedOn)) return record;
    const out: DemoOutcome = { ...record, status: 'declined', declinedOn: draws.declinedOn, learnedOn };
    if (draws.liftAfterDecline !== undefined) {
      const liftedOn = addDays(learnedOn, draws.liftAfterDecline);
      if (known(liftedOn)) {
        out.liftedOn = liftedOn;
        out.liftReason = draws.liftReason;
      }
    }
    return out;
  };
  if (draws.declines) return declined(base);
  if (!known(draws.resolvedOn)) return base;
  if (draws.roll < 0.04 && draws.transferTarget !== undefined) {
    const target = draws.transferTarget;
    const transferred: DemoOutcome = { ...base, status: 'transferred', transferredTo: ref(target) };
    // Released at the receiving facility: that agency's decline, not the sender's.
    if (draws.targetDeclines)
      return declined({ ...transferred, facility: target.facilities[0] ?? base.facility });
    return transferred;
  }
  if (draws.roll < 0.09) {
    return { ...base, status: 'lifted', liftedOn: draws.resolvedOn, liftReason: draws.liftReason };
  }
  if (draws.roll < 0.95) return { ...base, status: 'honored' };
  return base; // no outcome recorded
}

export interface DemoOptions {
  seed: string;
  /** The last week (its Saturday): the edition to publish. */
  endWeek: string;
  /** Weeks in the window, ending with `endWeek`. */
  weeks: number;
}

/**
 * The whole data set. Outcomes are the window's weeks in full, plus the declines of the
 * WARM_UP_WEEKS before it that were recorded inside it (so the first weeks of the window have
 * their late-recorded declines too), oldest issue week first.
 */
export function demoDataSet(options: DemoOptions): DemoDataSet {
  const jurisdictions = demoJurisdictions(options.seed);
  const byState = new Map<string, DemoJurisdiction[]>();
  for (const j of jurisdictions) byState.set(j.state, [...(byState.get(j.state) ?? []), j]);
  const context: WeekContext = {
    seed: options.seed,
    knownBy: weekEnd(options.endWeek),
    jurisdictions,
    totals: runningTotals(jurisdictions.map((j) => j.weight)),
    byState,
  };
  const weeks = weeksEndingWith(options.endWeek, options.weeks);
  const start = weeks[0] ?? options.endWeek;
  const outcomes: DemoOutcome[] = [];
  for (const week of weeksEndingWith(addDays(start, -7), WARM_UP_WEEKS)) {
    for (const record of weekOutcomes(context, week)) {
      if (record.status === 'declined' && (record.learnedOn ?? '') >= start) outcomes.push(record);
    }
  }
  for (const week of weeks) outcomes.push(...weekOutcomes(context, week));
  return { seed: options.seed, weeks, jurisdictions, outcomes };
}

/** The `PUT /jurisdictions/{id}` bodies, one per policy version, oldest first. */
export function policyWrites(
  jurisdictions: readonly DemoJurisdiction[],
): { id: string; body: Record<string, unknown> }[] {
  return jurisdictions.flatMap((j) =>
    j.policies.map((policy) => ({
      id: j.id,
      body: {
        name: j.name,
        state: j.state,
        aor: j.aor,
        policy,
        reason: 'Synthetic demo data (npm run demo)',
      },
    })),
  );
}

/** What a week of the data set holds, as the report counts it (for the demo's summary and tests). */
export function weekFigures(
  data: DemoDataSet,
  week: string,
): { issued: number; declined: number; jurisdictions: number } {
  const end = weekEnd(week);
  const inWeek = (date: string | undefined) => date !== undefined && date >= week && date <= end;
  const declined = data.outcomes.filter((o) => o.status === 'declined' && inWeek(o.learnedOn));
  return {
    issued: data.outcomes.filter((o) => inWeek(o.issuedOn)).length,
    declined: declined.length,
    jurisdictions: new Set(declined.map((o) => (o.transferredTo ?? o.jurisdiction).id)).size,
  };
}
