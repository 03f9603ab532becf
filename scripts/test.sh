#!/usr/bin/env bash
# The one command that installs what the tests need and runs every test:
#   Swift unit and integration tests (XCTest), then the end-to-end tests (pytest) that drive
#   the built binary against real SQLite files, real SMTP servers on 127.0.0.1, a real Dovecot
#   and a real PostgreSQL 15. Both run under Tests/cli/pg_server.py, which starts a throwaway
#   PostgreSQL (unprivileged, in a temporary folder, on a free loopback port) and sets
#   OVERDUE_TEST_POSTGRES_URL, so the PostgreSQL store's tests run too.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

scripts/setup.sh

echo "== swift build" >&2
log="$(mktemp)"
if ! swift build --build-tests >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
fi
# No warnings in our own code (dependencies' warnings are theirs).
if grep -E "^$PWD/(Sources|Tests)/.*(warning|error):" "$log"; then
    echo "the build has warnings in overdue's own code" >&2
    exit 1
fi

echo "== swift test" >&2
python3 Tests/cli/pg_server.py swift test --skip-build 2>&1 | tail -n 40

echo "== end-to-end tests" >&2
python3 Tests/cli/pg_server.py python3 -m pytest -q -p no:cacheprovider Tests/cli
