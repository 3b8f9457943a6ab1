import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionError, FunctionTimeoutError, LocalFunction } from '#local/lambda/runtime';

/**
 * Local Lambda (contract §1): an invocation runs in a process of its own with only the
 * function's environment; past its timeout its environment is killed and the answer lost; after
 * an answer the environment is frozen, so work it left running does not run until the next
 * invocation; at most `concurrency` environments exist. A fixture bundle stands in for a
 * function, so each behaviour is seen directly.
 */

const FIXTURE = `
let invocations = 0;
let ticks = 0;
let ticking;
export const handler = async (event, context) => {
  invocations += 1;
  if (event.action === 'sleep') await new Promise((resolve) => setTimeout(resolve, event.ms));
  if (event.action === 'throw') throw new TypeError('thrown on purpose');
  if (event.action === 'leave-a-timer') {
    ticks = 0;
    ticking = setInterval(() => { ticks += 1; }, 10);
  }
  if (event.action === 'ticks') {
    clearInterval(ticking);
  }
  return {
    invocations,
    ticks,
    pid: process.pid,
    secret: process.env.HOST_SECRET ?? null,
    given: process.env.GIVEN ?? null,
    remaining: context.getRemainingTimeInMillis(),
  };
};
`;

let dir: string;
let bundle: string;
const made: LocalFunction[] = [];

function fn(timeoutSeconds = 2, concurrency = 1): LocalFunction {
  const local = new LocalFunction({
    name: 'fixture',
    bundle,
    handler: 'handler',
    environment: { GIVEN: 'from the template', PATH: process.env.PATH ?? '' },
    timeoutSeconds,
    memoryMb: 128,
    concurrency,
  });
  made.push(local);
  return local;
}

type Answer = {
  invocations: number;
  ticks: number;
  pid: number;
  secret: string | null;
  given: string | null;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ddor-lambda-'));
  bundle = join(dir, 'index.mjs');
  await writeFile(bundle, FIXTURE);
  process.env.HOST_SECRET = 'the stack process’s own variable';
});

afterAll(async () => {
  await Promise.all(made.map((local) => local.stop()));
  delete process.env.HOST_SECRET;
  await rm(dir, { recursive: true, force: true });
});

describe('a local function', () => {
  it('runs in a process of its own with only its own environment, keeping module state between invocations', async () => {
    const local = fn();
    const first = (await local.invoke({})) as Answer;
    const second = (await local.invoke({})) as Answer;
    expect(first.pid).not.toBe(process.pid);
    expect(second.pid).toBe(first.pid);
    expect(second.invocations).toBe(2);
    expect(first.given).toBe('from the template');
    expect(first.secret).toBeNull();
    expect(local.coldStarts).toBe(1);
  });

  it('ends an invocation past its timeout: the answer is lost and the next one starts cold', async () => {
    const local = fn(1);
    const warm = (await local.invoke({})) as Answer;
    await expect(local.invoke({ action: 'sleep', ms: 3000 })).rejects.toBeInstanceOf(FunctionTimeoutError);
    const after = (await local.invoke({})) as Answer;
    expect(after.pid).not.toBe(warm.pid);
    expect(after.invocations).toBe(1);
    expect(local.coldStarts).toBe(2);
  });

  it('reports a thrown error as a function error with its type and message', async () => {
    const local = fn();
    await expect(local.invoke({ action: 'throw' })).rejects.toMatchObject({
      errorType: 'TypeError',
      message: 'thrown on purpose',
    });
    await expect(local.invoke({ action: 'throw' })).rejects.toBeInstanceOf(FunctionError);
    // The environment survives a function error, as Lambda's does.
    expect(local.coldStarts).toBe(1);
  });

  it('freezes its environment after an answer: a timer left running does not run until the next invocation', async () => {
    const local = fn();
    await local.invoke({ action: 'leave-a-timer' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { ticks } = (await local.invoke({ action: 'ticks' })) as Answer;
    // 500 ms unfrozen would be about 50 ticks; frozen, only what ran before the stop and at the thaw.
    expect(ticks).toBeLessThan(10);
  });

  it('runs at most `concurrency` environments: further invocations wait for one', async () => {
    const local = fn(5, 2);
    const answers = (await Promise.all(
      Array.from({ length: 4 }, () => local.invoke({ action: 'sleep', ms: 300 })),
    )) as Answer[];
    expect(new Set(answers.map((answer) => answer.pid)).size).toBe(2);
    expect(local.coldStarts).toBe(2);
  });
});
