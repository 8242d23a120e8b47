/**
 * The one error type this library throws for bad input.
 *
 * Every message names the prop, the value received and what is allowed, so a
 * user can fix the input without reading our source.
 */
export class LiteLLMConfigError extends Error {
  /** The prop path that was rejected, e.g. `models[0].rpm`. */
  public readonly prop: string;

  constructor(prop: string, received: unknown, allowed: string) {
    super(`${prop}: received ${describe(received)}; ${allowed}`);
    this.name = 'LiteLLMConfigError';
    this.prop = prop;
  }
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
