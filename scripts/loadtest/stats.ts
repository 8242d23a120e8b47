/** Pure statistics of the load test (unit-tested in test/loadtest.test.ts). */

export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** The p-th percentile (0..100) of ascending `sorted`, nearest-rank (NaN when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function summarize(values: readonly number[]): Summary {
  const sorted = values.filter(v => Number.isFinite(v)).sort((a, b) => a - b);
  const n = sorted.length;
  return {
    n,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: n ? sorted[n - 1] : NaN,
    mean: n ? sorted.reduce((s, v) => s + v, 0) / n : NaN,
  };
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/** Relative difference |a − b| / mean(a, b). */
export function relativeDifference(a: number, b: number): number {
  const m = (a + b) / 2;
  return m === 0 ? 0 : Math.abs(a - b) / m;
}

/** What a step must meet to count as sustained. */
export interface Target {
  /** p99 of the latency added to the provider's own, ms. */
  readonly p99AddedMs: number;
  /** Largest share of errors (0.001 = 0.1 %). Open loop: every arrival is sent, so errors are what did not complete. */
  readonly maxErrorRate: number;
}

export interface StepOutcome {
  readonly sent: number;
  readonly errors: number;
  readonly p99AddedMs: number;
}

/** Why a step does not meet the target, or undefined when it does. */
export function missesTarget(s: StepOutcome, t: Target): string | undefined {
  if (s.sent === 0) return 'nothing sent';
  if (s.errors / s.sent > t.maxErrorRate) return `errors ${s.errors}/${s.sent}`;
  if (!(s.p99AddedMs <= t.p99AddedMs)) return `p99 added ${s.p99AddedMs.toFixed(0)} ms > ${t.p99AddedMs} ms`;
  return undefined;
}

export interface ProbeOutcome {
  readonly pass: boolean;
  /** Share of the CPU budget the proxy used at this rate (0..1). */
  readonly utilisation: number;
  /**
   * The miss looks like a pause (a garbage collection of the whole heap, another process), not
   * saturation: the median stayed low while the tail broke. Such a miss is probed once more.
   */
  readonly transient?: boolean;
}

export interface SearchOptions {
  /** Smallest and largest step up after a pass. */
  readonly minFactor: number;
  readonly maxFactor: number;
  /** The step up aims at this utilisation (a pass at u is followed by rate × aim / u, within the factors). */
  readonly aimUtilisation: number;
  /** Geometric midpoints between the best pass and the lowest miss. */
  readonly refinements: number;
  readonly maxSteps: number;
  /** Checked before each probe: true ends the search where it is (a deadline). */
  readonly stop?: () => boolean;
}

/**
 * The rates a capacity search visits: from `start`, up after each pass by the
 * utilisation it measured (rate × aim / u, between minFactor and maxFactor), so
 * it closes in on saturation in a few steps; after the first miss, down by
 * maxFactor until a pass if none yet, then `refinements` geometric midpoints
 * between the best pass and the lowest miss. At most `maxSteps` probes.
 */
export async function searchCapacity(start: number, o: SearchOptions, probe: (rate: number) => Promise<ProbeOutcome>):
  Promise<{ best: number | undefined; failedAt: number | undefined; steps: number }> {
  let best: number | undefined;
  let failedAt: number | undefined;
  let steps = 0;
  const run = async (rate: number): Promise<boolean> => {
    steps++;
    let r = await probe(rate);
    if (!r.pass && r.transient && more()) {
      steps++;
      r = await probe(rate);
    }
    if (r.pass) best = Math.max(best ?? 0, rate);
    else failedAt = Math.min(failedAt ?? Infinity, rate);
    next = r.pass ? rate * Math.min(o.maxFactor, Math.max(o.minFactor, o.aimUtilisation / Math.max(r.utilisation, 1e-6))) : rate / o.maxFactor;
    return r.pass;
  };
  let next = start;
  // Up until the first miss (or down until the first pass).
  const more = (): boolean => steps < o.maxSteps && !(o.stop?.() ?? false);
  while (more() && (failedAt === undefined || best === undefined)) await run(next);
  for (let i = 0; i < o.refinements && best !== undefined && failedAt !== undefined && more(); i++) {
    await run(Math.sqrt(best * failedAt));
  }
  return { best, failedAt, steps };
}
