import { describe, expect, it } from 'vitest';
import { batchItemSchema, putJurisdictionBodySchema, recordRuleIssues } from '#core/intake/schemas';
import { addDays, weekEnd } from '#core/reporting-week';
import { stripNulls } from '#http/json-body';
import {
  DEFAULT_SEED,
  DEMO_STATES,
  type DemoDataSet,
  type DemoOutcome,
  demoDataSet,
  policyWrites,
  weekFigures,
} from '../../scripts/demo-data';
import { formatDuration, ProgressBar, progressLine } from '../../scripts/progress';

const END = '2026-11-14';
const year = demoDataSet({ seed: DEFAULT_SEED, endWeek: END, weeks: 12 });

function byId(data: DemoDataSet): Map<string, DemoOutcome> {
  return new Map(data.outcomes.map((o) => [o.detainerId, o]));
}

describe('the synthetic demo data set', () => {
  it('is the same for the same seed, and another for another seed', () => {
    // Compared as JSON: the same bytes on the wire (and much faster than a deep equal of 36,000 records).
    expect(JSON.stringify(demoDataSet({ seed: DEFAULT_SEED, endWeek: END, weeks: 12 }))).toBe(
      JSON.stringify(year),
    );
    const other = demoDataSet({ seed: 'another seed', endWeek: END, weeks: 1 });
    expect(other.jurisdictions.map((j) => j.name)).not.toEqual(year.jurisdictions.map((j) => j.name));
  });

  it('regenerates shared weeks identically a week later, except outcomes that became known since', () => {
    const earlier = demoDataSet({ seed: DEFAULT_SEED, endWeek: END, weeks: 3 });
    const later = demoDataSet({ seed: DEFAULT_SEED, endWeek: addDays(END, 7), weeks: 3 });
    const then = byId(earlier);
    let shared = 0;
    for (const record of later.outcomes) {
      const before = then.get(record.detainerId);
      if (before === undefined) continue;
      shared++;
      // Pending then, or transferred and since released by the receiving agency.
      if (before.status === 'pending' || before.status === 'transferred') continue;
      // A decline may since have been lifted; nothing else changes.
      const { liftedOn: _l, liftReason: _r, ...rest } = record;
      expect(before.liftedOn === undefined && record.status === 'declined' ? rest : record).toEqual(before);
    }
    expect(shared).toBeGreaterThan(5_000);
  });

  it('is shaped like the report: ~3,000 issued and 50–200 declines a week', () => {
    expect(year.weeks).toHaveLength(12);
    expect(year.weeks.at(-1)).toBe(END);
    for (const week of year.weeks) {
      const figures = weekFigures(year, week);
      expect(figures.issued).toBeGreaterThan(2_400);
      expect(figures.issued).toBeLessThan(3_600);
      expect(figures.declined).toBeGreaterThanOrEqual(50);
      expect(figures.declined).toBeLessThanOrEqual(200);
    }
    const statuses = new Set(year.outcomes.map((o) => o.status));
    expect([...statuses].sort()).toEqual(['declined', 'honored', 'lifted', 'pending', 'transferred']);
    expect(year.outcomes.some((o) => o.kind === 'notification_request')).toBe(true);
    expect(year.outcomes.some((o) => o.status === 'declined' && o.transferredTo !== undefined)).toBe(true);
    expect(year.outcomes.some((o) => o.status === 'declined' && o.liftedOn !== undefined)).toBe(true);
    expect(year.outcomes.some((o) => o.offenses?.some((f) => f.status === 'charged'))).toBe(true);
    expect(year.outcomes.some((o) => o.offenses?.some((f) => f.status === 'convicted'))).toBe(true);
    // Late-recorded declines, some of detainers issued years before.
    const late = year.outcomes.filter(
      (o) =>
        o.learnedOn !== undefined && o.declinedOn !== undefined && o.learnedOn > addDays(o.declinedOn, 30),
    );
    expect(late.length).toBeGreaterThan(50);
    expect(late.some((o) => o.issuedOn < addDays(END, -365))).toBe(true);
  });

  it('names only fictional jurisdictions, in every state and DC, with ZZ ids', () => {
    const states = new Set(year.jurisdictions.map((j) => j.state));
    expect([...states].sort()).toEqual([...DEMO_STATES].sort());
    expect(year.jurisdictions.length).toBeGreaterThan(200);
    expect(year.jurisdictions.length).toBeLessThan(400);
    const real =
      /\b(Washington|Jefferson|Franklin|Jackson|Lincoln|Madison|Clay|Montgomery|Marion|Monroe|Union)\b/;
    for (const j of year.jurisdictions) {
      expect(j.id).toMatch(new RegExp(`^ZZ${j.state}\\d{4}$`));
      expect(j.name).toMatch(/\(synthetic\)$/);
      expect(j.name).not.toMatch(real);
      for (const facility of j.facilities) expect(facility).toMatch(/\(synthetic\)$/);
      expect(j.aor).toMatch(/\(synthetic\)$/);
    }
    expect(new Set(year.jurisdictions.map((j) => j.name)).size).toBe(year.jurisdictions.length);
  });

  it('gives records the intake API accepts, dated no later than the last week', () => {
    const lastDay = weekEnd(END);
    for (const outcome of year.outcomes) {
      const parsed = batchItemSchema.safeParse(stripNulls(outcome));
      expect(parsed.success, `${outcome.detainerId}: ${parsed.error?.message}`).toBe(true);
      expect(recordRuleIssues(outcome)).toEqual([]);
      for (const date of [outcome.issuedOn, outcome.declinedOn, outcome.learnedOn, outcome.liftedOn]) {
        if (date !== undefined) expect(date <= lastDay, `${outcome.detainerId} ${date}`).toBe(true);
      }
    }
    expect(new Set(year.outcomes.map((o) => o.detainerId)).size).toBe(year.outcomes.length);
  });

  it('gives policies the jurisdictions endpoint accepts, with https sources on example.org', () => {
    const writes = policyWrites(year.jurisdictions);
    expect(writes.length).toBeGreaterThan(15);
    for (const write of writes) {
      expect(putJurisdictionBodySchema.safeParse(write.body).success).toBe(true);
      const policy = write.body.policy as { source: string };
      expect(new URL(policy.source).origin).toBe('https://example.org');
    }
    // Some jurisdictions had a policy repealed and replaced: both versions are written, oldest first.
    const twice = writes.filter((w, i) => writes.findIndex((o) => o.id === w.id) !== i);
    expect(twice.length).toBeGreaterThan(0);
  });
});

describe('the progress bar', () => {
  it('shows the share, the count, the rate and the time left', () => {
    expect(progressLine(250, 1000, 5_000, 'records')).toBe(
      '[#######.....................]  25%  250/1,000 records  50 records/s  ETA 15s',
    );
    expect(progressLine(1000, 1000, 125_000, 'records')).toMatch(
      /100% {2}1,000\/1,000 records {2}8 records\/s {2}in 2m05s$/,
    );
    expect(formatDuration(3_725)).toBe('1h02m');
  });

  it('prints a line per tenth when not on a terminal', () => {
    const lines: string[] = [];
    const stream = {
      write: (text: string) => lines.push(text),
      isTTY: false,
    } as unknown as NodeJS.WriteStream;
    let now = 0;
    const bar = new ProgressBar(100, { unit: 'records', stream, now: () => now });
    for (let i = 0; i < 100; i++) {
      now += 10;
      bar.add(1);
    }
    bar.finish();
    expect(lines).toHaveLength(11); // the first record, then each tenth
    expect(lines.at(-1)).toContain('100%');
  });
});
