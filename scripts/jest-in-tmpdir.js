#!/usr/bin/env node
// Runs jest with TMPDIR set to a folder of its own, removed afterwards: cdk8s's
// Testing.app() makes a temp folder per app (thousands per run) and never
// removes them, so a run of `npm test` would otherwise fill the temp directory.
// Every jest worker inherits TMPDIR, and os.tmpdir() reads it on every call.
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-litellm-test.'));
let status = 1;
try {
  const run = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, TMPDIR: dir },
  });
  status = run.status ?? 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
