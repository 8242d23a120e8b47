#!/usr/bin/env node
// Writes every ```ts block of README.md into build/readme-snippets/ as a file
// of its own, so that `npm test` type-checks them (tsconfig.test.json includes
// the folder) and test/readme.test.ts runs them: the README's examples are
// code on the current API, never prose that drifts.
//
// A block with `import` lines is a whole program and is written as it is. Any
// other block is a fragment: it is written after a prelude that declares what
// the README's fragments take for granted (see PRELUDE below, and the README's
// "Examples" note): `app`, `chart`, `models`, `masterKey`, `saltKey`, `redis`,
// `common`, `proxy`, and every name the package exports.
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'build', 'readme-snippets');

/** The names lib/index.ts exports (named exports and `export * as` submodules). */
function exportedNames() {
  const index = fs.readFileSync(path.join(root, 'lib', 'index.ts'), 'utf8');
  const names = new Set();
  for (const m of index.matchAll(/export\s*\{([^}]*)\}\s*from/g)) {
    for (const part of m[1].split(',')) {
      const name = part.trim().split(/\s+as\s+/).pop();
      if (name) names.add(name);
    }
  }
  for (const m of index.matchAll(/export\s*\*\s*as\s+(\w+)\s+from/g)) names.add(m[1]);
  return [...names].sort();
}

const PRELUDE = (names) => `/* eslint-disable */
// Generated from README.md by scripts/readme-snippets.js: the prelude every fragment assumes.
import { App, Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { ${names.join(', ')} } from 'cdk8s-litellm';
void Duration; void Size; void kplus;

const app = new App();
const chart = new Chart(app, 'chart', { namespace: 'examples' });
const models: ModelDeployment[] = [
  { name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'llm-provider-keys', key: 'openai' }, rpm: 600, tpm: 200000 },
  { name: 'claude-sonnet', model: 'anthropic/claude-sonnet-4-5', apiKey: { name: 'llm-provider-keys', key: 'anthropic' }, rpm: 300 },
];
const masterKey: SecretKeyRef = { name: 'litellm-master-key', key: 'master-key' };
const saltKey: SecretKeyRef = { name: 'litellm-salt-key', key: 'salt-key' };
const redis: StackRedisOptions = { password: { name: 'litellm-redis', key: 'password' } };
const common = { models, masterKey, saltKey, redis };
const proxy = new LiteLLMProxy(chart, 'litellm', { models, masterKey });
void app; void chart; void common; void proxy;
`;

/** The README's ```ts blocks with the line each starts on. */
function blocks(readme) {
  const found = [];
  const lines = readme.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let j = start;
    while (j < lines.length && !/^```\s*$/.test(lines[j])) j++;
    found.push({ line: start + 1, code: lines.slice(start, j).join('\n') });
    i = j;
  }
  return found;
}

function main() {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const names = exportedNames();
  const written = [];
  for (const [n, b] of blocks(readme).entries()) {
    const program = /^import\s/m.test(b.code);
    const file = `readme-${String(n + 1).padStart(2, '0')}-line-${b.line}.ts`;
    const header = `// README.md line ${b.line} (${program ? 'a whole program' : 'a fragment after the prelude'}).\n`;
    const body = program ? `${header}${b.code}\n` : `${PRELUDE(names)}\n${header}${b.code}\n`;
    // A module of its own either way, so two blocks never share names.
    // A fragment's objects are synthesized at its end (validation runs at synth).
    fs.writeFileSync(path.join(out, file), program ? body : `${body}\napp.synthYaml();\nexport {};\n`);
    written.push(file);
  }
  fs.writeFileSync(path.join(out, 'index.json'), JSON.stringify(written, null, 2) + '\n');
  return written;
}

if (require.main === module) {
  const written = main();
  console.log(`readme-snippets: ${written.length} TypeScript block(s) of README.md in ${path.relative(root, out)}/`);
}
module.exports = { main, out };
