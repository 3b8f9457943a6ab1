/**
 * The environment is a contract: each variable is read once, and a missing one fails at start
 * with its name rather than later with an empty string.
 */
export class MissingEnvironmentError extends Error {
  constructor(name: string) {
    super(`environment variable ${name} is not set`);
    this.name = 'MissingEnvironmentError';
  }
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
