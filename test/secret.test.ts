import fc from 'fast-check';
import { LiteLLMConfigError } from '../lib';
import { credentialKind, looksLikeSecret } from '../lib/credentials';
import { assertNoLiteralSecrets } from '../lib/secret';
import { credentialUrl, plainUrl } from './support/arbitraries';

/**
 * The credential check: what carries a credential (tokens, webhook URLs,
 * passwords and tokens in URLs, credential-named query parameters), and what
 * does not (ordinary endpoints, `api-version=`), without ever echoing a value.
 */

describe('credentialKind', () => {
  test.each<[string, RegExp]>([
    ['https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX', /Slack webhook URL/],
    ['https://hooks.slack.com/workflows/T000/A000/123/abc', /Slack webhook URL/],
    ['https://hooks.slack.com/triggers/T000/123/abc', /Slack webhook URL/],
    ['hooks.slack.com/services/T000/B000/XXXX', /Slack webhook URL/],
    ['https://contoso.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d', /Microsoft Teams webhook URL/],
    ['https://outlook.office.com/webhook/a@b/IncomingWebhook/c/d', /Microsoft Teams webhook URL/],
    ['https://prod-1.westeurope.logic.azure.com:443/workflows/x/triggers/manual/paths/invoke?api-version=2016-06-01&sig=abc', /Power Automate/],
    ['https://discord.com/api/webhooks/123456789/abcDEF-123', /Discord webhook URL/],
    ['https://ptb.discordapp.com/api/v10/webhooks/123456789/abcDEF', /Discord webhook URL/],
    ['https://events.pagerduty.com/integration/0123456789abcdef/enqueue', /PagerDuty integration URL/],
    ['https://events.pagerduty.com/v2/enqueue?routing_key=0123456789abcdef', /credential in its query \("routing_key="\)/],
    ['https://hooks.zapier.com/hooks/catch/123456/abcdef/', /a hooks\.\* host/],
    ['https://n8n.example.com/webhook/3f2a9c1e-7b4d-4e0a-9c55-1d2e3f4a5b6c', /webhook URL with a token in its path/],
    ['https://user:hunter2@proxy.example.com', /password in it/],
    ['redis://:s3cr3t@cache.example.com:6379', /password in it/],
    ['postgresql://litellm:pa55@db:5432/litellm', /password in it/],
    ['https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/2', /user part is a token/],
    ['https://api.example.com/v1?api_key=abc', /"api_key="/],
    ['https://api.example.com/v1?x-api-key=abc', /"x-api-key="/],
    ['https://api.example.com/v1?apiKey=abc', /"apiKey="/],
    ['https://s3.example.com/k?X-Amz-Signature=abc', /"X-Amz-Signature="/],
    ['https://blob.example.com/c/b?sv=2022-11-02&sig=abc', /"sig="/],
    ['https://app.example.com/cb?code=abc', /"code="/],
    ['call https://api.example.com/v1?token=abc, then retry', /"token="/],
    ['sk-abcdefghijklmnop', /an API key or token/],
  ])('%s is %s', (text, kind) => {
    expect(credentialKind(text)).toMatch(kind);
  });

  test.each([
    'https://api.openai.com/v1',
    'http://model.svc:8080/v1?api-version=2024-10-21',
    'https://example.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21',
    'https://docs.example.com/webhooks/setup',
    'https://example.com/api/webhooks',
    'https://hooks.example.com/',
    'https://user@example.com/path',
    'ssh://git@github.com/org/repo.git',
    'https://github.com/org/repo.git',
    'https://example.com/search?q=key&monkey=1&keyword=x',
    'https://example.com/status?code=',
    'postgresql://user:$(DB_PASSWORD)@db:5432/litellm',
    'os.environ/SLACK_WEBHOOK_URL',
    'Europe/Berlin',
    'hunter2',
    '',
  ])('%s carries no credential', text => {
    expect(credentialKind(text)).toBeUndefined();
  });

  test('every generated credential URL is one, every generated plain URL is not', () => {
    fc.assert(fc.property(credentialUrl, url => looksLikeSecret(url)));
    fc.assert(fc.property(plainUrl, url => !looksLikeSecret(url)));
  });
});

describe('assertNoLiteralSecrets', () => {
  const errorOf = (value: unknown): LiteLLMConfigError => {
    try {
      assertNoLiteralSecrets('extraConfig', value);
    } catch (e) {
      return e as LiteLLMConfigError;
    }
    throw new Error('accepted');
  };

  test('a webhook URL anywhere is refused, naming the path and the kind, never the value', () => {
    const url = 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX';
    const e = errorOf({ generalSettings: { alerting_args: { targets: [url] } } });
    expect(e.prop).toBe('extraConfig.generalSettings.alerting_args.targets[0]');
    expect(e.message).toMatch(/received \(a literal value, hidden\); credentials must be `os\.environ\/NAME` references .*; this value looks like a Slack webhook URL/);
    expect(e.message).not.toContain('XXXX');
  });

  test('under a credential-named key every literal is refused, numbers and nested maps included; references pass', () => {
    expect(errorOf({ generalSettings: { alert_to_webhook_url: { llm_exceptions: 'https://alerts.internal.example.com/x' } } }).prop)
      .toBe('extraConfig.generalSettings.alert_to_webhook_url.llm_exceptions');
    expect(errorOf({ generalSettings: { pagerduty: { routing_key: 12345 } } }).message).toMatch(/"routing_key" holds a credential/);
    expect(() => assertNoLiteralSecrets('extraConfig', {
      generalSettings: { alert_to_webhook_url: { llm_exceptions: 'os.environ/SLACK_WEBHOOK_URL' }, alerting_threshold: 300, webhook_url: '' },
    })).not.toThrow();
  });

  test('pricing keys that end in "token" are numbers, not credentials; a key named token still is', () => {
    expect(() => assertNoLiteralSecrets('models[0].params', { input_cost_per_token: 0.001, output_cost_per_token: 0.002 })).not.toThrow();
    expect(() => assertNoLiteralSecrets('models[0].params', { auth_token: 'abc' })).toThrow(/"auth_token" holds a credential/);
  });
});
