/**
 * A one-line progress bar on stderr: percentage, count, rate and ETA. On a terminal it redraws
 * in place (at most ten times a second); otherwise (CI logs, a pipe) it prints a line at each
 * tenth of the way, so logs stay short.
 */
export interface ProgressOptions {
  /** What is counted, plural: "records". */
  readonly unit: string;
  readonly stream?: NodeJS.WriteStream;
  /** Test hook. @default Date.now */
  readonly now?: () => number;
  /** @default the stream's isTTY */
  readonly interactive?: boolean;
}

const BAR_WIDTH = 28;
const REDRAW_MS = 100;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const count = (n: number): string => n.toLocaleString('en-US');

/** The bar's text for `done` of `total` after `elapsedMs`. */
export function progressLine(done: number, total: number, elapsedMs: number, unit: string): string {
  const share = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(share * BAR_WIDTH);
  const rate = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0;
  const eta = rate > 0 ? (total - done) / rate : Number.NaN;
  return (
    `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ` +
    `${count(done)}/${count(total)} ${unit}  ${count(Math.round(rate))} ${unit}/s  ` +
    `${done >= total ? `in ${formatDuration(elapsedMs / 1000)}` : `ETA ${formatDuration(eta)}`}`
  );
}

export class ProgressBar {
  private done = 0;
  private readonly started: number;
  private lastDraw = 0;
  private lastTenth = -1;
  private readonly stream: NodeJS.WriteStream;
  private readonly now: () => number;
  private readonly interactive: boolean;

  constructor(
    private readonly total: number,
    private readonly options: ProgressOptions,
  ) {
    this.stream = options.stream ?? process.stderr;
    this.now = options.now ?? Date.now;
    this.interactive = options.interactive ?? this.stream.isTTY === true;
    this.started = this.now();
  }

  /** Counts `n` more done. */
  add(n: number): void {
    this.done += n;
    this.draw(false);
  }

  /** Sets how many are done (for a count read from elsewhere, e.g. a send's ledger). */
  set(done: number): void {
    this.done = done;
    this.draw(false);
  }

  /** Draws the final state and ends the line. Returns the elapsed milliseconds. */
  finish(): number {
    this.draw(true);
    if (this.interactive) this.stream.write('\n');
    return this.now() - this.started;
  }

  private draw(final: boolean): void {
    const now = this.now();
    const line = progressLine(this.done, this.total, now - this.started, this.options.unit);
    if (this.interactive) {
      if (!final && now - this.lastDraw < REDRAW_MS) return;
      this.lastDraw = now;
      this.stream.write(`\r${line}\u001b[K`);
      return;
    }
    const tenth = this.total === 0 ? 10 : Math.floor((this.done / this.total) * 10);
    if (tenth > this.lastTenth || final) {
      if (final && tenth === this.lastTenth) return;
      this.lastTenth = tenth;
      this.stream.write(`${line}\n`);
    }
  }
}
