#!/usr/bin/env bash
# The Python round trip (issue 19), as CI runs it:
#   1. the jsii assembly (npm run build) and the Python wheel (npm run package:python);
#   2. `twine check` on the wheel and the sdist;
#   3. a fresh virtualenv with the wheel and cdk8s, cdk8s-plus-28 and constructs from PyPI,
#      at the versions package-lock.json pins for TypeScript (so both sides run the same cdk8s);
#   4. the example app in Python (examples/python/main.py) must write dist/ byte for byte;
#   5. refused props raise in Python with exactly TypeScript's message (test/roundtrip/);
#   6. every ```python block of the README runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

[ -f .jsii ] && [ -z "$(find lib -newer .jsii -name '*.ts' | head -1)" ] || npm run build
npm run package:python

VENV=.venv-python
rm -rf "$VENV"
python3 -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check -q)
version() { node -p "require('./package-lock.json').packages['node_modules/$1'].version"; }
"${PIP[@]}" --upgrade pip
"${PIP[@]}" dist-packages/python/*.whl "cdk8s==$(version cdk8s)" "cdk8s-plus-28==$(version cdk8s-plus-28)" "constructs==$(version constructs)" "twine==7.0.0"
"$VENV/bin/twine" check --strict dist-packages/python/*
echo "installed: $("$VENV/bin/python" -m pip freeze | grep -E '^(cdk8s|cdk8s-plus-28|cdk8s-litellm|constructs|jsii)==' | tr '\n' ' ')"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
CDK8S_OUTDIR="$out/dist" "$VENV/bin/python" examples/python/main.py
if ! diff -r dist "$out/dist" >"$out/diff" 2>&1; then
  head -40 "$out/diff" >&2
  echo "examples/python/main.py does not write dist/ byte for byte" >&2
  exit 1
fi
echo "examples/python/main.py: $(find "$out/dist" -type f | wc -l) files, byte-identical to dist/"

node --import tsx test/roundtrip/refusals.ts >"$out/refusals.jsonl"
"$VENV/bin/python" test/roundtrip/refusals.py <"$out/refusals.jsonl"

# The README's Python examples are programs: each runs as written, in a folder of its own.
node -e '
  const text = require("fs").readFileSync("README.md", "utf8");
  const blocks = [...text.matchAll(/```python\n([\s\S]*?)```/g)].map(m => m[1]);
  blocks.forEach((b, i) => require("fs").writeFileSync(process.argv[1] + "/readme-" + i + ".py", b));
  console.log(blocks.length);
' "$out" >"$out/count"
for f in "$out"/readme-*.py; do
  [ -e "$f" ] || continue
  (cd "$(mktemp -d -p "$out")" && CDK8S_OUTDIR=dist "$OLDPWD/$VENV/bin/python" "$f" >/dev/null) || { echo "README python block failed: $f" >&2; cat "$f" >&2; exit 1; }
done
echo "README: $(cat "$out/count") python block(s) ran"
echo "python round trip: OK"
