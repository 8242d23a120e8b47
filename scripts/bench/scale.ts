// Scale bench, run by scripts/bench.js:
//   node node_modules/tsx/dist/cli.mjs scripts/bench/scale.ts <stacks> <runs>
// Builds <stacks> production LiteLLMStack charts in one App and synthesizes the
// whole app to YAML in memory; prints one JSON line {"ms": <median of runs>}.
// Each run uses a fresh App, so runs measure the same work.
import { App } from 'cdk8s';
import { Edge, LiteLLMStack, Presets } from '../../lib';
import { BENCH_MASTER_KEY, BENCH_MODELS, BENCH_SALT_KEY } from './workload';

const [stacks, runs] = process.argv.slice(2, 4).map(Number);
if (!Number.isInteger(stacks) || stacks < 1 || !Number.isInteger(runs) || runs < 1) {
  process.stderr.write('usage: scale.ts <stacks >= 1> <runs >= 1>\n');
  process.exit(2);
}

/** One team's gateway: what a production user of the library writes. */
function addStack(app: App, i: number): void {
  const namespace = `team-${String(i).padStart(3, '0')}`;
  new LiteLLMStack(app, namespace, {
    namespace,
    preset: Presets.production(),
    models: BENCH_MODELS,
    masterKey: BENCH_MASTER_KEY,
    saltKey: BENCH_SALT_KEY,
    redis: { password: { name: 'litellm-redis', key: 'password' } },
    edge: Edge.ingressNginx({ tls: { clusterIssuer: 'letsencrypt-prod' } }),
    hosts: [`${namespace}.llm.example.com`],
    metrics: { serviceMonitor: true },
  });
}

function once(): number {
  const start = process.hrtime.bigint();
  const app = new App({ outdir: '/nonexistent' }); // synthYaml never writes
  for (let i = 0; i < stacks; i++) addStack(app, i);
  const yaml = app.synthYaml();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (yaml.length === 0) throw new Error('empty synthesis');
  return ms;
}

const times: number[] = [];
for (let r = 0; r < runs; r++) times.push(once());
times.sort((a, b) => a - b);
const mid = times.length >> 1;
const ms = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
process.stdout.write(`${JSON.stringify({ ms: Math.round(ms * 10) / 10 })}\n`);
