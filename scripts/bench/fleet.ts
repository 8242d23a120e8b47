// Fleet bench, run by scripts/bench.js:
//   node node_modules/tsx/dist/cli.mjs scripts/bench/fleet.ts <tenants> <runs>
// Builds a LiteLLMFleet of <tenants> production tenants on shared parts (one
// external Redis, one PostgreSQL server with a database each, one Gateway) in a
// GitOpsApp with Argo CD Applications, and renders the whole GitOps output in
// memory (synthFiles: validation and the App-wide checks once, a file per
// object); prints one JSON line {"ms": <median>, "files": <count>}. Each run
// uses a fresh App, so runs measure the same work.
import { Edge, GitOpsApp, LiteLLMFleet, Presets } from '../../lib';
import { BENCH_MASTER_KEY, BENCH_MODELS, BENCH_SALT_KEY } from './workload';

const [tenants, runs] = process.argv.slice(2, 4).map(Number);
if (!Number.isInteger(tenants) || tenants < 1 || !Number.isInteger(runs) || runs < 1) {
  process.stderr.write('usage: fleet.ts <tenants >= 1> <runs >= 1>\n');
  process.exit(2);
}

function once(): { ms: number; files: number } {
  const start = process.hrtime.bigint();
  const app = new GitOpsApp({ outdir: '/nonexistent', argoCd: { repoURL: 'https://git.example.com/platform/llm-gateway.git' } });
  new LiteLLMFleet(app, 'tenants', {
    namespacePrefix: 'llm-',
    preset: Presets.production(),
    models: BENCH_MODELS,
    masterKey: BENCH_MASTER_KEY,
    saltKey: BENCH_SALT_KEY,
    redis: { external: { host: 'redis.platform.example.com', password: { name: 'litellm-redis', key: 'password' } } },
    // 20 connections per tenant (a pool of 1 × 2 workers × 7 pods + the migration fits): no real
    // server takes 20,000, but this measures synthesis, and every tenant still goes through the checks.
    database: { serverOptions: { name: 'platform-pg', host: 'pg.platform.example.com', maxConnections: 20 * tenants } },
    edge: Edge.gatewayApi({
      gateway: { name: 'public', namespace: 'gateways', sectionName: 'https' },
      controllerNamespace: 'envoy-gateway-system',
    }),
    domain: 'llm.example.com',
    governance: { defaultKeyParams: { rpmLimit: 60, maxBudget: 20, budgetDuration: '30d' } },
    tenants: Array.from({ length: tenants }, (_, i) => ({ name: `team-${String(i).padStart(4, '0')}` })),
  });
  const files = new Map(Object.entries(app.synthFiles()));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (files.size < tenants) throw new Error('too few files');
  return { ms, files: files.size };
}

const results: { ms: number; files: number }[] = [];
for (let r = 0; r < runs; r++) results.push(once());
const times = results.map(r => r.ms).sort((a, b) => a - b);
const mid = times.length >> 1;
const ms = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
process.stdout.write(`${JSON.stringify({ ms: Math.round(ms * 10) / 10, files: results[0].files })}\n`);
