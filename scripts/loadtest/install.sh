#!/usr/bin/env bash
# The load test's environment: the e2e suite's (scripts/e2e-install.sh: redis-server,
# nginx, Prometheus, a venv with the pinned LiteLLM) plus a venv of its own,
# .e2e/loadtest-venv-<version>: the e2e venv's exact packages (pip freeze), and
#   - hypercorn, the one server `litellm --run_hypercorn` needs that the proxy
#     extra does not carry (gunicorn, granian and uvloop are in it);
#   - the OpenTelemetry packages of LiteLLM's `proxy-runtime` extra, which the
#     image carries: without them every request's auth retries a failing import
#     (user_api_key_auth.py _seed_request_destinations), ~5 % of a request's CPU
#     that a real pod does not spend.
# The e2e venv itself is left as it is. Idempotent; quiet on success.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
HYPERCORN_VERSION="${HYPERCORN_VERSION:-0.18.0}"

bash "$REPO_ROOT/scripts/e2e-install.sh"

E2E_VENV="$(readlink -f "$REPO_ROOT/.e2e/venv")"
VERSION="$("$E2E_VENV/bin/python" -c 'from importlib.metadata import version; print(version("litellm"))')"
VENV="$REPO_ROOT/.e2e/loadtest-venv-$VERSION"
LOG="$REPO_ROOT/.e2e/loadtest-install.log"
STAMP="$VENV/.loadtest-installed"
: >"$LOG"

for tool in taskset nginx redis-server prometheus; do
  command -v "$tool" >/dev/null 2>&1 || { echo "loadtest-install: $tool is missing" >&2; exit 1; }
done

# What the venv must hold: the e2e venv's packages, then the extras.
WANT="$("$E2E_VENV/bin/python" -m pip freeze --disable-pip-version-check 2>/dev/null | sort; echo "hypercorn==$HYPERCORN_VERSION")"
OTEL="$("$E2E_VENV/bin/python" - <<'PYEOF'
from importlib.metadata import requires
from packaging.requirements import Requirement
for text in requires("litellm") or []:
    req = Requirement(text)
    if req.marker and req.marker.evaluate({"extra": "proxy-runtime"}) and not req.marker.evaluate({"extra": ""}) and req.name.startswith("opentelemetry"):
        print(str(req).split(";")[0].strip())
PYEOF
)"
KEY="$(printf '%s\n%s\n' "$WANT" "$OTEL" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$KEY" ]; then
  rm -rf "$VENV"
  "$E2E_VENV/bin/python" -m venv "$VENV" >>"$LOG" 2>&1
  # --no-deps: exactly the e2e venv's set (the freeze is complete), then the extras with their dependencies.
  printf '%s\n' "$WANT" | grep -v '^hypercorn==' >"$VENV/e2e-freeze.txt"
  if ! { "$VENV/bin/python" -m pip install --disable-pip-version-check -q --no-deps -r "$VENV/e2e-freeze.txt" \
      && "$VENV/bin/python" -m pip install --disable-pip-version-check -q "hypercorn==$HYPERCORN_VERSION" $OTEL \
      && "$VENV/bin/python" -m pip check; } >>"$LOG" 2>&1; then
    echo "loadtest-install: failed, see $LOG" >&2
    tail -n 30 "$LOG" >&2
    exit 1
  fi
  echo "$KEY" >"$STAMP"
fi
ln -sfn "loadtest-venv-$VERSION" "$REPO_ROOT/.e2e/loadtest-venv"
