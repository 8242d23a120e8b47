/**
 * The one error type this library throws for bad input.
 *
 * Every message names the prop, the value received and what is allowed, so a
 * user can fix the input without reading our source. Raised inside a stack (or
 * by a check across the App), it also names the stack by its construct path:
 * `[tenants/team-b] cpu: received "0"; ...`, so an error in a loop over many
 * tenants says which one failed.
 */
export class LiteLLMConfigError extends Error {
  /** The prop path that was rejected, e.g. `models[0].rpm`. */
  public readonly prop: string;
  /** Construct path of the stack (or chart) the error arose in, e.g. `tenants/team-b`. @default none */
  public readonly constructPath?: string;

  constructor(prop: string, received: unknown, allowed: string, constructPath?: string) {
    super(`${constructPath !== undefined ? `[${constructPath}] ` : ''}${prop}: received ${describe(received)}; ${allowed}`);
    this.name = 'LiteLLMConfigError';
    this.prop = prop;
    this.constructPath = constructPath;
  }

  /**
   * This error, naming the construct it arose in. An error that already names
   * one is returned unchanged: the innermost stack is the most precise.
   */
  public in(constructPath: string): LiteLLMConfigError {
    if (this.constructPath !== undefined) return this;
    const error = new LiteLLMConfigError(this.prop, undefined, '', constructPath);
    error.message = `[${constructPath}] ${this.message}`;
    // Where it was thrown, not where it was re-raised.
    if (this.stack !== undefined) error.stack = this.stack.replace(this.message, error.message);
    return error;
  }
}

/**
 * Class decorator for a construct: a {@link LiteLLMConfigError} thrown while it
 * is being built names its construct path (`<scope path>/<id>`). A decorator,
 * not a try block in the constructor, because the path is known before
 * `super()` and the constructor body stays as it is.
 */
export function namesConstructPathInErrors<T extends new (...args: any[]) => object>(target: T, _context: ClassDecoratorContext<T>): T {
  const decorated = class extends target {
    constructor(...args: any[]) {
      try {
        super(...args);
      } catch (e) {
        if (!(e instanceof LiteLLMConfigError)) throw e;
        const scopePath: unknown = args[0]?.node?.path;
        const id = String(args[1]);
        throw e.in(typeof scopePath === 'string' && scopePath !== '' ? `${scopePath}/${id}` : id);
      }
    }
  };
  // Keep the class's own name in stack traces and `constructor.name`.
  Object.defineProperty(decorated, 'name', { value: target.name });
  return decorated;
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
