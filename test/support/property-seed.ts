import fc from 'fast-check';

/**
 * One fixed seed for every property test, so `npm test` and CI search the same cases on every
 * run and a failure reproduces. `PROPERTY_SEED` picks another (CI's deep pass does), and
 * `PROPERTY_SEED=random` lets fast-check choose: a failure prints the seed to set.
 */
const raw = process.env.PROPERTY_SEED;
if (raw !== 'random') {
  const seed = raw === undefined || raw === '' ? 20261208 : Number(raw);
  if (!Number.isInteger(seed)) throw new Error(`PROPERTY_SEED must be an integer or "random", got ${JSON.stringify(raw)}`);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
}
