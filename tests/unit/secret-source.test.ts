import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSecretSource, SecretsManagerSecretSource, secretSourceFromEnv } from '#adapters/secret-source';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ddor-secret-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the local subscription secret', () => {
  it('is made once, mode 0600, and the same for every reader, even at the same time', async () => {
    const path = join(dir, 'subscription-secret');

    const keys = await Promise.all(Array.from({ length: 6 }, () => new FileSecretSource(path).key()));

    const first = Buffer.from(keys[0] ?? new Uint8Array());
    expect(first.byteLength).toBeGreaterThanOrEqual(32);
    for (const key of keys) expect(Buffer.from(key).equals(first)).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(Buffer.from(await new FileSecretSource(path).key()).equals(first)).toBe(true);
    expect((await readFile(path, 'utf8')).trim()).toBe(first.toString('utf8'));
  });

  it('tightens a kept file’s mode and refuses a secret too short to be a key', async () => {
    const path = join(dir, 'subscription-secret');
    await writeFile(path, `${'k'.repeat(40)}\n`);
    await chmod(path, 0o644);
    await new FileSecretSource(path).key();
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    const short = join(dir, 'short');
    await writeFile(short, 'tiny\n', { mode: 0o600 });
    await expect(new FileSecretSource(short).key()).rejects.toThrow(/shorter than 32 bytes/);
  });

  it('comes from Secrets Manager when an ARN is configured, else from the file, else fails by name', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:x';
    expect(
      secretSourceFromEnv({ SUBSCRIPTION_SECRET_ARN: arn, SUBSCRIPTION_SECRET_FILE: '/x' }),
    ).toBeInstanceOf(SecretsManagerSecretSource);
    expect(secretSourceFromEnv({ SUBSCRIPTION_SECRET_FILE: '/x' })).toBeInstanceOf(FileSecretSource);
    expect(() => secretSourceFromEnv({})).toThrow(/SUBSCRIPTION_SECRET_ARN/);
  });
});
