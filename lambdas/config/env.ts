import type * as z from 'zod/mini';

/**
 * The environment is a contract: each function reads its variables once, at start, through one
 * zod schema of its own (`functions.ts`), so a missing or bad value fails with its name rather
 * than later with an empty string or NaN.
 */
export class MissingEnvironmentError extends Error {
  constructor(name: string) {
    super(`environment variable ${name} is not set`);
    this.name = 'MissingEnvironmentError';
  }
}

export class InvalidEnvironmentError extends Error {
  constructor(problems: readonly string[]) {
    super(`the environment is not valid: ${problems.join('; ')}`);
    this.name = 'InvalidEnvironmentError';
  }
}

/**
 * Parses the variables a schema names; an empty value counts as unset (CDK and shells give
 * `''` for "nothing"). Throws naming every variable that is missing or bad.
 */
export function readEnvironment<S extends z.ZodMiniObject>(
  schema: S,
  env: Readonly<Record<string, string | undefined>> = process.env,
): z.infer<S> {
  const given: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = env[name];
    if (value !== undefined && value !== '') given[name] = value;
  }
  const result = schema.safeParse(given);
  if (result.success) return result.data;
  throw new InvalidEnvironmentError(
    result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?');
      return given[name] === undefined
        ? `${name} is not set`
        : `${name} ${issue.message.replace(/^Invalid input: /, '')}`;
    }),
  );
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new MissingEnvironmentError(name);
  return value;
}

export function optionalEnv(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

/** The report's time zone decides what "today" is (latest complete week, schedule, defaults). */
export const DEFAULT_TIME_ZONE = 'America/New_York';

export function reportTimeZone(): string {
  return optionalEnv('REPORT_TIME_ZONE', DEFAULT_TIME_ZONE);
}
