import { randomBytes } from 'node:crypto';
import { chmod, link, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MissingEnvironmentError } from '#config/env';
import type { SecretSource } from '#core/subscriptions/subscribers';
import { MIN_KEY_BYTES } from '#core/subscriptions/tokens';

/**
 * The HMAC key of subscription tokens. Deployed it is a Secrets Manager secret (its ARN in
 * SUBSCRIPTION_SECRET_ARN); locally a file in DATA_DIR (its path in SUBSCRIPTION_SECRET_FILE),
 * made once with mode 0600. The key itself is never in an environment variable, and no message
 * here ever contains it.
 */

/** The secret's text, as bytes: at least MIN_KEY_BYTES of it. */
function keyFrom(text: string, where: string, name = 'subscription secret'): Uint8Array {
  const key = Buffer.from(text.trim(), 'utf8');
  if (key.byteLength < MIN_KEY_BYTES) {
    throw new Error(`the ${name} in ${where} is shorter than ${MIN_KEY_BYTES} bytes`);
  }
  return key;
}

/** 32 random bytes as base64url: the text of a new local secret. */
export function generateSecretText(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Loads once and keeps the result; a failed load (throttling, a cold network, a file being
 * written) is not kept, so the next call tries again.
 */
function cachedUntilFailure<T>(load: () => Promise<T>): () => Promise<T> {
  let cached: Promise<T> | undefined;
  return () => {
    cached ??= load().catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
}

/**
 * A secret kept in a local file. The first reader to find no file makes one: written whole to a
 * temporary file, then linked into place (link fails if the name exists), so concurrent readers
 * all end up with the same complete secret.
 */
export class FileSecretSource implements SecretSource {
  readonly key = cachedUntilFailure(() => this.load());

  constructor(
    private readonly path: string,
    private readonly name = 'subscription secret',
  ) {}

  private async load(): Promise<Uint8Array> {
    try {
      const text = await readFile(this.path, 'utf8');
      // A copy restored from a backup or a checkout may have lost its mode.
      if (((await stat(this.path)).mode & 0o077) !== 0) await chmod(this.path, 0o600);
      return keyFrom(text, this.path, this.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const temporary = `${this.path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporary, `${generateSecretText()}\n`, { mode: 0o600, flag: 'wx' });
    try {
      await link(temporary, this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await rm(temporary, { force: true });
    }
    return keyFrom(await readFile(this.path, 'utf8'), this.path, this.name);
  }
}

/** The one Secrets Manager client of a container (locally unused: there is no local server). */
const secretsManager = new SecretsManagerClient({});

/**
 * A Secrets Manager secret (its SecretString is the key), fetched once per container: the key is
 * never rotated, since rotating it would void every link already mailed.
 */
export class SecretsManagerSecretSource implements SecretSource {
  readonly key = cachedUntilFailure(() => this.load());

  constructor(
    private readonly secretId: string,
    private readonly name = 'subscription secret',
  ) {}

  private async load(): Promise<Uint8Array> {
    const out = await secretsManager.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    if (out.SecretString === undefined) {
      throw new Error(`the ${this.name} has no SecretString (a binary secret is not supported)`);
    }
    return keyFrom(out.SecretString, 'Secrets Manager', this.name);
  }
}

export const SECRET_ARN_VARIABLE = 'SUBSCRIPTION_SECRET_ARN';
export const SECRET_FILE_VARIABLE = 'SUBSCRIPTION_SECRET_FILE';

/** Secrets Manager when the ARN variable is set, else the file the file variable names (locally). */
function secretFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  arnVariable: string,
  fileVariable: string,
  name: string,
): SecretSource {
  const arn = env[arnVariable];
  if (arn !== undefined && arn !== '') return new SecretsManagerSecretSource(arn, name);
  const file = env[fileVariable];
  if (file !== undefined && file !== '') return new FileSecretSource(file, name);
  throw new MissingEnvironmentError(`${arnVariable} (or ${fileVariable} locally)`);
}

/**
 * The key of subscription links: SUBSCRIPTION_SECRET_ARN or SUBSCRIPTION_SECRET_FILE, from the
 * function's environment schema (`secretEnvironment`).
 */
export function secretSourceFromEnv(env: {
  readonly SUBSCRIPTION_SECRET_ARN?: string | undefined;
  readonly SUBSCRIPTION_SECRET_FILE?: string | undefined;
}): SecretSource {
  return secretFromEnv(env, SECRET_ARN_VARIABLE, SECRET_FILE_VARIABLE, 'subscription secret');
}

export const ORIGIN_SECRET_ARN_VARIABLE = 'ORIGIN_SECRET_ARN';
export const ORIGIN_SECRET_FILE_VARIABLE = 'ORIGIN_SECRET_FILE';

/**
 * The value CloudFront adds to every request it sends the subscriptions API (`x-origin-verify`):
 * ORIGIN_SECRET_ARN or ORIGIN_SECRET_FILE (`originSecretEnvironment`).
 */
export function originSecretFromEnv(env: {
  readonly ORIGIN_SECRET_ARN?: string | undefined;
  readonly ORIGIN_SECRET_FILE?: string | undefined;
}): SecretSource {
  return secretFromEnv(env, ORIGIN_SECRET_ARN_VARIABLE, ORIGIN_SECRET_FILE_VARIABLE, 'origin secret');
}
