import fc from 'fast-check';
import { expectClean, expectOurError } from '../support/expectations';
import { LiteLLMConfigError, LiteLLMProxy, LiteLLMProxyProps } from '../../lib';
import { poisoned, proxyPoisons, untypedProxyProps, validProxyProps } from '../support/arbitraries';
import { runs } from '../support/runs';
import { synth } from '../support/synth';

/**
 * Property-based tests over the LiteLLMProxy props space:
 *  - every valid input is accepted, and its output passes the strict schema
 *    check, the policy gate, and holds no "undefined"/"NaN";
 *  - every poisoned input is rejected with LiteLLMConfigError naming the prop
 *    (never a TypeError or RangeError).
 */

const RUNS = { valid: runs(30), poisoned: runs(50), perPoison: runs(3), untyped: runs(30) };

function build(props: LiteLLMProxyProps): any[] {
  return synth(chart => new LiteLLMProxy(chart, 'litellm', props));
}


/** Either no error, or LiteLLMConfigError. */
function expectOurErrorOr(attempt: () => void): void {
  try {
    attempt();
  } catch (e) {
    if (!(e instanceof LiteLLMConfigError)) throw new Error(`expected LiteLLMConfigError or success, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
}

describe('LiteLLMProxy properties', () => {
  test('GIVEN any valid props THEN accepted, schema-valid, policy-clean, no undefined/NaN', () => {
    fc.assert(fc.property(validProxyProps, props => {
      expectClean(build(props));
    }), { numRuns: RUNS.valid });
  });

  test('GIVEN valid props with maybe one poison THEN clean when accepted, LiteLLMConfigError naming the prop when rejected', () => {
    fc.assert(fc.property(poisoned(validProxyProps, proxyPoisons), ({ props, poison }) => {
      if (poison === undefined) expectClean(build(props));
      else expectOurError(() => build(props), poison);
    }), { numRuns: RUNS.poisoned });
  });

  test.each(proxyPoisons.map(p => [p.label, p] as const))('poison "%s" is always rejected with our error', (_label, poison) => {
    const arb = fc.tuple(validProxyProps, poison.values);
    fc.assert(fc.property(arb, ([props, value]) => {
      expectOurError(() => build(poison.apply(props, value)), poison);
    }), { numRuns: RUNS.perPoison });
  });

  test('GIVEN a value of any type for one prop (plain JavaScript callers) THEN clean when accepted, LiteLLMConfigError when rejected', () => {
    fc.assert(fc.property(untypedProxyProps, ({ props }) => {
      let objects: any[] | undefined;
      expectOurErrorOr(() => { objects = build(props); });
      if (objects) expectClean(objects);
    }), { numRuns: RUNS.untyped });
  });
});
