#!/usr/bin/env bash
# Installs what the e2e suite needs: the Debian servers (redis-server, and the
# others the suites start) and a venv with the LiteLLM proxy at the release the
# library pins (or LITELLM_VERSION=x.y.z). Idempotent; quiet on success.
# Never installs litellm 1.82.7 / 1.82.8 (compromised releases).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
PINNED="$(sed -n "s/^export const LITELLM_VERSION = '\([^']*\)';$/\1/p" "$REPO_ROOT/lib/proxy/image.ts")"
LITELLM_VERSION="${LITELLM_VERSION:-$PINNED}"
# prisma (the client library) is in litellm's "extra-proxy" extra, not in "proxy".
# Without it, any auth failure surfaces as HTTP 500 (ModuleNotFoundError in
# litellm/proxy/db/exception_handler.py) instead of 401.
PRISMA_VERSION="${PRISMA_VERSION:-0.15.0}"
# prometheus-client serves /metrics/ (the `prometheus` callback). The image carries it
# (litellm's "proxy-runtime" extra); the "proxy" extra does not.
PROMETHEUS_CLIENT_VERSION="${PROMETHEUS_CLIENT_VERSION:-0.26.0}"
case "$LITELLM_VERSION" in
  1.82.7|1.82.8) echo "refusing to install litellm $LITELLM_VERSION" >&2; exit 1 ;;
esac

E2E_DIR="$REPO_ROOT/.e2e"
VENV="$E2E_DIR/venv-$LITELLM_VERSION"
LOG="$E2E_DIR/install.log"
mkdir -p "$E2E_DIR"
: >"$LOG"

run_quiet() {
  # Run a command; print its output only if it fails.
  if ! "$@" >>"$LOG" 2>&1; then
    echo "e2e-install: command failed: $*" >&2
    tail -n 40 "$LOG" >&2
    exit 1
  fi
}

# --- Debian servers ------------------------------------------------------------
missing=()
# prometheus and promtool (one package): the observability suite evaluates the alerts with them.
for tool in redis-server:redis-server nginx:nginx prometheus:prometheus promtool:prometheus; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool##*:}")
done
# PostgreSQL for the governance suite (its binaries live outside PATH).
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  run_quiet apt-get update
  # Unique: promtool and prometheus come from one package.
  run_quiet apt-get install -y --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u)
fi

# --- LiteLLM ---------------------------------------------------------------------
PY="${PYTHON:-python3}"
[ -x "$VENV/bin/python" ] || run_quiet "$PY" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check -q)

pkg_version() {
  "$VENV/bin/python" -c 'import sys
from importlib.metadata import version
try: print(version(sys.argv[1]))
except Exception: pass' "$1" 2>/dev/null || true
}

if [ "$(pkg_version litellm)" != "$LITELLM_VERSION" ] || [ ! -x "$VENV/bin/litellm" ] || [ ! -f "$VENV/.proxy-extra-installed" ]; then
  run_quiet "${PIP[@]}" --upgrade pip
  # The [proxy] extra pins two companion packages exactly. Some releases pin a
  # .postN re-upload the registry does not carry (1.108.14: litellm-proxy-extras
  # 0.4.110.post1, litellm-enterprise 0.1.79.post3); then the base release is
  # installed and the substitution is recorded in .e2e/companions.txt, which the
  # suite prints. Everything else in the extra is installed as pinned.
  run_quiet "${PIP[@]}" "litellm==$LITELLM_VERSION"
  run_quiet "$VENV/bin/python" - "$VENV" "$E2E_DIR/companions.txt" <<'PYEOF'
import subprocess, sys
from importlib.metadata import requires
from packaging.requirements import Requirement
from packaging.version import Version
venv, record = sys.argv[1], sys.argv[2]
pip = [f"{venv}/bin/python", "-m", "pip", "install", "--disable-pip-version-check", "-q"]
wanted, notes = [], []
for text in requires("litellm") or []:
    req = Requirement(text)
    if not req.marker or not req.marker.evaluate({"extra": "proxy"}) or req.marker.evaluate({"extra": ""}):
        continue
    spec = str(req).split(";")[0].strip()
    pins = [s.version for s in req.specifier if s.operator == "=="]
    if pins and subprocess.run(pip + ["--no-deps", "--dry-run", spec], capture_output=True).returncode != 0:
        # The registry lacks this exact release: take the newest one of the same base release
        # at or below the pin (a .postN is a re-upload of its base release).
        pinned = Version(pins[0])
        listing = subprocess.run([f"{venv}/bin/python", "-m", "pip", "index", "versions", req.name], capture_output=True, text=True).stdout
        available = [Version(v.strip()) for line in listing.splitlines() if line.startswith("Available versions:") for v in line.split(":", 1)[1].split(",")]
        candidates = sorted(v for v in available if v.base_version == pinned.base_version and v <= pinned)
        if not candidates:
            sys.exit(f"e2e-install: {spec} is not on the registry, nor any release of {pinned.base_version}")
        notes.append(f"{req.name} {candidates[-1]} instead of {pinned} (pinned by litellm's proxy extra; not on the registry)")
        spec = f"{req.name}=={candidates[-1]}"
    wanted.append(spec)
subprocess.run(pip + wanted, check=True)
open(record, "w").write("\n".join(notes) + ("\n" if notes else ""))
PYEOF
  run_quiet "${PIP[@]}" "prisma==$PRISMA_VERSION" "prometheus-client==$PROMETHEUS_CLIENT_VERSION"
  touch "$VENV/.proxy-extra-installed"
fi

got="$(pkg_version litellm)"
if [ "$got" != "$LITELLM_VERSION" ]; then
  echo "e2e-install: expected litellm $LITELLM_VERSION, found $got" >&2
  exit 1
fi
# The suite runs this venv.
ln -sfn "venv-$LITELLM_VERSION" "$E2E_DIR/venv"

# --- Prisma without binaries.prisma.sh (governance suite) ---------------------------
# LiteLLM's database client (prisma-client-py) runs Prisma's query-engine binary,
# which downloads from binaries.prisma.sh; this machine cannot reach it. The suite
# uses test/e2e/prisma-shim instead: the WASM build of the same engine commit from
# npm behind the binary's HTTP protocol (see its README). Its packages are kept out
# of the root package.json so `npm ci` / `npm test` stay lean.
SHIM="$REPO_ROOT/test/e2e/prisma-shim"
if [ ! -f "$SHIM/node_modules/.package-lock.json" ] || ! cmp -s <(sed 1,3d "$SHIM/package-lock.json") <(sed 1,3d "$SHIM/node_modules/.package-lock.json" 2>/dev/null); then
  (cd "$SHIM" && run_quiet npm ci --no-audit --no-fund)
fi
# `prisma generate` writes the Python client into the venv (as the LiteLLM image does at
# build time). It needs only the Prisma CLI's JavaScript, which prisma-client-py installs
# from npm into PRISMA_BINARY_CACHE_DIR; the engine lookups go to the shim and a stub.
SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
SCHEMA="$SITE/litellm/proxy/schema.prisma"
STAMP="$(sha256sum "$SCHEMA" | cut -d' ' -f1)"
if [ "$(cat "$VENV/.prisma-generated" 2>/dev/null)" != "$STAMP" ]; then
  GEN="$E2E_DIR/prisma-generate"
  rm -rf "$GEN" && mkdir -p "$GEN" && cp "$SCHEMA" "$GEN/schema.prisma"
  (cd "$GEN" && PATH="$VENV/bin:$PATH" PRISMA_QUERY_ENGINE_BINARY="$SHIM/query-engine.mjs" \
    PRISMA_SCHEMA_ENGINE_BINARY="$SHIM/schema-engine-stub" PRISMA_BINARY_CACHE_DIR="$E2E_DIR/prisma-cache" \
    PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1 run_quiet prisma generate --schema schema.prisma)
  echo "$STAMP" >"$VENV/.prisma-generated"
fi
