#!/usr/bin/env bash
# Run the service locally with demo data (SQLite by default):
#   scripts/demo.sh [clientela serve args...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[ -x .venv/bin/python ] || python3.11 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e .
.venv/bin/clientela demo   # idempotent: safe to run on every start
exec .venv/bin/clientela serve "$@"
