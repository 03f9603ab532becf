#!/usr/bin/env bash
# The one command that installs what the tests need and runs every test:
#   Swift unit and integration tests (XCTest), then the end-to-end tests (pytest) that drive
#   the built binary against real SQLite files and real SMTP servers on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

scripts/setup.sh

echo "== swift build" >&2
swift build --build-tests 2>&1 | tee /tmp/overdue-build.log | grep -E "warning:|error:" && {
    echo "build produced warnings or errors (see above)" >&2; exit 1; } || true
test "${PIPESTATUS[0]}" = 0

echo "== swift test" >&2
swift test --skip-build 2>&1 | tail -n 40

echo "== end-to-end tests" >&2
python3 -m pytest -q -p no:cacheprovider Tests/cli
