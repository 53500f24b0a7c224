#!/usr/bin/env bash
# Run the service locally with demo data (SQLite by default):
#   scripts/demo.sh [clientela serve args...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[ -x .venv/bin/python ] || python3.11 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e .
.venv/bin/clientela demo   # idempotent: safe to run on every start

# Replies by email: the SMTP listener beside the service, stopped when the service stops.
export CLIENTELA_INBOUND_DOMAIN=${CLIENTELA_INBOUND_DOMAIN:-reply.localhost}
.venv/bin/clientela inbound --port "${CLIENTELA_INBOUND_PORT:-2525}" &
inbound=$!
trap 'kill "$inbound" 2>/dev/null || true' EXIT
.venv/bin/clientela serve "$@"
