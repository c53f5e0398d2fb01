#!/usr/bin/env bash
# Upgrades the lock (requirements/dev.txt) to the newest releases that pyproject.toml admits,
# every package with the hashes of its published files. Run the whole test suite on the new lock
# before committing it:
#   bash scripts/upgrade-lock.sh && .venv/bin/pip install -r requirements/dev.txt \
#     && .venv/bin/python -m pytest -q
# Pass --no-upgrade to re-lock after editing pyproject.toml while keeping every other pin;
# any other argument goes to pip-compile (e.g. --upgrade-package textual).
set -euo pipefail
cd "$(dirname "$0")/.."

tools=.venv-lock
[ -x "$tools/bin/pip-compile" ] || {
  python3 -m venv "$tools"
  "$tools/bin/pip" install -q 'pip-tools==7.7.0'
}

upgrade=(--upgrade)
if [ "${1:-}" = "--no-upgrade" ]; then upgrade=(); shift; fi

CUSTOM_COMPILE_COMMAND="bash scripts/upgrade-lock.sh" "$tools/bin/pip-compile" \
  --quiet --generate-hashes --strip-extras --all-build-deps \
  --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
  --extra dev "${upgrade[@]}" "$@" \
  --output-file requirements/dev.txt pyproject.toml
