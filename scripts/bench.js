#!/usr/bin/env node
// npm run bench: times whole `cdk8s synth` processes (median of several runs)
// for the default app and for a bare cdk8s-plus chart, and prints the ratio;
// then stacks at scale (cdk8s's own synthYaml) and a fleet of 100 and 1,000
// tenants through the GitOps writer (per-tenant time, and its ratio).
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const runs = Number(process.env.BENCH_RUNS || 5);
const cdk8s = path.join(root, 'node_modules', '.bin', 'cdk8s');
const tsx = 'node --import tsx';

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function timeSynth(app, env = {}) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
    const start = process.hrtime.bigint();
    execFileSync(cdk8s, ['synth', '--no-check-upgrade', '--app', app, '-o', out], { cwd: root, stdio: 'ignore', env: { ...process.env, ...env } });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    fs.rmSync(out, { recursive: true, force: true });
  }
  return median(times);
}

function timeInProcess(stacks, script = 'scale.ts', n = runs) {
  // Synthesis only, in a process of its own: isolates our constructs' cost from process start-up.
  const out = execFileSync(process.execPath, [path.join('node_modules', 'tsx', 'dist', 'cli.mjs'), path.join('scripts', 'bench', script), String(stacks), String(n)],
    { cwd: root, maxBuffer: 1 << 20 });
  return JSON.parse(out.toString());
}

const app = timeSynth(`${tsx} main.ts`);
const bare = timeSynth(`${tsx} scripts/bench/bare-app.ts`);
console.log(`cdk8s synth, median of ${runs} runs`);
console.log(`  default app (main.ts):      ${app.toFixed(0)} ms`);
console.log(`  bare cdk8s-plus Deployment: ${bare.toFixed(0)} ms`);
console.log(`  ratio:                      ${(app / bare).toFixed(2)} (target <= 1.5)`);

if (fs.existsSync(path.join(root, 'scripts', 'bench', 'scale.ts'))) {
  console.log('\nscale: stacks synthesized in one app (in-process, median)');
  const results = [1, 10, 100].map(n => ({ n, ...timeInProcess(n) }));
  for (const r of results) {
    console.log(`  ${String(r.n).padStart(3)} stacks: ${r.ms.toFixed(0).padStart(6)} ms total, ${(r.ms / r.n).toFixed(1).padStart(6)} ms per stack`);
  }
  const r10 = results.find(r => r.n === 10).ms;
  const r100 = results.find(r => r.n === 100).ms;
  console.log(`  100 stacks / 10 stacks: ${(r100 / r10).toFixed(2)}x (target <= 12x)`);
}

if (fs.existsSync(path.join(root, 'scripts', 'bench', 'fleet.ts'))) {
  // Median of 3 by default: one run at 1,000 tenants takes several seconds.
  const fleetRuns = Number(process.env.BENCH_FLEET_RUNS || 3);
  console.log(`\nfleet: tenants of one LiteLLMFleet through GitOpsApp.synthFiles() (in-process, median of ${fleetRuns})`);
  const results = [100, 1000].map(n => ({ n, ...timeInProcess(n, 'fleet.ts', fleetRuns) }));
  for (const r of results) {
    console.log(`  ${String(r.n).padStart(4)} tenants: ${r.ms.toFixed(0).padStart(6)} ms total, ${(r.ms / r.n).toFixed(2).padStart(6)} ms per tenant, ${r.files} files`);
  }
  const [at100, at1000] = results.map(r => r.ms / r.n);
  console.log(`  per tenant at 1,000 / at 100: ${(at1000 / at100).toFixed(2)} (target <= 1.5: linear)`);
}
