import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/publishing';

/**
 * Contract §6's manners, for every command: `--help` answers (exit 0), a usage error exits 2
 * with what is wrong and the usage, before anything is read, and a failure exits 1 with what
 * to do, never a stack trace. No stack runs here: a usage error must not need one.
 */
let emptyDataDir: string;
beforeAll(async () => {
  emptyDataDir = await mkdtemp(join(tmpdir(), 'ddor-cli-'));
});
afterAll(async () => {
  await rm(emptyDataDir, { recursive: true, force: true });
});

// No AWS configuration of the machine may answer for the deployed case.
const NO_AWS = { AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };

const COMMANDS: { script: string; usage: string[]; misuse: string[][] }[] = [
  {
    script: 'publish.ts',
    usage: ['npm run publish -- --week YYYY-MM-DD'],
    misuse: [
      ['--week', '2017-02-30'],
      ['--week', '2017-03-01', '--bogus'],
    ],
  },
  { script: 'weekly.ts', usage: ['npm run weekly'], misuse: [['--at', 'monday']] },
  {
    script: 'redrive.ts',
    usage: ['npm run redrive'],
    misuse: [
      ['--queue', 'mail'],
      ['--stage', 'prod'],
    ],
  },
  {
    script: 'status.ts',
    usage: ['npm run status'],
    misuse: [['--deployed'], ['--deployed', '--stage', 'Prod!']],
  },
  {
    script: 'clients.ts',
    usage: ['npm run clients -- create NAME', 'npm run clients -- revoke ID'],
    misuse: [['fly'], ['create', 'X', '--role', 'king']],
  },
  { script: 'demo.ts', usage: ['npm run demo'], misuse: [['--weeks', '0']] },
  { script: 'review.ts', usage: ['npm run review'], misuse: [['--week', 'monday']] },
  {
    script: 'rebuild-site.ts',
    usage: ['npm run rebuild-site'],
    misuse: [['--week', '2017-03-04'], ['--deployed']],
  },
  {
    script: 'approve.ts',
    usage: ['npm run approve -- --week YYYY-MM-DD', 'npm run approve -- --run RUN'],
    misuse: [[], ['--week', '2017-03-04', '--run', '2017-03-13T13:00:00.000Z'], ['--week', '2017-02-30']],
  },
  {
    script: 'hold.ts',
    usage: ['npm run hold -- --week YYYY-MM-DD --reason'],
    misuse: [
      ['--week', '2017-03-04'],
      ['--week', '2017-03-04', '--reason', ' '],
    ],
  },
  {
    script: 'acknowledge.ts',
    usage: ['npm run acknowledge -- --pair ID1,ID2'],
    misuse: [[], ['--pair', 'ZZ0001'], ['--pair', 'ZZ0001,ZZ0001'], ['--pair', 'ZZ0001,bad id']],
  },
];

// Each case is its own process start: run them side by side.
describe.concurrent.each(COMMANDS)('npm run $script', ({ script, usage, misuse }) => {
  it('answers --help with its usage, exit 0', async () => {
    const run = await runCli(script, ['--help'], emptyDataDir);
    expect(run.code, run.stderr).toBe(0);
    for (const line of usage) expect(run.stdout).toContain(line);
  });

  it.each(misuse)(
    'exits 2 for a usage error (%j), saying what is wrong, before it looks for a stack',
    async (...args) => {
      const run = await runCli(script, args, emptyDataDir);
      expect(run.code, run.stdout + run.stderr).toBe(2);
      expect(run.stderr).toMatch(/error: .+/);
      expect(run.stderr).toContain('usage');
      expect(run.stderr).not.toContain('no local stack');
      expect(run.stderr).not.toMatch(/\n\s+at /);
    },
  );
});

describe.concurrent('failures say what to do, exit 1', () => {
  const valid: Record<string, string[]> = {
    'publish.ts': ['--week', '2017-03-01'],
    'weekly.ts': [],
    'redrive.ts': [],
    'status.ts': [],
    'clients.ts': ['list'],
    'demo.ts': [],
    'review.ts': [],
    'rebuild-site.ts': [],
    'approve.ts': ['--week', '2017-03-04'],
    'hold.ts': ['--week', '2017-03-04', '--reason', 'check it first'],
    'acknowledge.ts': ['--pair', 'ZZ0001,ZZ0002'],
  };

  it.each(Object.entries(valid))('%s with no local stack running: start it', async (script, args) => {
    const run = await runCli(script, args, emptyDataDir);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toMatch(/npm start/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it.each(['status.ts', 'clients.ts'])('%s --deployed with no region: set AWS_REGION', async (script) => {
    const args = [...(script === 'clients.ts' ? ['list'] : []), '--deployed', '--stage', 'prod'];
    const run = await runCli(script, args, emptyDataDir, 45_000, NO_AWS);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toContain('set AWS_REGION');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('--deployed with a region and no credentials: assume the operator role', async () => {
    const run = await runCli('status.ts', ['--deployed', '--stage', 'prod'], emptyDataDir, 45_000, {
      ...NO_AWS,
      AWS_REGION: 'us-east-1',
      // Nothing answers here: no instance metadata either.
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toContain('no AWS credentials');
  });
});
