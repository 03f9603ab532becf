#!/usr/bin/env bash
# SMTP throughput: overdue's libcurl transport against Postfix's smtp-source, in one run, each
# sending COUNT messages of the same size to one smtp-sink on 127.0.0.1 over one session at a time.
#
#   Benchmarks/smtp_bench.sh [COUNT] [SIZE]       (defaults: 2000 messages, 2000-byte bodies)
#
# overdue: the hidden `send-test --bench-count COUNT --bench-size SIZE`, which builds COUNT full
# RFC 5322 messages (headers, quoted-printable body) and sends them over one connection.
# smtp-source: `-s 1 -m COUNT -l SIZE`, once as specified (a new connection per message) and once
# with `-d` (one connection for all, like overdue). Target: overdue within 2x of smtp-source.
# Needs: postfix (smtp-sink, smtp-source), a built .build/release/overdue or .build/debug/overdue.
set -euo pipefail

count=${1:-2000}
size=${2:-2000}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${OVERDUE_BIN:-}
if [ -z "$bin" ]; then
    if [ -x "$root/.build/release/overdue" ]; then bin="$root/.build/release/overdue"; else bin="$root/.build/debug/overdue"; fi
fi
[ -x "$bin" ] || { echo "smtp_bench: build overdue first (swift build -c release)" >&2; exit 69; }

work=$(mktemp -d)
sink_pid=
cleanup() {
    [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
user_flag=(); [ "$(id -u)" = 0 ] && user_flag=(-u nobody)
/usr/sbin/smtp-sink "${user_flag[@]}" "127.0.0.1:$port" 256 &
sink_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done

mkdir -p "$work/templates"
cat >"$work/overdue.toml" <<EOF
[daemon]
database = "$work/overdue.sqlite"
timezone = "UTC"

[business]
name = "Bench"
from = "Bench <billing@bench.example>"
owner = "owner@bench.example"

[smtp]
url = "smtp://127.0.0.1:$port"
starttls = "none"
timeout = "30s"

[[stage]]
name = "hand-off"
days = 90
action = "escalate"
EOF

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.3f}')"; }

t0=$(now)
"$bin" send-test --config "$work/overdue.toml" --to bench@sink.example --bench-count "$count" --bench-size "$size" >"$work/overdue.out"
t1=$(now)
/usr/sbin/smtp-source -s 1 -m "$count" -l "$size" -f billing@bench.example -t bench@sink.example "127.0.0.1:$port"
t2=$(now)
/usr/sbin/smtp-source -s 1 -d -m "$count" -l "$size" -f billing@bench.example -t bench@sink.example "127.0.0.1:$port"
t3=$(now)

overdue=$(elapsed "$t0" "$t1")
source_each=$(elapsed "$t1" "$t2")
source_reuse=$(elapsed "$t2" "$t3")
echo "messages: $count, body size: $size bytes, one session at a time, smtp-sink on 127.0.0.1:$port"
echo "overdue send-test (one connection, whole process): ${overdue}s  [$(tail -1 "$work/overdue.out")]"
echo "smtp-source -s 1 (a connection per message):      ${source_each}s"
echo "smtp-source -s 1 -d (one connection):             ${source_reuse}s"
python3 - "$overdue" "$source_each" "$source_reuse" <<'EOF'
import sys
o, each, reuse = map(float, sys.argv[1:])
print(f"ratio overdue / smtp-source:    {o / each:.2f}x (target <= 2x)")
print(f"ratio overdue / smtp-source -d: {o / reuse:.2f}x")
EOF
