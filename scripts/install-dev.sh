#!/usr/bin/env bash
# Sets up the development environment in .venv from the lock: every package at the version and
# with the hashes of requirements/dev.txt (the build backend included), then the project itself,
# editable, without resolving anything again. The README's set-up line and CI both run this.
# Usage: bash scripts/install-dev.sh [LOCK]   (LOCK: requirements/dev.txt by default)
set -euo pipefail
cd "$(dirname "$0")/.."
lock=${1:-requirements/dev.txt}

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --require-hashes -r "$lock"
.venv/bin/pip install -q --no-deps --no-build-isolation -e .
# Compiled bytecode up front: an editable install leaves the sources uncompiled, and a run that
# cannot write __pycache__ (read-only checkout, PYTHONDONTWRITEBYTECODE) would compile them every time.
.venv/bin/python -m compileall -q wizard screens >/dev/null
