#!/usr/bin/env bash
# Daemon benchmarks: idle cost of `overdue run`, and one tick sending 2,000 reminders compared
# with Postfix's smtp-source sending the same number of same-sized messages to the same sink.
#
#   Benchmarks/daemon_bench.sh            # uses .build/release/overdue (else .build/debug/overdue)
#   OVERDUE_BIN=path IDLE_SECONDS=20 COUNT=2000 Benchmarks/daemon_bench.sh
#
# Needs: smtp-sink and smtp-source (Debian package postfix), run as root (smtp-sink -u nobody).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${OVERDUE_BIN:-$root/.build/release/overdue}
[ -x "$bin" ] || bin=$root/.build/debug/overdue
idle=${IDLE_SECONDS:-20}
count=${COUNT:-2000}
work=$(mktemp -d /tmp/overdue-bench.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/templates"
for stage in reminder-7 reminder-30; do
    cat > "$work/templates/$stage.txt" <<'T'
Dear {{client.name}},

our invoice {{invoice.number}} of {{invoice.issue_date}} over {{invoice.amount}} {{invoice.currency}}
was due on {{invoice.due_date}}, {{days_overdue}} days ago. {{invoice.amount_due}} {{invoice.currency}}
is still open. Please pay it at your earliest convenience.

{{business.name}}
T
done
write_config() {   # $1 interval
    cat > "$work/overdue.toml" <<C
[daemon]
interval = "$1"
timezone = "Europe/Berlin"
database = "$work/ledger.sqlite"
[business]
name = "Bench Design"
from = "Bench Design <billing@bench.example>"
owner = "owner@bench.example"
[smtp]
url = "smtp://127.0.0.1:$port"
starttls = "none"
timeout = "30s"
[delivery]
retry = ["5m"]
give_up_after = "1d"
min_days_between = 3
[[stage]]
name = "reminder-7"
days = 7
template = "reminder-7"
subject = "Invoice {{invoice.number}} is {{days_overdue}} days overdue"
[[stage]]
name = "reminder-30"
days = 30
template = "reminder-30"
subject = "Invoice {{invoice.number}} is {{days_overdue}} days overdue"
C
}
write_config 1h
due=$(date -d '10 days ago' +%F)
{
    echo "number,client_id,client_name,client_email,issue_date,due_date,amount,currency"
    for i in $(seq 1 "$count"); do
        echo "B-$i,c$((i % 200)),Client $((i % 200)),ap$((i % 200))@client.example,2025-01-01,$due,1200.00,EUR"
    done
} > "$work/ledger.csv"
"$bin" import "$work/ledger.csv" --config "$work/overdue.toml" > /dev/null

smtp-sink -u nobody -c "127.0.0.1:$port" 1000 > "$work/sink.log" 2>&1 &
pids+=($!)
sleep 0.5

echo "== one tick sending $count reminders ($bin)"
start=$(date +%s.%N)
"$bin" tick --config "$work/overdue.toml" --log-level warning
end=$(date +%s.%N)
tick_seconds=$(echo "$end - $start" | bc -l)
sent=$("$bin" status --config "$work/overdue.toml" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["last_tick_summary"])')
echo "tick: ${tick_seconds}s  ($sent)"

# The same number of messages of the same size, one session at a time, as smtp-source sends them.
size=$(python3 - "$bin" "$work" <<'P'
import subprocess, sys
bin, work = sys.argv[1], sys.argv[2]
out = subprocess.run([bin, "preview", "B-1", "--config", f"{work}/overdue.toml"], capture_output=True).stdout
print(len(out) if out else 700)
P
)
start=$(date +%s.%N)
smtp-source -s 1 -m "$count" -l "$size" -f billing@bench.example -t ap1@client.example "127.0.0.1:$port"
end=$(date +%s.%N)
source_seconds=$(echo "$end - $start" | bc -l)
printf 'smtp-source -s 1 -m %s -l %s: %.3fs\n' "$count" "$size" "$source_seconds"
printf 'ratio overdue/smtp-source: %.2f (target <= 2)\n' "$(echo "$tick_seconds / $source_seconds" | bc -l)"

# Diagnostic: the same tick with fsync made a no-op (LD_PRELOAD), on a fresh copy of the
# ledger, to show how much of the tick is the durable commits (two FULL-synchronous commits per
# message: `sending` before the first byte, the outcome after the reply).
if command -v cc > /dev/null; then
    printf 'int fsync(int fd){(void)fd;return 0;}\nint fdatasync(int fd){(void)fd;return 0;}\n' > "$work/nofsync.c"
    cc -shared -fPIC -o "$work/nofsync.so" "$work/nofsync.c"
    rm -f "$work/ledger.sqlite" "$work/ledger.sqlite-wal" "$work/ledger.sqlite-shm"
    "$bin" import "$work/ledger.csv" --config "$work/overdue.toml" > /dev/null
    start=$(date +%s.%N)
    LD_PRELOAD="$work/nofsync.so" "$bin" tick --config "$work/overdue.toml" --log-level warning > /dev/null
    end=$(date +%s.%N)
    printf 'tick without fsync (diagnostic only): %.3fs, ratio %.2f\n' "$(echo "$end - $start" | bc -l)" \
        "$(echo "($end - $start) / $source_seconds" | bc -l)"
fi

echo "== idle daemon, interval 1h, ${idle}s"
"$bin" run --config "$work/overdue.toml" --log-level warning 2> "$work/daemon.log" &
daemon=$!
pids+=($daemon)
sleep 2   # the start-up tick (nothing left to send) and settling
ticks() { awk '{print $14 + $15}' "/proc/$daemon/stat"; }
# Context switches per thread id, so a thread that comes or goes is not miscounted.
switches() { for t in /proc/$daemon/task/*; do echo "$(basename "$t") $(awk '/ctxt_switches/ {s += $2} END {print s}' "$t/status")"; done; }
cpu0=$(ticks); sw0=$(switches)
sleep "$idle"
cpu1=$(ticks); sw1=$(switches)
hz=$(getconf CLK_TCK)
# RssFile is mostly shared library pages (Swift runtime, Foundation, ICU, libcurl) that other
# processes share; RssAnon and Private_* are this process's own memory.
grep -E '^(VmRSS|VmHWM|RssAnon|RssFile)' "/proc/$daemon/status"
grep -E '^(Pss|Private_Clean|Private_Dirty):' "/proc/$daemon/smaps_rollup" || true
echo "threads: $(ls /proc/$daemon/task | wc -l)"
printf 'CPU over %ss idle: %s ticks of 1/%s s (%.3f s)\n' "$idle" "$((cpu1 - cpu0))" "$hz" "$(echo "($cpu1 - $cpu0) / $hz" | bc -l)"
echo "context switches over ${idle}s idle (all threads): $(python3 -c '
import sys
a = dict(l.split() for l in sys.argv[1].splitlines()); b = dict(l.split() for l in sys.argv[2].splitlines())
print(sum(int(b[t]) - int(a.get(t, 0)) for t in b))' "$sw0" "$sw1")"
if command -v strace > /dev/null; then
    timeout "$idle" strace -c -f -p "$daemon" -o "$work/strace.txt" 2>/dev/null || true
    echo "syscalls over ${idle}s idle (strace -c -f):"
    if grep -q 'total' "$work/strace.txt"; then sed -n '1,12p' "$work/strace.txt"; else echo "  none (no system call at all)"; fi
fi
kill -TERM "$daemon"; wait "$daemon" || true
