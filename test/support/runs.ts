/**
 * How many cases a property test tries. `npm test` stays under a minute with
 * the base counts; CI's deep pass multiplies them (`PROPERTY_RUNS=5`, see
 * .ci/run), so the wide search still happens on every change, just not in the
 * inner loop.
 */
const SCALE = (() => {
  const raw = process.env.PROPERTY_RUNS;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`PROPERTY_RUNS must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
})();

/** `base` cases, times the PROPERTY_RUNS multiplier (at least 1). */
export function runs(base: number): number {
  return Math.max(1, Math.round(base * SCALE));
}

/** The multiplier in force (1 unless PROPERTY_RUNS is set). */
export const RUNS_SCALE = SCALE;
