#!/usr/bin/env bash
# Installs what the e2e suite needs: redis-server (apt) and a venv with the
# LiteLLM proxy pinned to a known-good version. Idempotent; quiet on success.
# Never install litellm 1.82.7 / 1.82.8 (compromised releases).
set -euo pipefail

LITELLM_VERSION="${LITELLM_VERSION:-1.89.4}"
# prisma (client lib only, no DB) is in litellm's "extra-proxy" extra, not in
# "proxy". Without it, any auth failure surfaces as HTTP 500 (ModuleNotFoundError
# in litellm/proxy/db/exception_handler.py) instead of 401.
PRISMA_VERSION="${PRISMA_VERSION:-0.15.0}"
# prometheus-client serves /metrics/ (the `prometheus` callback). The image carries it
# (litellm's "proxy-runtime" extra: prometheus-client>=0.20.0,<1.0); the "proxy" extra does not.
PROMETHEUS_CLIENT_VERSION="${PROMETHEUS_CLIENT_VERSION:-0.26.0}"
case "$LITELLM_VERSION" in
  1.82.7|1.82.8) echo "refusing to install litellm $LITELLM_VERSION" >&2; exit 1 ;;
esac

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
E2E_DIR="$REPO_ROOT/.e2e"
VENV="$E2E_DIR/venv"
LOG="$E2E_DIR/install.log"
mkdir -p "$E2E_DIR"

run_quiet() {
  # Run a command; print its output only if it fails.
  if ! "$@" >>"$LOG" 2>&1; then
    echo "e2e-install: command failed: $*" >&2
    tail -n 40 "$LOG" >&2
    exit 1
  fi
}

: >"$LOG"

if ! command -v redis-server >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  run_quiet apt-get update
  run_quiet apt-get install -y --no-install-recommends redis-server
fi

PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  run_quiet "$PY" -m venv "$VENV"
fi

pkg_version() {
  "$VENV/bin/python" - "$1" <<'PYEOF' 2>/dev/null || true
import sys
try:
    from importlib.metadata import version
    print(version(sys.argv[1]))
except Exception:
    pass
PYEOF
}

if [ "$(pkg_version litellm)" != "$LITELLM_VERSION" ] || [ ! -x "$VENV/bin/litellm" ]; then
  run_quiet "$VENV/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip
  run_quiet "$VENV/bin/python" -m pip install --disable-pip-version-check -q "litellm[proxy]==$LITELLM_VERSION"
fi
if [ "$(pkg_version prisma)" != "$PRISMA_VERSION" ]; then
  run_quiet "$VENV/bin/python" -m pip install --disable-pip-version-check -q "prisma==$PRISMA_VERSION"
fi

if [ "$(pkg_version prometheus-client)" != "$PROMETHEUS_CLIENT_VERSION" ]; then
  run_quiet "$VENV/bin/python" -m pip install --disable-pip-version-check -q "prometheus-client==$PROMETHEUS_CLIENT_VERSION"
fi

# Sanity check: the pinned version is what ended up installed.
got="$(pkg_version litellm)"
if [ "$got" != "$LITELLM_VERSION" ]; then
  echo "e2e-install: expected litellm $LITELLM_VERSION, found $got" >&2
  exit 1
fi
