#!/usr/bin/env bash
# Consumer test (run by .ci/run): installs the library the two ways a platform
# team does before it is published, each into a throwaway cdk8s app set up as
# the README's "Use it in your cdk8s app" says (test/consumer/), with npm 10 and
# with npm 11 (the npm of Node 20 and 22, and of Node 24):
#   1. from the release tarball `npm run pack` writes (no install scripts);
#   2. from a git URL of this repository at its HEAD commit
#      (`npm install git+file://…#<sha>`: npm clones it and runs `prepare`,
#      which builds build/), exactly like `github:org/repo#tag`, with the
#      `allowScripts` entry the README gives (npm 11 lists unapproved scripts).
# Each install must print no npm warning about install scripts; each app
# type-checks strictly against our .d.ts with the README's tsconfig.json and runs
# `cdk8s synth --no-check-upgrade` with the README's app command
# (`node --import tsx main.ts`), and the manifests are checked. Leaves nothing
# behind but the (gitignored) build/ and dist-packages/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$(date +%s)

work=$(mktemp -d "${TMPDIR:-/tmp}/litellm-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "consumer-test: $*" >&2; exit 1; }
NPM10=(npx --yes -p npm@10 npm)
NPM11=(npm)
[ "$("${NPM11[@]}" --version | cut -d. -f1)" = 11 ] || NPM11=(npx --yes -p npm@11 npm)

# --- 1. pack ------------------------------------------------------------------
node -e 'const s = require("./package.json").scripts || {};
  if (!/\bnpm run build\b/.test(s.prepare || "")) { console.error("package.json: scripts.prepare must run the build, or a git install and `npm publish` ship no JS"); process.exit(1); }'
npm run --silent build
npm pack --dry-run --ignore-scripts --json --loglevel=error > "$work/pack.json"

# The tarball holds exactly what a consumer needs: compiled lib/ and imports/
# (under the build's outDir), their declarations, the Python programs the Jobs
# run (lib/**/*.py, read at synth), package.json, README, LICENSE and
# CHANGELOG; no TypeScript sources, tests, dist/, main.js or stale output.
node - "$work/pack.json" <<'JS'
const fs = require('fs');
const path = require('path');
const [info] = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const files = new Set(info.files.map(f => f.path));
const pkg = require(path.resolve('package.json'));
const problems = [];

const m = /^(?:\.\/)?(.*?)lib\/index\.js$/.exec(pkg.main ?? '');
if (!m) {
  console.error(`package.json "main" (${pkg.main}) should be <outDir>/lib/index.js`);
  process.exit(1);
}
const out = m[1];
const esc = out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const allowed = new RegExp(`^(package\\.json|README\\.md|LICENSE|CHANGELOG\\.md|\\.jsii|${esc}(lib|imports)/.+\\.(js|d\\.ts)|lib/.+\\.py)$`);
for (const f of files) if (!allowed.test(f)) problems.push(`unexpected file in the tarball: ${f}`);
for (const f of ['LICENSE', 'README.md', 'CHANGELOG.md', '.jsii']) if (!files.has(f)) problems.push(`missing from the tarball: ${f}`);

const sources = [];
const walk = dir => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.posix.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) sources.push(p.slice(0, -3));
    else if (e.name.endsWith('.py') && !files.has(p)) problems.push(`missing from the tarball: ${p} (lib/assets.ts reads it at synth)`);
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
if (Object.keys(pkg.dependencies ?? {}).length > 0) problems.push('package.json: the library has no runtime dependencies beyond its peers');
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
JS
rm -rf dist-packages/npm
node scripts/pack.js
tarball=$(ls "$root"/dist-packages/npm/cdk8s-litellm-*.tgz)
[ -f "$tarball" ] || fail "npm run pack did not write a tarball"
entries=$(tar tzf "$tarball" | wc -l)
[ "$entries" -eq "$(node -p 'require(process.argv[1])[0].entryCount' "$work/pack.json")" ] || fail "the release tarball ($entries files) differs from what npm pack selects"
tar xzOf "$tarball" package/package.json | node -e 'const p = JSON.parse(require("fs").readFileSync(0, "utf8"));
  if (p.scripts || p.devDependencies) { console.error("the release tarball'"'"'s package.json has scripts or devDependencies"); process.exit(1); }'
cp "$tarball" "$work/"
tarball="$work/$(basename "$tarball")"

# --- 2. a consumer app per install source ---------------------------------------
# Same versions as our lockfile: the test checks the package, not a new upstream release.
consumer_app() { # <dir> <dependency spec for cdk8s-litellm> <allowScripts key or ""> <npm command...>
  local app=$1 spec=$2 allow=$3
  shift 3
  mkdir -p "$app"
  cp test/consumer/main.ts test/consumer/tsconfig.json test/consumer/cdk8s.yaml "$app/"
  node - "$root" "$spec" "$app/package.json" "$allow" <<'JS'
const fs = require('fs');
const path = require('path');
const [root, spec, out, allow] = process.argv.slice(2);
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
  'cdk8s-litellm': spec,
};
pkg.devDependencies = { 'cdk8s-cli': version('cdk8s-cli'), 'tsx': version('tsx'), 'typescript': version('typescript') };
if (allow) pkg.allowScripts = { ...pkg.allowScripts, [allow]: true };
fs.writeFileSync(out, JSON.stringify(pkg, null, 2) + '\n');
JS
  local npm_version
  npm_version=$(cd "$app" && "$@" --version)
  (cd "$app" && "$@" install --no-audit --no-fund --prefer-offline --loglevel=warn > "$app/install.log" 2>&1) \
    || { cat "$app/install.log" >&2; fail "npm $npm_version install of $spec failed"; }
  ! grep -qi "install-scripts\|install script" "$app/install.log" || { cat "$app/install.log" >&2; fail "npm $npm_version warned about install scripts installing $spec (see the README's Install)"; }
  [ -f "$app/node_modules/cdk8s-litellm/build/lib/index.js" ] || fail "$spec installed without build/lib/index.js"
  (cd "$app" && npx --no-install tsc --noEmit -p tsconfig.json) || fail "the consumer app ($spec) does not type-check against the declarations"
  (cd "$app" && npx --no-install cdk8s synth --no-check-upgrade > "$app/synth.log" 2>&1) \
    || { cat "$app/synth.log" >&2; fail "cdk8s synth of the consumer app ($spec) failed"; }
  check_manifests "$app" "$spec (npm $npm_version)"
}

check_manifests() { # <app dir> <label>
  shopt -s nullglob
  local manifests=("$1"/dist/*/*.k8s.yaml)
  [ "${#manifests[@]}" -gt 0 ] || fail "no manifests in $1/dist"
  count() { cat "${manifests[@]}" | grep -c "^kind: $1\$" || true; }
  # The GitOps layout: a folder per stack named by its namespace (the nested stack too), one per
  # consumer chart with objects of its own, the Applications and the root Application that applies
  # them; no index prefix, no hash, no empty folder.
  local folders
  folders=$(cd "$1/dist" && ls -d -- */ | tr -d / | sort | tr '\n' ' ')
  [ "$folders" = "argocd-applications argocd-bootstrap llm-alpha llm-beta platform platform-llm shared-llm team-gateway " ] \
    || fail "$2: unexpected folders in dist/: $folders"
  for d in "$1"/dist/*/; do [ -n "$(ls -A "$d")" ] || fail "$2: empty folder $d"; done
  # Five gateways (TeamGateway, the nested stack, the App-level stack, two tenants), each a proxy
  # Deployment; three in-cluster Redis and Ingresses; four stacks make Namespaces; a route per
  # tenant on the Gateway, a migration Job per tenant database, an Application and an AppProject per folder
  # with a namespace, and the root Application.
  for expect in Deployment:5 StatefulSet:3 Ingress:3 HTTPRoute:2 Job:2 Namespace:4 HorizontalPodAutoscaler:4 ServiceMonitor:4 \
                PodDisruptionBudget:5 NetworkPolicy:10 ConfigMap:9 ServiceAccount:11 Application:7 AppProject:6; do
    local kind=${expect%%:*} want=${expect##*:} got
    got=$(count "$kind")
    [ "$got" -ge "$want" ] || fail "$2: expected at least $want kind: $kind in the consumer's manifests, found $got"
  done
  [ "$(count Secret)" -eq 0 ] || fail "$2: the consumer's manifests contain a Secret: secrets must be referenced, never emitted"
  grep -q "name: team-llm-client" "${manifests[@]}" || fail "$2: the consumer's own object is missing from its chart"
  echo "consumer-test: $2: strict tsc and cdk8s synth passed; ${#manifests[@]} manifest files, $(cat "${manifests[@]}" | grep -c '^kind: ') objects"
}

consumer_app "$work/tarball-npm11" "file:$tarball" "" "${NPM11[@]}"
consumer_app "$work/tarball-npm10" "file:$tarball" "" "${NPM10[@]}"

# A git URL needs a commit: the repository's HEAD (CI runs on a clean clone, so HEAD is what is tested).
git -C "$root" rev-parse --verify -q HEAD >/dev/null || fail "$root has no commit to install from"
sha=$(git -C "$root" rev-parse HEAD)
[ -z "$(git -C "$root" status --porcelain -- lib imports package.json tsconfig.json tsconfig.build.json)" ] \
  || echo "consumer-test: note: uncommitted changes in lib/ are not in the git install (it builds commit ${sha:0:12})"
# The allowScripts key is the repository URL without the ref: npm 11 matches a git source by its
# URL and a commit prefix, never by the package name or a tag.
consumer_app "$work/git-npm11" "git+file://$root#$sha" "git+file://$root" "${NPM11[@]}"
consumer_app "$work/git-npm10" "git+file://$root#$sha" "git+file://$root" "${NPM10[@]}"

echo "consumer-test: OK: $(basename "$tarball") ($entries files) and git+file://…#${sha:0:12}, each with npm $("${NPM10[@]}" --version) and $("${NPM11[@]}" --version), installed into a cdk8s app; $(( $(date +%s) - started )) s"
