import { ExternalPostgres } from '../../lib/governance/external-postgres';
import { GovernanceSettings, PriorityShare } from '../../lib';
import { containerOf, envMap, synth } from '../support/synth';
import { configOf, proxyIn } from './helpers';

const database = () => new ExternalPostgres({ url: { name: 'litellm-db', key: 'url' } });
const license = { name: 'litellm-license', key: 'key' };

function governed(settings: GovernanceSettings, withDatabase = true): any[] {
  return synth(chart => proxyIn(chart, { ...(withDatabase ? { database: database() } : {}), governance: settings }));
}

describe('applyGovernance', () => {
  test('every setting lands on its config.yaml key', () => {
    const config = configOf(governed({
      defaultKeyParams: { maxBudget: 10, budgetDuration: '7d', duration: '90d', rpmLimit: 60, tpmLimit: 100000, maxParallelRequests: 5, models: ['gpt-4o'] },
      keyParamLimits: { maxBudget: 100, budgetDuration: '1mo', duration: '365d', rpmLimit: 600, tpmLimit: 1000000, maxParallelRequests: 20 },
      proxyBudget: { maxBudget: 5000, budgetDuration: '1mo' },
      allowRequestsWhenDatabaseUnavailable: true,
      disableSpendLogs: true,
      batchWriteIntervalSeconds: 30,
      databaseConnectionPoolLimit: 20,
      databaseConnectionTimeoutSeconds: 30,
    }));
    expect(config.general_settings).toMatchObject({
      allow_requests_on_db_unavailable: true,
      disable_spend_logs: true, proxy_batch_write_at: 30, database_connection_pool_limit: 20, database_connection_timeout: 30,
    });
    expect(config.litellm_settings.default_key_generate_params).toEqual({
      max_budget: 10, budget_duration: '7d', duration: '90d', rpm_limit: 60, tpm_limit: 100000, max_parallel_requests: 5, models: ['gpt-4o'],
    });
    expect(config.litellm_settings.upperbound_key_generate_params).toEqual({
      max_budget: 100, budget_duration: '1mo', duration: '365d', rpm_limit: 600, tpm_limit: 1000000, max_parallel_requests: 20,
    });
    expect(config.litellm_settings).toMatchObject({ max_budget: 5000, budget_duration: '1mo' });
  });

  test('priority reservation sets the shares, its settings, the callback and the licence from a Secret', () => {
    const objects = governed({ priorityReservation: { shares: { prod: PriorityShare.fraction(0.7), dev: PriorityShare.rpm(100) }, defaultPriority: 0.1, saturationThreshold: 0.8, license } });
    const config = configOf(objects);
    expect(config.litellm_settings.priority_reservation).toEqual({ prod: 0.7, dev: { type: 'rpm', value: 100 } });
    expect(config.litellm_settings.priority_reservation_settings).toEqual({ default_priority: 0.1, saturation_threshold: 0.8 });
    expect(config.litellm_settings.callbacks).toContain('dynamic_rate_limiter_v3');
    expect(envMap(containerOf(objects)).LITELLM_LICENSE).toEqual({ secretKeyRef: license });
  });

  test('a licence already in secretEnv is accepted', () => {
    const objects = synth(chart => proxyIn(chart, { database: database(), secretEnv: { LITELLM_LICENSE: license },
      governance: { priorityReservation: { shares: { prod: PriorityShare.fraction(1) } } } }));
    expect(configOf(objects).litellm_settings.priority_reservation).toEqual({ prod: 1 });
  });

  test.each([
    ['maxParallelRequests', /governance\.maxParallelRequests: received 50; removed: general_settings\.max_parallel_requests has no effect in LiteLLM 1\.108\.14 .*models\[\]\.maxParallelRequests/],
    ['globalMaxParallelRequests', /governance\.globalMaxParallelRequests: received 50; removed: .*maxInFlightRequestsPerWorker/],
  ])('GIVEN the removed %s (inert on 1.108.14) THEN an error says where its effect lives now', (key, message) => {
    expect(() => governed({ [key]: 50 } as any, false)).toThrow(message);
  });

  test('GIVEN an unknown governance setting THEN an error lists the known ones', () => {
    expect(() => governed({ maxBudget: 5 } as any)).toThrow(/governance\.maxBudget: received 5; is not a governance setting; use one of defaultKeyParams/);
  });

  test('equal default and limit durations in months are accepted', () => {
    expect(() => governed({ defaultKeyParams: { maxBudget: 1, budgetDuration: '1mo' }, keyParamLimits: { maxBudget: 1, budgetDuration: '1mo' } })).not.toThrow();
  });

  test.each<[string, GovernanceSettings, RegExp]>([
    ['budget below zero', { defaultKeyParams: { maxBudget: -1 } }, /governance\.defaultKeyParams\.maxBudget: received -1; must be a finite number >= 0/],
    ['proxy budget of zero', { proxyBudget: { maxBudget: 0, budgetDuration: '1d' } }, /governance\.proxyBudget\.maxBudget: received 0; must be a budget in USD greater than 0/],
    ['proxy budget without a period', { proxyBudget: { maxBudget: 10 } as any }, /governance\.proxyBudget\.budgetDuration: received undefined; must be a LiteLLM duration/],
    ['bad duration', { defaultKeyParams: { duration: '30 days' } }, /governance\.defaultKeyParams\.duration: received "30 days"; must be a LiteLLM duration: .*"30d" or "1mo"/],
    ['zero duration', { keyParamLimits: { duration: '0d' } }, /governance\.keyParamLimits\.duration: received "0d"; must be a LiteLLM duration/],
    ['budget period without a budget', { keyParamLimits: { budgetDuration: '1d' } }, /governance\.keyParamLimits\.budgetDuration: received "1d"; resets a budget: set maxBudget too/],
    ['default over the limit', { defaultKeyParams: { rpmLimit: 100 }, keyParamLimits: { rpmLimit: 50 } }, /governance\.defaultKeyParams\.rpmLimit: received 100; must not exceed keyParamLimits\.rpmLimit \(50\)/],
    ['default budget over the limit', { defaultKeyParams: { maxBudget: 20 }, keyParamLimits: { maxBudget: 10 } }, /governance\.defaultKeyParams\.maxBudget: received 20; must not exceed keyParamLimits\.maxBudget \(10\)/],
    ['default duration longer than the limit', { defaultKeyParams: { duration: '31d' }, keyParamLimits: { duration: '1mo' } }, /governance\.defaultKeyParams\.duration: received "31d"; must not be longer than keyParamLimits\.duration \("1mo"\); months count as 28 to 31 days/],
    ['unknown key parameter', { keyParamLimits: { models: ['x'] } as any }, /governance\.keyParamLimits\.models: received "models"; is not a key parameter/],
    ['empty models', { defaultKeyParams: { models: [] } }, /governance\.defaultKeyParams\.models: received an array of 0; must list at least one model name/],
    ['rpm of zero', { defaultKeyParams: { rpmLimit: 0 } }, /governance\.defaultKeyParams\.rpmLimit: received 0; must be an integer >= 1/],
    ['shares over 1', { priorityReservation: { shares: { prod: PriorityShare.fraction(0.7), dev: PriorityShare.fraction(0.5) }, license } }, /governance\.priorityReservation\.shares: received "2 shares"; fractional shares add up to 1\.2; they must add up to at most 1/],
    ['percent shares over 1', { priorityReservation: { shares: { a: PriorityShare.percent(0.6), b: PriorityShare.fraction(0.6) }, license } }, /fractional shares add up to 1\.2/],
    ['share above 1', { priorityReservation: { shares: { prod: PriorityShare.fraction(1.5) }, license } }, /governance\.priorityReservation\.shares\.prod: received 1\.5; a share is a fraction of capacity greater than 0 and at most 1/],
    ['no shares', { priorityReservation: { shares: {}, license } }, /governance\.priorityReservation\.shares: received \{\}; must name at least one priority/],
    ['a plain number as share', { priorityReservation: { shares: { a: 0.5 as any }, license } }, /governance\.priorityReservation\.shares\.a: received 0\.5; must be PriorityShare\.fraction\(f\), PriorityShare\.percent\(f\), PriorityShare\.rpm\(n\) or PriorityShare\.tpm\(n\)/],
    ['rpm share not a whole number', { priorityReservation: { shares: { a: PriorityShare.rpm(0.5) }, license } }, /governance\.priorityReservation\.shares\.a: received 0\.5; must be an integer >= 1/],
    ['no licence', { priorityReservation: { shares: { prod: PriorityShare.fraction(1) } } }, /governance\.priorityReservation\.license: received undefined; priority reservation is a LiteLLM enterprise feature/],
    ['saturation above 1', { priorityReservation: { shares: { prod: PriorityShare.fraction(1) }, saturationThreshold: 2, license } }, /governance\.priorityReservation\.saturationThreshold: received 2; must be a number from 0 to 1/],
    ['pool limit of zero', { databaseConnectionPoolLimit: 0 }, /governance\.databaseConnectionPoolLimit: received 0; must be an integer from 1 to 1000/],
    ['batch interval of zero', { batchWriteIntervalSeconds: 0 }, /governance\.batchWriteIntervalSeconds: received 0; must be an integer from 1 to 3600/],
    ['non-boolean', { disableSpendLogs: 'yes' as any }, /governance\.disableSpendLogs: received "yes"; must be true or false/],
  ])('GIVEN %s THEN it is rejected', (_name, settings, message) => {
    expect(() => governed(settings)).toThrow(message);
  });

  test('GIVEN default key models the proxy does not serve THEN the first such name is refused, listing the declared ones', () => {
    expect(() => governed({ defaultKeyParams: { models: ['gpt-4o', 'gpt-5'] } })).toThrow(
      /^\[test\] governance\.defaultKeyParams\.models\[1\]: received "gpt-5"; must be a model_name of the proxy's models \("gpt-4o"\) or one of "all-proxy-models", "all-team-models", "no-default-models"$/);
    expect(() => governed({ defaultKeyParams: { models: ['GPT-4o'] } })).toThrow(/models\[0\]: received "GPT-4o"/);
  });

  test('GIVEN LiteLLM\'s special names or wildcards that match a declared name THEN they are accepted', () => {
    const wildcardProxy = (chart: any, governance: GovernanceSettings) => proxyIn(chart, {
      database: database(), governance,
      models: [{ name: 'gpt-4o', model: 'openai/gpt-4o' }, { name: 'anthropic/*', model: 'anthropic/*' }],
    });
    const config = configOf(synth(chart => wildcardProxy(chart,
      { defaultKeyParams: { models: ['all-proxy-models', 'gpt-*', 'anthropic/claude-sonnet-4-5'] } })));
    expect(config.litellm_settings.default_key_generate_params.models).toEqual(['all-proxy-models', 'gpt-*', 'anthropic/claude-sonnet-4-5']);
    expect(() => synth(chart => wildcardProxy(chart, { defaultKeyParams: { models: ['openai/*'] } })))
      .toThrow(/models\[0\]: received "openai\/\*"; must be a model_name of the proxy's models \("gpt-4o", "anthropic\/\*"\)/);
  });

  test('GIVEN key settings without a database THEN they are rejected', () => {
    expect(() => governed({ defaultKeyParams: { rpmLimit: 10 } }, false))
      .toThrow(/governance\.defaultKeyParams: received .*; needs a database: virtual keys, budgets and spend live in Postgres/);
  });

  test('GIVEN the escape hatch already sets a key THEN the typed setting refuses to fight it', () => {
    expect(() => synth(chart =>
      proxyIn(chart, { database: database(), extraConfig: { generalSettings: { disable_spend_logs: false } }, governance: { disableSpendLogs: true } })))
      .toThrow(/extraConfig\.generalSettings\.disable_spend_logs: received false; this key is set by governance\.disableSpendLogs; use that prop instead/);
  });
});
