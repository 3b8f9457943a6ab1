import { describe, expect, it } from 'vitest';
import { syntheticRecord } from '../support/api';
import { useLocalStack } from '../support/local-stack';
import { runCli } from '../support/publishing';

/**
 * LOCAL_NOW (contract §1): the stack's clock starts at the time given and runs on from it, and
 * every function's "today" follows it; so do the commands' "now".
 */
const NOW = new Date('2017-03-13T13:05:00Z');
// Written before editorial review: the weekly run publishes at once.
const stack = useLocalStack({ now: NOW, review: { mode: 'off' } });
const county = { id: 'XQLN0101', name: 'Synthetic Clockwork County Sheriff’s Office', state: 'VT' };

function put(id: string, day: string) {
  return stack().api(`/outcomes/${id}`, {
    method: 'PUT',
    body: syntheticRecord({ jurisdiction: county, issuedOn: day, declinedOn: day, learnedOn: day }),
  });
}

describe('LOCAL_NOW', () => {
  it('is the functions’ today: a record dated after tomorrow of that day is refused', async () => {
    expect((await put('NOW-1', '2017-03-14')).status).toBe(201);
    const late = await put('NOW-2', '2017-03-16');
    expect(late.status).toBe(400);
  });

  it('is the weekly run’s now: without --at it runs as the schedule would at the stack’s time', async () => {
    expect((await put('NOW-3', '2017-03-06')).status).toBe(201);
    const run = await runCli('weekly.ts', [], stack().dataDir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^weekly run for 2017-03-13T13:0\d/m);
    expect(run.stdout).toMatch(/^2017-03-04 published r1/m);
    const later = await runCli('weekly.ts', ['--at', '2017-03-20T13:00:00Z'], stack().dataDir);
    expect(later.code).toBe(2);
    expect(later.stderr).toContain('later than now');
  });
});
