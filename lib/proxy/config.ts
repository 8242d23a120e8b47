import { Yaml } from 'cdk8s';
import { LiteLLMConfigError } from '../errors';
import { assertNoLiteralSecrets } from '../secret';
import { plainObject } from '../validate';

/** The config.yaml sections LiteLLM reads (docs/proxy/configs.md). */
export type ConfigSection = 'litellm_settings' | 'router_settings' | 'general_settings' | 'environment_variables';
export const CONFIG_SECTIONS: readonly ConfigSection[] = ['litellm_settings', 'router_settings', 'general_settings', 'environment_variables'];

/** Keys for settings this library does not model yet; merged into config.yaml as given. */
export interface ExtraConfig {
  readonly litellm_settings?: Record<string, unknown>;
  readonly router_settings?: Record<string, unknown>;
  readonly general_settings?: Record<string, unknown>;
  readonly environment_variables?: Record<string, unknown>;
}

/** `os.environ/NAME`: LiteLLM reads the value from the environment at start-up. */
export function envRef(name: string): string {
  return `os.environ/${name}`;
}

/**
 * config.yaml under construction. Each key has one owner (a typed prop, the
 * Redis wiring, governance, ...); a second writer of the same key is an error
 * rather than a silent override, so two features can never fight over a value.
 */
export class LiteLLMConfigDocument {
  private readonly models: Record<string, unknown>[] = [];
  private readonly sections = new Map<ConfigSection, Map<string, { value: unknown; owner: string }>>();

  public addModel(entry: Record<string, unknown>): void {
    this.models.push(entry);
  }

  /** Sets one key; throws if another owner already set it to something else. */
  public set(section: ConfigSection, key: string, value: unknown, owner: string): void {
    let s = this.sections.get(section);
    if (!s) {
      s = new Map();
      this.sections.set(section, s);
    }
    const existing = s.get(key);
    if (existing && JSON.stringify(existing.value) !== JSON.stringify(value)) {
      throw new LiteLLMConfigError(owner, value,
        `${section}.${key} is already set to ${JSON.stringify(existing.value)} by ${existing.owner}; set it in one place only`);
    }
    s.set(key, { value, owner: existing?.owner ?? owner });
  }

  /** Appends to a list-valued key (e.g. `callbacks`), keeping order and skipping repeats. */
  public append(section: ConfigSection, key: string, item: string, owner: string): void {
    const s = this.sections.get(section);
    const current = s?.get(key)?.value;
    const list = Array.isArray(current) ? [...current] : [];
    if (!list.includes(item)) list.push(item);
    if (s?.has(key)) s.delete(key);
    this.set(section, key, list, owner);
  }

  public get(section: ConfigSection, key: string): unknown {
    return this.sections.get(section)?.get(key)?.value;
  }

  public has(section: ConfigSection, key: string): boolean {
    return this.sections.get(section)?.has(key) ?? false;
  }

  /** Merges the escape hatch; keys a typed prop owns are refused with the prop to use. */
  public mergeExtra(extra: ExtraConfig, prop: string): void {
    assertNoLiteralSecrets(prop, extra);
    for (const [section, values] of Object.entries(extra)) {
      if (!(CONFIG_SECTIONS as readonly string[]).includes(section)) {
        throw new LiteLLMConfigError(`${prop}.${section}`, section,
          `must be one of ${CONFIG_SECTIONS.join(', ')} (models go in "models")`);
      }
      if (values === undefined) continue;
      for (const [key, value] of Object.entries(plainObject(`${prop}.${section}`, values))) {
        const owner = this.sections.get(section as ConfigSection)?.get(key)?.owner;
        if (owner !== undefined) {
          throw new LiteLLMConfigError(`${prop}.${section}.${key}`, value, `this key is set by ${owner}; use that prop instead`);
        }
        this.set(section as ConfigSection, key, value, `${prop}.${section}.${key}`);
      }
    }
  }

  /** The document as a plain object, sections in LiteLLM's documented order. */
  public toObject(): Record<string, unknown> {
    const doc: Record<string, unknown> = { model_list: this.models };
    for (const section of CONFIG_SECTIONS) {
      const s = this.sections.get(section);
      if (!s || s.size === 0) continue;
      doc[section] = Object.fromEntries([...s.entries()].map(([k, v]) => [k, v.value]));
    }
    return doc;
  }

  public render(): string {
    return Yaml.stringify(this.toObject());
  }
}
