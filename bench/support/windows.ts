/** The most timestamps (sorted) within any window of `windowMs`, and the first one of that window. */
export function peakInWindow(times: readonly number[], windowMs: number): { count: number; from: number } {
  let best = { count: 0, from: Number.NaN };
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while ((times[end] ?? 0) - (times[start] ?? 0) >= windowMs) start++;
    if (end - start + 1 > best.count) best = { count: end - start + 1, from: times[start] ?? Number.NaN };
  }
  return best;
}
