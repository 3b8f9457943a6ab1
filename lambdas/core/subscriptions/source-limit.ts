import { isIP } from 'node:net';

/**
 * Contract §5's per-source limit: `POST /subscriptions` and `POST /subscriptions/confirm` may be
 * made at most `limit` times by one source in any window (600 s deployed); the next answers 429
 * with the whole seconds until a slot frees. Refused requests do not count. A source is the
 * viewer's IP address, IPv6 counted per /64 (one customer line holds a whole /64).
 *
 * The store keeps, per source, the times of its accepted requests in the window (at most `limit`
 * of them), written conditionally on the version read: a sliding log, exact at any instant.
 */
export interface SourceWindow {
  /** Epoch ms of the accepted requests, oldest first. */
  readonly times: readonly number[];
  readonly version: number;
}

export interface SourceLimitStore {
  window(key: string): Promise<SourceWindow | undefined>;
  /**
   * Writes the window if its version is still `expectedVersion` (undefined: the key is new);
   * false when another request wrote first. `expiresAt` (epoch seconds) lets the table drop it.
   */
  saveWindow(
    key: string,
    times: readonly number[],
    expectedVersion: number | undefined,
    expiresAt: number,
  ): Promise<boolean>;
}

export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

const MAX_ATTEMPTS = 8;

/** The /64 of an IPv6 address as text (`2001:db8:0:1::/64`); an IPv4 address as it is. */
export function sourceKey(ip: string): string | undefined {
  const bare = ip.trim().replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped?.[1] !== undefined) return isIP(mapped[1]) === 4 ? mapped[1] : undefined;
  const kind = isIP(bare);
  if (kind === 4) return bare;
  if (kind !== 6) return undefined;
  const [head = '', tail = ''] = bare.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = bare.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * The viewer's address from CloudFront's `CloudFront-Viewer-Address` header, `ip:port` (an IPv6
 * address unbracketed, its port after the last colon). Never `X-Forwarded-For`: a client writes it.
 */
export function viewerIp(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const colon = header.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const ip = header.slice(0, colon);
  return isIP(ip) === 0 ? undefined : ip;
}

export interface SourceLimitDeps {
  readonly store: SourceLimitStore;
  /** Accepted requests per window. */
  readonly limit: number;
  readonly windowMs: number;
  readonly now: () => Date;
}

/** Counts one request of `source` if the window has room; otherwise says when it will. */
export async function admit(deps: SourceLimitDeps, source: string): Promise<Admission> {
  const key = `src#${source}`;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const now = deps.now().getTime();
    const current = await deps.store.window(key);
    const recent = (current?.times ?? []).filter((time) => time > now - deps.windowMs);
    if (recent.length >= deps.limit) {
      const frees = (recent[recent.length - deps.limit] ?? now) + deps.windowMs;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((frees - now) / 1000)) };
    }
    const times = [...recent, now].slice(-deps.limit);
    const expiresAt = Math.ceil((now + deps.windowMs) / 1000) + 60;
    if (await deps.store.saveWindow(key, times, current?.version, expiresAt)) return { ok: true };
  }
  // Under this much contention for one source, the source is the one making it: refuse.
  return { ok: false, retryAfterSeconds: 1 };
}
