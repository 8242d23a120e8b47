import { LiteLLMConfigError } from './errors';

/**
 * Kubernetes resource quantities, parsed at synth time so that sizing rules
 * (workers from CPU, Redis maxmemory from the memory limit) are exact.
 */

const CPU = /^(\d+)(?:\.(\d+))?(m?)$/;
const MEMORY = /^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const MEMORY_FACTORS: Record<string, number> = {
  '': 1,
  'k': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12,
  'Ki': 1024, 'Mi': 1024 ** 2, 'Gi': 1024 ** 3, 'Ti': 1024 ** 4,
};

/** Parses a CPU quantity (`"500m"`, `"2"`, `1.5`) into millicores. */
export function parseCpuMillis(prop: string, value: unknown): number {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  const match = typeof text === 'string' ? CPU.exec(text) : null;
  if (!match) {
    throw new LiteLLMConfigError(prop, value, 'must be a CPU quantity such as "500m", "1" or "2.5"');
  }
  const [, whole, fraction = '', milli] = match;
  // Digit arithmetic, not floating point: Number("2.01") * 1000 is 2009.999...
  if (milli === 'm' ? fraction !== '' : fraction.length > 3) {
    throw new LiteLLMConfigError(prop, value, 'must be a whole number of millicores (at most three decimals of a core)');
  }
  const millis = milli === 'm' ? Number(whole) : Number(whole) * 1000 + Number(fraction.padEnd(3, '0'));
  if (millis <= 0) {
    throw new LiteLLMConfigError(prop, value, 'must be greater than zero');
  }
  return millis;
}

/** Parses a memory quantity (`"512Mi"`, `"2Gi"`) into bytes. */
export function parseMemoryBytes(prop: string, value: unknown): number {
  const match = typeof value === 'string' ? MEMORY.exec(value) : null;
  if (!match) {
    throw new LiteLLMConfigError(prop, value, 'must be a memory quantity such as "512Mi" or "2Gi" (units Ki, Mi, Gi, Ti, k, M, G, T)');
  }
  const bytes = Number(match[1]) * MEMORY_FACTORS[match[2] ?? ''];
  if (bytes <= 0) {
    throw new LiteLLMConfigError(prop, value, 'must be greater than zero');
  }
  return bytes;
}

/** Renders millicores the way a person writes them: `"2"` or `"500m"`. */
export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Renders bytes as whole Mi (every size we compute is a multiple of 1 Mi). */
export function formatMemory(bytes: number): string {
  const mi = Math.ceil(bytes / 1024 ** 2);
  return mi % 1024 === 0 ? `${mi / 1024}Gi` : `${mi}Mi`;
}

export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;
