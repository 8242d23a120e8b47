import { App, Chart, YamlOutputType } from 'cdk8s';
import { LiteLLMProxy, WorkerSizing } from './lib';

// The default app: what `npm run synth` writes into dist/.
const app = new App({ yamlOutputType: YamlOutputType.FILE_PER_CHART });

const chart = new Chart(app, 'proxy-single', { namespace: 'litellm', disableResourceNameHashes: true });
new LiteLLMProxy(chart, 'litellm', {
  models: [
    { name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'llm-provider-keys', key: 'openai' }, rpm: 600, tpm: 200000 },
  ],
  masterKey: { name: 'litellm-master-key', key: 'master-key' },
  cpu: '1',
  workers: WorkerSizing.perCpu(),
});

app.synth();
