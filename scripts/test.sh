#!/usr/bin/env bash
# One command runs the whole test suite, installing what it needs:
#   scripts/test.sh [pytest args...]
# Runs pytest on SQLite, then on a throwaway PostgreSQL (scripts/postgres.sh),
# and fails if either run fails or collects no tests (pytest exit 5).
set -uo pipefail   # no -e: the second run must happen even if the first fails

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

if [ ! -x .venv/bin/python ]; then
    python3.11 -m venv .venv || exit 1
fi
# -q keeps the log short; pip still prints errors.
.venv/bin/pip install -q --disable-pip-version-check -e ".[test]" || exit 1
# The portal's browser test (tests/test_e2e_portal.py) drives Debian's Chromium through
# Playwright; Playwright's own browser download is not used.
if [ ! -x /usr/bin/chromium ]; then
    echo "test.sh: /usr/bin/chromium not found, installing chromium with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends chromium >/dev/null; } \
        || echo "test.sh: could not install chromium; the browser tests will fail" >&2
fi
# The GraphQL over HTTP audit (tests/test_conformance.py) runs on Node.js.
if ! command -v npm >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null || exit 1
fi
npm ci --prefix tests/conformance --no-audit --no-fund --loglevel=error >/dev/null || exit 1
# axe-core, which tests/test_e2e_accessibility.py injects into the portal's pages in Chromium.
npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error >/dev/null || exit 1
# The benchmark's short round (below) drives the service with Debian's wrk.
if ! command -v wrk >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null || exit 1
fi
scripts/postgres.sh start || exit 1
PG_URL=$(scripts/postgres.sh url)

REPORTS=$(mktemp -d)
trap 'rm -rf "$REPORTS"' EXIT

# A hung test should fail the run with a message, not eat the whole CI budget.
LIMIT=${CLIENTELA_TEST_TIMEOUT:-35m}

status=0
run() {  # run <name> <database url, empty = unset> [pytest args...]
    local name=$1 db=(-u CLIENTELA_TEST_DATABASE_URL) rc
    [ -n "$2" ] && db=("CLIENTELA_TEST_DATABASE_URL=$2")
    shift 2
    echo "== tests on $name =="
    env "${db[@]}" timeout --foreground -k 30s "$LIMIT" \
        .venv/bin/python -m pytest --junitxml="$REPORTS/$name.xml" "$@"
    rc=$?
    case $rc in
        0) ;;
        5) echo "!! $name: no tests were collected (pytest exit 5)" ;;
        124) echo "!! $name: timed out after $LIMIT" ;;
        *) echo "!! $name: pytest exited with $rc" ;;
    esac
    [ $rc -eq 0 ] || status=1
}

# Unset CLIENTELA_TEST_DATABASE_URL means a temporary SQLite file (see tests/conftest.py).
run SQLite "" "$@"
run PostgreSQL "$PG_URL" "$@"

# The benchmark still runs: one short round on a small dataset generated anew with the current
# migrations, on each database (its figures mean nothing; bench.run fails on any failed request).
BENCH_FAILED=""
for database in sqlite postgres; do
    echo "== bench.run --quick --database $database =="
    if ! timeout --foreground -k 10s 3m .venv/bin/python -m bench.run --quick --database "$database" >"$REPORTS/bench-$database.log" 2>&1; then
        tail -n 30 "$REPORTS/bench-$database.log"
        BENCH_FAILED="$BENCH_FAILED $database"
        status=1
    fi
done
export BENCH_FAILED

# Each database's own summary, then one total for both runs, from the JUnit reports (errors
# count as failures). A run that died before writing its report counts as one failure, and so
# does a failed benchmark round, so that the last line never reads as green when one is missing.
.venv/bin/python - "$REPORTS" SQLite PostgreSQL <<'EOF'
import os, sys, xml.etree.ElementTree as ET
from pathlib import Path
reports, names = Path(sys.argv[1]), sys.argv[2:]
total_passed = total_failed = 0
for name in names:
    try:
        root = ET.parse(reports / f"{name}.xml").getroot()
    except (OSError, ET.ParseError):
        print(f"{name}: no report (pytest died before writing it)")
        total_failed += 1
        continue
    passed = failed = 0
    for s in root.iter("testsuite"):
        bad = int(s.get("failures", 0)) + int(s.get("errors", 0))
        failed += bad
        passed += int(s.get("tests", 0)) - bad - int(s.get("skipped", 0))
    print(f"{name}: {passed} passed, {failed} failed")
    total_passed, total_failed = total_passed + passed, total_failed + failed
for database in ("sqlite", "postgres"):
    failed = database in os.environ["BENCH_FAILED"].split()
    print(f"bench.run --quick --database {database}: {'FAILED' if failed else 'ran'}")
    total_failed += failed
print(f"{total_passed} passed, {total_failed} failed")
EOF
exit $status
