#!/usr/bin/env bash
# Daemon benchmarks: one tick sending COUNT reminders compared with Postfix's smtp-source sending
# the same number of same-sized messages to the same smtp-sink, and the idle cost of `overdue run`
# (RSS, CPU, wake-ups between ticks). With OVERDUE_BIN_BEFORE, an older build is measured in the
# same run, side by side, its tick runs interleaved with the new build's and smtp-source's so
# both see the same machine.
#
#   Benchmarks/daemon_bench.sh            # uses .build-release/release/overdue, else .build/release, else debug
#   OVERDUE_BIN=path OVERDUE_BIN_BEFORE=old-binary RUNS=5 IDLE_SECONDS=20 COUNT=2000 Benchmarks/daemon_bench.sh
#
# Every tick starts from a copy of the same freshly imported ledger; figures are the median of
# RUNS (min and max alongside). Two diagnostics show what the durable commits cost: the tick with
# fsync made a no-op, and with every flush taking FLUSH_MS (default 3) as on a slow disk or VM.
# Needs: smtp-sink and smtp-source (Debian package postfix), run as
# root (smtp-sink -u nobody); cc for the no-fsync diagnostic; strace (optional) for idle syscalls.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${OVERDUE_BIN:-}
for candidate in "$root/.build-release/release/overdue" "$root/.build/release/overdue" "$root/.build/debug/overdue"; do
    [ -n "$bin" ] && break
    [ -x "$candidate" ] && bin=$candidate
done
before=${OVERDUE_BIN_BEFORE:-}
idle=${IDLE_SECONDS:-20}
count=${COUNT:-2000}
runs=${RUNS:-5}
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
cat > "$work/overdue.toml" <<C
[daemon]
interval = "1h"
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
due=$(date -d '10 days ago' +%F)
{
    echo "number,client_id,client_name,client_email,issue_date,due_date,amount,currency"
    for i in $(seq 1 "$count"); do
        echo "B-$i,c$((i % 200)),Client $((i % 200)),ap$((i % 200))@client.example,2025-01-01,$due,1200.00,EUR"
    done
} > "$work/ledger.csv"
"$bin" import "$work/ledger.csv" --config "$work/overdue.toml" > /dev/null
cp "$work/ledger.sqlite" "$work/pristine.sqlite"
fresh_ledger() { rm -f "$work"/ledger.sqlite*; cp "$work/pristine.sqlite" "$work/ledger.sqlite"; }

smtp-sink -u nobody -c "127.0.0.1:$port" 1000 > "$work/sink.log" 2>&1 &
pids+=($!)
sleep 0.5

size=$(python3 - "$bin" "$work" <<'P'
import subprocess, sys
bin, work = sys.argv[1], sys.argv[2]
out = subprocess.run([bin, "preview", "B-1", "--config", f"{work}/overdue.toml"], capture_output=True).stdout
print(len(out) if out else 700)
P
)
elapsed() { local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
# One tick from a fresh ledger; prints its seconds and fails unless all COUNT were sent.
tick() {   # $1 binary, then an optional prefix (env LD_PRELOAD=...)
    local b=$1 seconds summary; shift
    fresh_ledger
    # Peak resident memory of the tick's process (kB), as /usr/bin/time -v reports it.
    seconds=$(elapsed "$@" /usr/bin/time -f %M -o "$work/lastpeak" "$b" tick --config "$work/overdue.toml" --log-level warning)
    summary=$("$b" status --config "$work/overdue.toml" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["last_tick_summary"])')
    case "$summary" in *"sent $count,"*) ;; *) echo "tick did not send $count: $summary" >&2; exit 1 ;; esac
    echo "$seconds"
}
source_run() { elapsed smtp-source "$@" -m "$count" -l "$size" -f billing@bench.example -t ap1@client.example "127.0.0.1:$port"; }
# "median min max" of the numbers on stdin.
stats() { sort -n | awk '{v[NR]=$1} END {printf "%.3f %.3f %.3f\n", v[int((NR+1)/2)], v[1], v[NR]}'; }

printf 'int fsync(int fd){(void)fd;return 0;}\nint fdatasync(int fd){(void)fd;return 0;}\n' > "$work/nofsync.c"
cc -shared -fPIC -o "$work/nofsync.so" "$work/nofsync.c"
# A disk (or VM) whose flush takes FLUSH_MS: the flush is replaced by a sleep of that long.
flush_ms=${FLUSH_MS:-3}
printf '#include <unistd.h>\nint fsync(int fd){(void)fd;usleep(%d);return 0;}\nint fdatasync(int fd){(void)fd;usleep(%d);return 0;}\n' \
    "$((flush_ms * 1000))" "$((flush_ms * 1000))" > "$work/slowfsync.c"
cc -shared -fPIC -o "$work/slowfsync.so" "$work/slowfsync.c"

labels=(after); bins=("$bin")
[ -n "$before" ] && labels=(before after) && bins=("$before" "$bin")
echo "== one tick sending $count reminders of $size bytes to smtp-sink, $runs runs each (median [min-max] seconds)"
for label in "${labels[@]}"; do : > "$work/peak-$label"; : > "$work/tick-$label"; : > "$work/nofsync-$label"; : > "$work/slowfsync-$label"; done
: > "$work/source"; : > "$work/source-d"
for run in $(seq 1 "$runs"); do
    for index in "${!labels[@]}"; do
        tick "${bins[$index]}" >> "$work/tick-${labels[$index]}"
        cat "$work/lastpeak" >> "$work/peak-${labels[$index]}"
        # Diagnostic: fsync made a no-op (LD_PRELOAD): what the durable commits cost.
        tick "${bins[$index]}" env LD_PRELOAD="$work/nofsync.so" >> "$work/nofsync-${labels[$index]}"
        tick "${bins[$index]}" env LD_PRELOAD="$work/slowfsync.so" >> "$work/slowfsync-${labels[$index]}"
    done
    source_run -s 1 >> "$work/source"          # a new connection per message
    source_run -s 1 -d >> "$work/source-d"     # one connection for all, as overdue does
done
read -r source_median source_min source_max < <(stats < "$work/source")
read -r sourced_median sourced_min sourced_max < <(stats < "$work/source-d")
printf '%-44s %s [%s-%s]\n' "smtp-source -s 1 -m $count -l $size" "$source_median" "$source_min" "$source_max"
printf '%-44s %s [%s-%s]\n' "smtp-source -s 1 -d (one connection)" "$sourced_median" "$sourced_min" "$sourced_max"
for index in "${!labels[@]}"; do
    label=${labels[$index]}
    read -r median low high < <(stats < "$work/tick-$label")
    read -r nofsync nlow nhigh < <(stats < "$work/nofsync-$label")
    printf '%-44s %s [%s-%s]  ratio %.2f (target <= 2), %.2f vs -d\n' "overdue tick ($label)" "$median" "$low" "$high" \
        "$(echo "$median / $source_median" | bc -l)" "$(echo "$median / $sourced_median" | bc -l)"
    printf '%-44s %s [%s-%s]  ratio %.2f\n' "  same without fsync (diagnostic)" "$nofsync" "$nlow" "$nhigh" \
        "$(echo "$nofsync / $source_median" | bc -l)"
    read -r peak _ peak_high < <(stats < "$work/peak-$label")
    printf '%-44s %s [max %s] MiB (target <= 64)\n' "  peak RSS of the tick (median)" "$(echo "$peak / 1024" | bc)" "$(echo "$peak_high / 1024" | bc)"
    read -r slow slow_low slow_high < <(stats < "$work/slowfsync-$label")
    printf '%-44s %s [%s-%s]  ratio %.2f\n' "  same with a ${flush_ms} ms flush (diagnostic)" "$slow" "$slow_low" "$slow_high" \
        "$(echo "$slow / $source_median" | bc -l)"
done

echo "== idle daemon, interval 1h, ${idle}s after its start-up tick (nothing left to send)"
idle_run() {   # $1 label, $2 binary
    local label=$1 b=$2 daemon cpu0 cpu1 sw0 sw1
    fresh_ledger
    "$b" tick --config "$work/overdue.toml" --log-level warning > /dev/null
    "$b" run --config "$work/overdue.toml" --log-level warning 2> "$work/daemon-$label.log" &
    daemon=$!
    pids+=($daemon)
    sleep 2   # the start-up tick and settling
    ticks() { awk '{print $14 + $15}' "/proc/$daemon/stat"; }
    # Context switches per thread id, so a thread that comes or goes is not miscounted.
    switches() { for t in /proc/$daemon/task/*; do echo "$(basename "$t") $(awk '/ctxt_switches/ {s += $2} END {print s}' "$t/status")"; done; }
    cpu0=$(ticks); sw0=$(switches)
    sleep "$idle"
    cpu1=$(ticks); sw1=$(switches)
    echo "-- $label ($b)"
    # RssFile is library and program pages (clean copies of files, shared with other processes);
    # RssAnon and Private_* are this process's own memory.
    grep -E '^(VmRSS|VmHWM|RssAnon|RssFile)' "/proc/$daemon/status" | tr -s ' \t' ' ' | paste -sd ' '
    printf 'RssAnon %s MiB (target <= 8)\n' "$(awk '/^RssAnon/ {printf "%.1f", $2 / 1024}' "/proc/$daemon/status")"
    grep -E '^(Pss|Private_Clean|Private_Dirty):' "/proc/$daemon/smaps_rollup" | tr -s ' \t' ' ' | paste -sd ' ' || true
    printf 'threads %s; CPU over %ss idle: %s ticks of 1/%s s; context switches: %s\n' "$(ls /proc/$daemon/task | wc -l)" \
        "$idle" "$((cpu1 - cpu0))" "$(getconf CLK_TCK)" "$(python3 -c '
import sys
a = dict(l.split() for l in sys.argv[1].splitlines()); b = dict(l.split() for l in sys.argv[2].splitlines())
print(sum(int(b[t]) - int(a.get(t, 0)) for t in b))' "$sw0" "$sw1")"
    if command -v strace > /dev/null; then
        timeout "$idle" strace -c -f -p "$daemon" -o "$work/strace.txt" 2>/dev/null || true
        if grep -q 'total' "$work/strace.txt"; then echo "syscalls over ${idle}s idle:"; sed -n '1,12p' "$work/strace.txt"
        else echo "syscalls over ${idle}s idle: none"; fi
    fi
    kill -TERM "$daemon"; wait "$daemon" || true
}
for index in "${!labels[@]}"; do idle_run "${labels[$index]}" "${bins[$index]}"; done
