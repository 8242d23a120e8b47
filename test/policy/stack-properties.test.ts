import { Testing } from 'cdk8s';
import fc from 'fast-check';
import { expectClean, expectOurError } from '../support/expectations';
import { LiteLLMConfigError, LiteLLMStack, LiteLLMStackProps } from '../../lib';
import { UNTYPED_STACK_PROPS, poisoned, stackPoisons, validStackProps } from '../support/arbitraries';
import { runs } from '../support/runs';

/**
 * Property-based tests over the LiteLLMStack props space (preset, edge
 * controller, Redis and database choices, CPU, replicas, timeouts, body
 * size, hosts):
 *  - every valid input is accepted; its output passes the strict schema
 *    check and the policy gate, and holds no "undefined" or "NaN";
 *  - every poisoned input is rejected with LiteLLMConfigError naming the prop;
 *  - a value of any type in a top-level prop ends in success or our error,
 *    never a TypeError.
 */

const RUNS = { valid: runs(12), poisoned: runs(30), untyped: runs(25) };

function build(props: LiteLLMStackProps): any[] {
  return Testing.synth(new LiteLLMStack(Testing.app(), 'stack', props));
}

describe('LiteLLMStack properties', () => {
  test('GIVEN any valid stack props THEN accepted, schema-valid, policy-clean, no undefined/NaN, and the choices show', () => {
    fc.assert(fc.property(validStackProps, ({ props, choices }) => {
      const objects = build(props);
      expectClean(objects);
      const kinds = new Set(objects.map(o => o.kind));
      expect(kinds.has('StatefulSet')).toBe(choices.redis === 'in-cluster');
      expect(kinds.has('Job')).toBe(choices.database !== 'none');
      expect(objects.some(o => o.metadata?.labels?.['app.kubernetes.io/component'] === 'edge')).toBe(choices.controller !== undefined);
    }), { numRuns: RUNS.valid });
  });

  test('GIVEN valid props with maybe one poison THEN clean when accepted, LiteLLMConfigError naming the prop when rejected', () => {
    fc.assert(fc.property(poisoned(validStackProps, stackPoisons), ({ props, poison }) => {
      if (poison === undefined) expectClean(build(props.props));
      else expectOurError(() => build(props.props), poison);
    }), { numRuns: RUNS.poisoned });
  });

  test('GIVEN a value of any type for one top-level prop THEN clean when accepted, LiteLLMConfigError when rejected', () => {
    const arb = fc.tuple(validStackProps, fc.constantFrom(...UNTYPED_STACK_PROPS), fc.anything({ maxDepth: 2 }));
    fc.assert(fc.property(arb, ([{ props }, key, value]) => {
      let objects: any[] | undefined;
      try {
        objects = build({ ...props, [key]: value } as LiteLLMStackProps);
      } catch (e) {
        if (!(e instanceof LiteLLMConfigError)) throw new Error(`${key} = ${JSON.stringify(value)}: expected LiteLLMConfigError or success, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      }
      if (objects) expectClean(objects);
    }), { numRuns: RUNS.untyped });
  });
});
