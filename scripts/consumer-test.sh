#!/usr/bin/env bash
# Consumer test (run by .ci/run after `npm ci`): packs the library as npm would
# publish it, installs the tarball into a throwaway cdk8s app
# (test/consumer/), type-checks that app strictly against our .d.ts,
# synthesizes it and checks the manifests. Leaves nothing behind but the
# (gitignored) output of `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$(date +%s)

work=$(mktemp -d "${TMPDIR:-/tmp}/litellm-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "consumer-test: $*" >&2; exit 1; }

# --- 1. pack ------------------------------------------------------------------
# Build once and explicitly (errors show here), then pack without re-running
# prepack, which would only repeat the same tsc build.
node -e 'const s = require("./package.json").scripts || {};
  if (!/\bnpm run build\b/.test(s.prepack || "")) { console.error("package.json: scripts.prepack must run the build, or `npm publish` ships no JS"); process.exit(1); }'
npm run --silent build
npm pack --ignore-scripts --json --pack-destination "$work" --loglevel=error > "$work/pack.json"

# The tarball holds exactly what a consumer needs: compiled lib/ and imports/
# (under the build's outDir), their declarations, package.json and README; no
# sources, tests, dist/, main.js or build output without a source.
node - "$work/pack.json" <<'EOF'
const fs = require('fs');
const path = require('path');
const [info] = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const files = new Set(info.files.map(f => f.path));
const pkg = require(path.resolve('package.json'));
const problems = [];

// Where the build puts lib/ and imports/ (e.g. build/), read from "main".
const m = /^(?:\.\/)?(.*?)lib\/index\.js$/.exec(pkg.main ?? '');
if (!m) {
  console.error(`package.json "main" (${pkg.main}) should be <outDir>/lib/index.js`);
  process.exit(1);
}
const out = m[1];
const esc = out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const allowed = new RegExp(`^(package\\.json|README\\.md|LICENSE|${esc}(lib|imports)/.+\\.(js|d\\.ts))$`);
for (const f of files) if (!allowed.test(f)) problems.push(`unexpected file in the tarball: ${f}`);

// Every source module ships as .js + .d.ts, and nothing compiled ships without a source (stale output).
const sources = [];
const walk = dir => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.posix.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) sources.push(p.slice(0, -3));
  }
};
walk('lib');
walk('imports');
for (const s of sources) {
  for (const ext of ['.js', '.d.ts']) if (!files.has(out + s + ext)) problems.push(`missing from the tarball: ${out}${s}${ext}`);
}
const sourceSet = new Set(sources);
for (const f of files) {
  const c = /^(.+?)(\.d\.ts|\.js)$/.exec(f);
  if (c && f.startsWith(out) && !sourceSet.has(c[1].slice(out.length))) {
    problems.push(`compiled file without a source (stale build output? delete ${out || 'it'} and rebuild): ${f}`);
  }
}

for (const field of ['main', 'types']) {
  const target = path.posix.normalize(pkg[field] ?? '');
  if (!files.has(target)) problems.push(`package.json "${field}" (${pkg[field]}) is not in the tarball`);
}
for (const peer of ['cdk8s', 'cdk8s-plus-28', 'constructs']) {
  if (!pkg.peerDependencies?.[peer]) problems.push(`package.json: "${peer}" must be a peerDependency (one copy shared with the consumer's app)`);
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
EOF
tarball="$work/$(node -p 'require(process.argv[1])[0].filename' "$work/pack.json")"
[ -f "$tarball" ] || fail "npm pack did not write $tarball"

# --- 2. the throwaway app -----------------------------------------------------
app="$work/app"
mkdir -p "$app"
cp test/consumer/main.ts test/consumer/tsconfig.json "$app/"
# Same versions as our lockfile: the consumer test checks the package, not a new upstream release.
node - "$root" "$tarball" "$app/package.json" <<'EOF'
const fs = require('fs');
const path = require('path');
const [root, tarball, out] = process.argv.slice(2);
const lock = require(path.join(root, 'package-lock.json'));
const version = name => {
  const entry = lock.packages?.[`node_modules/${name}`];
  if (!entry?.version) throw new Error(`${name} is not in package-lock.json`);
  return entry.version;
};
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'test/consumer/package.template.json'), 'utf8'));
pkg.dependencies = {
  'cdk8s': version('cdk8s'),
  'cdk8s-plus-28': version('cdk8s-plus-28'),
  'constructs': version('constructs'),
  'cdk8s-litellm': `file:${tarball}`,
};
pkg.devDependencies = { typescript: version('typescript') };
fs.writeFileSync(out, JSON.stringify(pkg, null, 2) + '\n');
EOF

(cd "$app" && npm install --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null) \
  || fail "npm install of the throwaway app failed"

# --- 3. type-check, synthesize, check ----------------------------------------
(cd "$app" && npx --no-install tsc -p tsconfig.json) || fail "the consumer app does not type-check against the packed declarations"
(cd "$app" && node build/main.js) || fail "the consumer app failed to synthesize"

shopt -s nullglob
manifests=("$app"/dist/*.k8s.yaml)
[ "${#manifests[@]}" -gt 0 ] || fail "no manifests in $app/dist"
count() { cat "${manifests[@]}" | grep -c "^kind: $1\$" || true; }
# Three gateways (TeamGateway, the nested stack, the App-level stack), each a
# proxy Deployment, a Redis StatefulSet and an Ingress; two stacks make Namespaces.
for expect in Deployment:3 StatefulSet:3 Ingress:3 Namespace:2 HorizontalPodAutoscaler:2 ServiceMonitor:2 \
              PodDisruptionBudget:3 NetworkPolicy:6 ConfigMap:7 ServiceAccount:7; do
  kind=${expect%%:*} want=${expect##*:} got=$(count "${expect%%:*}")
  [ "$got" -ge "$want" ] || fail "expected at least $want kind: $kind in the consumer's manifests, found $got"
done
[ "$(count Secret)" -eq 0 ] || fail "the consumer's manifests contain a Secret: secrets must be referenced, never emitted"
grep -q "^kind: ConfigMap" "${manifests[@]}" && grep -q "name: team-llm-client" "${manifests[@]}" \
  || fail "the consumer's own object is missing from its chart"

echo "consumer-test: OK: $(basename "$tarball") ($(node -p 'require(process.argv[1])[0].entryCount' "$work/pack.json") files) installed into a cdk8s app; strict tsc and synth passed; ${#manifests[@]} manifest files, $(cat "${manifests[@]}" | grep -c '^kind: ') objects; $(( $(date +%s) - started )) s"
