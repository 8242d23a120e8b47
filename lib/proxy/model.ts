import { LiteLLMConfigError, hidden } from '../errors';
import { credentialKind } from '../credentials';
import { SecretKeyRef, assertNoLiteralSecrets, secretKeyRef } from '../secret';
import { integer, list, nonEmptyString, plainObject, positiveNumber, unique } from '../validate';

/** One deployment of a model behind a public model name (a `model_list` entry). */
export interface ModelDeployment {
  /**
   * The public name clients ask for (`model_name`). Several deployments may
   * share a name: the router load-balances between them.
   */
  readonly name: string;
  /** The provider model, e.g. `openai/gpt-4o` or `anthropic/claude-sonnet-4-5` (`litellm_params.model`). */
  readonly model: string;
  /** Provider endpoint (`api_base`), for Azure, self-hosted or OpenAI-compatible servers. @default the provider's public endpoint */
  readonly apiBase?: string;
  /** The provider API key, from an existing Secret; never a literal. @default no key (e.g. a keyless local server) */
  readonly apiKey?: SecretKeyRef;
  /** Requests per minute this deployment may take (`rpm`). Shared across replicas only with Redis. @default no limit */
  readonly rpm?: number;
  /** Tokens per minute this deployment may take (`tpm`). @default no limit */
  readonly tpm?: number;
  /**
   * Per-attempt timeout in seconds for this deployment's non-streaming calls
   * (`timeout`); it counts in the proxy's non-streaming bound.
   * @default the proxy's requestTimeoutSeconds
   */
  readonly timeoutSeconds?: number;
  /**
   * Most requests this deployment serves at once, per worker process
   * (`max_parallel_requests`): the next one gets 429, at once unless
   * `router.retryRateLimited`. LiteLLM counts it in each process, so a stack allows this ×
   * workers × replicas. Without it LiteLLM caps concurrency at `rpm` (or
   * tpm / 1000 × 6) per process (litellm/utils.py calculate_max_parallel_requests).
   * @default no limit of its own
   */
  readonly maxParallelRequests?: number;
  /**
   * Model access groups this deployment belongs to (`model_info.access_groups`):
   * a team, user or key whose `models` names a group may call every model in it.
   * @default none
   */
  readonly accessGroups?: string[];
  /**
   * Further `litellm_params` we don't model (e.g. `api_version`, `max_tokens`).
   * Credentials here must be `os.environ/NAME` references.
   * @default none
   */
  readonly params?: { [key: string]: any };
}

// Access group names: they appear in teams' and keys' `models` next to model names.
const ACCESS_GROUP = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Validates a model access group name. */
export function accessGroupName(prop: string, value: unknown): string {
  if (typeof value !== 'string' || !ACCESS_GROUP.test(value)) {
    throw new LiteLLMConfigError(prop, value, 'must be an access group name: 1 to 64 letters, digits, \'.\', \'_\' and \'-\', starting with a letter or digit');
  }
  return value;
}

/** Keys the typed props own; `params` may not set them. */
const TYPED_PARAMS = ['model', 'api_base', 'api_key', 'rpm', 'tpm', 'timeout', 'max_parallel_requests'];
/**
 * Per-deployment keys that change how long a request can take (router.py: a deployment's
 * num_retries, stream_timeout and request_timeout override the proxy's), so the timeout
 * agreement could not count them.
 */
const AGREEMENT_PARAMS = ['num_retries', 'max_retries', 'stream_timeout', 'request_timeout'];

/** The environment variable that carries a Secret key into the container. */
export function secretEnvName(ref: SecretKeyRef): string {
  return `LITELLM_SECRET_${ref.name}_${ref.key}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/** The provider endpoint's TCP port, so the NetworkPolicy can open exactly that. */
export function apiBasePort(prop: string, apiBase: string): number {
  let url: URL;
  try {
    url = new URL(apiBase);
  } catch {
    throw new LiteLLMConfigError(prop, apiBase, 'must be an absolute http(s) URL such as "https://example.openai.azure.com"');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new LiteLLMConfigError(prop, apiBase, 'must use http or https');
  }
  if (url.username || url.password) {
    throw new LiteLLMConfigError(prop, hidden('a URL with credentials'), 'must not embed credentials; use apiKey');
  }
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** Validates one model deployment and returns its `model_list` entry. */
export function renderModel(prop: string, m: ModelDeployment): { entry: Record<string, unknown>; keyRef?: SecretKeyRef; port: number } {
  if (typeof m !== 'object' || m === null) throw new LiteLLMConfigError(prop, m, 'must be a model deployment { name, model, ... }');
  nonEmptyString(`${prop}.name`, m.name);
  const model = nonEmptyString(`${prop}.model`, m.model);
  for (const field of ['name', 'model', 'apiBase'] as const) {
    const v = m[field];
    const kind = typeof v === 'string' ? credentialKind(v) : undefined;
    if (kind !== undefined) {
      throw new LiteLLMConfigError(`${prop}.${field}`, hidden('a value that looks like a credential'),
        `credentials belong in apiKey as a Secret reference (this value looks like ${kind}); `
        + 'other credentials go in params as `os.environ/NAME` references whose variable comes from secretEnv');
    }
  }
  if (!model.includes('/')) {
    throw new LiteLLMConfigError(`${prop}.model`, model,
      'must name the provider and the model as "provider/model", e.g. "openai/gpt-4o" (LiteLLM routes on the prefix)');
  }
  const params: Record<string, unknown> = { model };
  let port = 443;
  if (m.apiBase !== undefined) {
    port = apiBasePort(`${prop}.apiBase`, m.apiBase);
    params.api_base = m.apiBase;
  }
  let keyRef: SecretKeyRef | undefined;
  if (m.apiKey !== undefined) {
    keyRef = secretKeyRef(`${prop}.apiKey`, m.apiKey);
    params.api_key = `os.environ/${secretEnvName(keyRef)}`;
  }
  if (m.rpm !== undefined) params.rpm = integer(`${prop}.rpm`, m.rpm, 1);
  if (m.tpm !== undefined) params.tpm = integer(`${prop}.tpm`, m.tpm, 1);
  if (m.timeoutSeconds !== undefined) params.timeout = positiveNumber(`${prop}.timeoutSeconds`, m.timeoutSeconds);
  if (m.maxParallelRequests !== undefined) params.max_parallel_requests = integer(`${prop}.maxParallelRequests`, m.maxParallelRequests, 1);
  if (m.params !== undefined) {
    const extra = plainObject(`${prop}.params`, m.params);
    assertNoLiteralSecrets(`${prop}.params`, extra);
    for (const [k, v] of Object.entries(extra)) {
      if (TYPED_PARAMS.includes(k)) {
        throw new LiteLLMConfigError(`${prop}.params.${k}`, v, `"${k}" has a typed prop (name, model, apiBase, apiKey, rpm, tpm, timeoutSeconds, maxParallelRequests); use it instead`);
      }
      if (AGREEMENT_PARAMS.includes(k)) {
        throw new LiteLLMConfigError(`${prop}.params.${k}`, v,
          `"${k}" changes how long a request can take, which the edge and drain timeouts are derived from; use the proxy's requestTimeoutSeconds, maxStreamSeconds and router.numRetries`);
      }
      // utils.py get_order_filtered_deployments: the lowest order first, each further level as a fallback; counted in the bound.
      if (k === 'order') integer(`${prop}.params.order`, v, 1);
      params[k] = v;
    }
  }
  // A deployment whose tpm is below one request's max_tokens refuses (429) every call of a minute after the first that
  // uses them: LiteLLM counts the tokens a response used against the deployment's tpm (router.py, enforce_model_rate_limits).
  const maxTokens = params.max_tokens;
  if (typeof params.tpm === 'number' && typeof maxTokens === 'number' && params.tpm < maxTokens) {
    throw new LiteLLMConfigError(`${prop}.tpm`, params.tpm,
      `must be at least ${maxTokens}, the max_tokens one request to this deployment may use (${prop}.params.max_tokens): a single answer of that length `
      + 'spends the whole minute\'s tpm and every further call that minute is refused (429); raise tpm or lower max_tokens');
  }
  const entry: Record<string, unknown> = { model_name: m.name, litellm_params: params };
  if (m.accessGroups !== undefined) {
    const groups = list(`${prop}.accessGroups`, m.accessGroups);
    if (groups.length === 0) throw new LiteLLMConfigError(`${prop}.accessGroups`, groups, 'must name at least one group (leave it unset for none)');
    groups.forEach((g, i) => accessGroupName(`${prop}.accessGroups[${i}]`, g));
    unique(`${prop}.accessGroups`, groups, 'access group names');
    entry.model_info = { access_groups: [...groups] };
  }
  return { entry, keyRef, port };
}
