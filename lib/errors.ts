import { Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { maskCredentials } from './credentials';

/**
 * The one error type this library throws for bad input.
 *
 * Every message names the prop, the value received and what is allowed, so a
 * user can fix the input without reading our source. It names the stack too,
 * by its construct path: `[tenants/team-b] proxy.cpu: received "0"; ...`, so an
 * error in a loop over many tenants says which one failed. No message ever
 * repeats a credential: the value and the explanation are masked
 * (`rediss://default:***@cache:6380`, `sk-***`), and the value of a prop that
 * holds a secret is never shown at all.
 *
 * Python, Java, .NET and Go see the same message (jsii carries a JavaScript
 * error's message across); the class itself stays TypeScript's.
 *
 * @jsii ignore
 */
export class LiteLLMConfigError extends Error {
  /** The prop path that was rejected, e.g. `models[0].rpm`. */
  public readonly prop: string;
  /** Construct path of the stack (or chart) the error arose in, e.g. `tenants/team-b`. @default none */
  public readonly constructPath?: string;
  /** The value received, as the message shows it (masked). */
  public readonly received: string;
  /** What is wrong and what to do, as the message says it. */
  public readonly reason: string;

  constructor(prop: string, received: unknown, allowed: string, constructPath?: string) {
    const shown = received instanceof Shown ? received.text
      : maskCredentials(isSecretProp(prop) && typeof received === 'string' && received !== '' ? SECRET_HIDDEN : describe(received));
    const reason = maskCredentials(allowed);
    super(`${constructPath !== undefined && constructPath !== '' ? `[${constructPath}] ` : ''}${prop}: received ${shown}; ${reason}`);
    this.name = 'LiteLLMConfigError';
    this.prop = prop;
    this.constructPath = constructPath !== '' ? constructPath : undefined;
    this.received = shown;
    this.reason = reason;
  }

  /**
   * The message alone. jsii carries an error raised in a method call to
   * Python, Java, .NET and Go as `String(error)`: without this, those users
   * would read `LiteLLMConfigError: ` before the message TypeScript shows.
   */
  public toString(): string {
    return this.message;
  }

  /**
   * This error, naming the stack it arose in. An error that already names
   * one is returned unchanged: the innermost stack is the most precise.
   */
  public in(constructPath: string): LiteLLMConfigError {
    if (this.constructPath !== undefined || constructPath === '') return this;
    return this.copy(this.prop, constructPath);
  }

  /** This error, its prop renamed to the path the user wrote it under (e.g. `memory` → `redis.inCluster.memory`). */
  public withProp(prop: string): LiteLLMConfigError {
    return prop === this.prop ? this : this.copy(prop, this.constructPath);
  }

  /** This error, naming `constructPath` instead of the stack it named (a fleet's setting found wrong while building a tenant). */
  public at(constructPath: string, note = ''): LiteLLMConfigError {
    const error = new LiteLLMConfigError(this.prop, new Shown(this.received), `${this.reason}${note}`, constructPath);
    if (this.stack !== undefined) error.stack = `${error.name}: ${error.message}${this.stack.slice(this.stack.indexOf('\n'))}`;
    return error;
  }

  private copy(prop: string, constructPath: string | undefined): LiteLLMConfigError {
    const error = new LiteLLMConfigError(prop, new Shown(this.received), this.reason, constructPath);
    // Where it was thrown, not where it was re-raised.
    if (this.stack !== undefined) error.stack = `${error.name}: ${error.message}${this.stack.slice(this.stack.indexOf('\n'))}`;
    return error;
  }
}

/** A value already rendered for a message (re-raising keeps what was shown). */
class Shown {
  constructor(public readonly text: string) {}
}

/** What a message shows instead of a value that must not be printed: `(a literal string, hidden)`. */
export function hidden(what: string): unknown {
  return new Shown(`(${what}, hidden)`);
}

const SECRET_HIDDEN = '(the value of a secret prop, hidden)';
/** Props that hold a secret wherever they appear: their value is never printed. */
const SECRET_PROP = /(^|\.)(apiKey|masterKey|saltKey|password|license)$/;

function isSecretProp(prop: string): boolean {
  return SECRET_PROP.test(prop.replace(/\[\d+\]/g, ''));
}

/** Renders a received value for an error message without dumping large objects. */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  try {
    const text = JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return typeof value;
  }
}

/** The construct path of the nearest chart: the stack a construct belongs to (its own path outside any chart). */
export function stackPath(c: IConstruct): string {
  for (let node: IConstruct | undefined = c; node !== undefined; node = node.node.scope) {
    if (Chart.isChart(node)) return node.node.path;
  }
  return c.node.path;
}

/** How a stack names the props of the constructs it builds from its own props (`memory` → `redis.inCluster.memory`). */
const propPaths = new WeakMap<IConstruct, (prop: string) => string>();

/**
 * Records that the props of `child`, which a stack built from its own props,
 * appear in the stack's props as `map(prop)`: its errors, also those of
 * synth-time checks, then name the prop the user wrote.
 */
export function nameChildProps(child: IConstruct, map: (prop: string) => string): void {
  propPaths.set(child, map);
}

/** The error with its prop as the stack's user wrote it, when `scope` (or a construct above it in its stack) was built from a stack's props. */
function inStackProps(error: LiteLLMConfigError, scope: IConstruct): LiteLLMConfigError {
  for (let node: IConstruct | undefined = scope; node !== undefined && !Chart.isChart(node); node = node.node.scope) {
    const map = propPaths.get(node);
    if (map !== undefined) return error.withProp(map(error.prop));
  }
  return error;
}

/** `error`, naming the stack `scope` belongs to (and the prop as that stack's user wrote it) when it is one of ours; anything else unchanged. */
export function inStack(error: unknown, scope: IConstruct): unknown {
  if (!(error instanceof LiteLLMConfigError) || error.constructPath !== undefined) return error;
  return inStackProps(error, scope).in(stackPath(scope));
}

/**
 * Adds a synth-time check to `scope` whose errors name the stack, as errors
 * raised while building it do.
 */
export function addStackValidation(scope: IConstruct, check: () => void): void {
  scope.node.addValidation({
    validate: () => {
      try {
        check();
      } catch (e) {
        throw inStack(e, scope);
      }
      return [];
    },
  });
}
