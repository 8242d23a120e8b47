#!/usr/bin/env bash
# Checks the Python programs the Jobs run (lib/access/reconcile.py, lib/governance/wait_for_postgres.py):
# ruff (lint), mypy --strict (types), pytest (unit tests, hypothesis properties, the planner against
# answers recorded from the real proxy). Needs only python3 (3.11 or newer) and pip: the pinned tools of
# requirements-dev.txt go into .venv-dev/ (git-ignored), reinstalled when that file changes.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-dev
py=${PYTHON:-python3}
stamp="$venv/.installed-$(sha256sum requirements-dev.txt | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -r requirements-dev.txt
  touch "$stamp"
fi
# Every cache in the one ignored folder.
export HYPOTHESIS_STORAGE_DIRECTORY="$venv/hypothesis"
started=$(date +%s)
"$venv/bin/ruff" check
"$venv/bin/mypy"
"$venv/bin/pytest" -p no:cacheprovider
echo "python-check: ruff, mypy and pytest passed in $(( $(date +%s) - started )) s ($("$venv/bin/python" --version))"
