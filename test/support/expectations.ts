import { LiteLLMConfigError } from '../../lib';
import { Poison } from './arbitraries';
import { policyViolations } from './policy';
import { strictSchemaErrors } from './schema';

/** Everything an accepted input must satisfy: no undefined/NaN leaks, policy-clean, schema-valid. */
export function expectClean(objects: any[]): void {
  const text = JSON.stringify(objects);
  expect(text).not.toMatch(/\bundefined\b/);
  expect(text).not.toMatch(/\bNaN\b/);
  expect(policyViolations(objects)).toEqual([]);
  expect(strictSchemaErrors(objects)).toEqual([]);
}

/** Everything a rejection must satisfy: our error type, its message format, and (for a poison) the prop it names. */
export function expectOurError<T>(attempt: () => unknown, poison?: Poison<T>): void {
  let error: unknown;
  try {
    attempt();
  } catch (e) {
    error = e;
  }
  if (!(error instanceof LiteLLMConfigError)) {
    throw new Error(`expected LiteLLMConfigError${poison ? ` for ${poison.label}` : ''}, got ${error instanceof Error ? `${error.name}: ${error.message}` : 'no error: the input was accepted'}`);
  }
  expect(error.message.startsWith(`${error.prop}: received `)).toBe(true);
  if (poison && !error.prop.startsWith(poison.prop)) {
    throw new Error(`poison "${poison.label}" should be named by a prop starting with "${poison.prop}", got: ${error.message}`);
  }
}
