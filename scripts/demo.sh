#!/usr/bin/env bash
# The demo: installs what overdue needs, builds it, makes a ledger of demo invoices around
# today's date, shows the plan, then runs the daemon for a few ticks against the file outbox
# (every message lands as an .eml file in demo/outbox) and shows what it did.
#
#   scripts/demo.sh            # about a minute after the first build
#   DEMO_SECONDS=120 scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
scripts/setup.sh

echo "== building overdue (the first build takes several minutes)" >&2
# SwiftPM's "[done/total] Compiling ..." lines as progress: in place on a terminal, every 20th
# step otherwise; the whole log when the build fails.
log="$(mktemp)"
set +e
swift build --product overdue 2>&1 | tee "$log" | awk -v tty="$([ -t 2 ] && echo 1)" '
    /^\[[0-9]+\/[0-9]+\]/ {
        split(substr($1, 2), n, "/")
        if (tty) { printf "\r\033[K%s", substr($0, 1, 76) > "/dev/stderr" }
        else if (n[1] % 20 == 0 || n[1] == n[2]) { print > "/dev/stderr" }
        next
    }
    /Build of product|Build complete|Compiling|error:/ { if (tty) printf "\r\033[K" > "/dev/stderr"; print > "/dev/stderr" }'
status=${PIPESTATUS[0]}
set -e
if [ "$status" != 0 ]; then cat "$log" >&2; exit "$status"; fi
rm -f "$log"
bin="$(swift build --show-bin-path)/overdue"
test -x "$bin"

demo="$PWD/demo"
rm -rf "$demo" && mkdir -p "$demo/outbox"
cp -r config/templates "$demo/templates"

# The shipped config, with its machine paths pointed into demo/, the file outbox instead of
# a provider, ticks every 10 seconds and no send window (so the demo sends at any hour).
/usr/bin/python3 - "$demo" <<'PY'
import re, sys
demo = sys.argv[1]
out, section = [], None
for line in open("config/overdue.toml", encoding="utf-8"):
    header = re.match(r"^\s*\[+\s*([a-z_]+)\s*\]+", line)
    if header:
        section = header.group(1)
        if section == "send_window":
            continue
    if section == "send_window":
        continue
    key = re.match(r"^\s*([a-z_]+)\s*=", line)
    k = key.group(1) if key else None
    if section == "daemon" and k == "interval":
        line = 'interval = "10s"\n'
    elif section == "daemon" and k == "database":
        line = f'database = "{demo}/overdue.sqlite"\n'
    elif section == "daemon" and k == "templates":
        line = f'templates = "{demo}/templates"\n'
    elif section == "smtp" and k == "url":
        line = f'url = "file://{demo}/outbox"\n'
    elif section == "smtp" and k in ("username", "password_file", "password_env", "ca_file", "starttls"):
        continue
    out.append(line)
open(f"{demo}/overdue.toml", "w", encoding="utf-8").write("".join(out))
PY
export OVERDUE_CONFIG="$demo/overdue.toml"

# Demo invoices at every rung of the ladder, relative to today.
d() { date -u -d "$1 days" +%F; }
cat > "$demo/invoices.csv" <<CSV
number,client_id,client_name,client_email,issue_date,due_date,amount,currency,paid,status
INV-1001,acme,Acme GmbH,ap@acme.example,$(d -30),$(d 3),1200.00,EUR,0,open
INV-1002,brightside,"Brightside, Inc.",accounts@brightside.example,$(d -30),$(d 0),850.00,USD,0,open
INV-1003,mueller,Müller & Söhne KG,buchhaltung@mueller.example,$(d -37),$(d -7),2400.00,EUR,400.00,open
INV-1004,tanaka,田中商事,keiri@tanaka.example,$(d -60),$(d -31),180000,JPY,0,open
INV-1005,gulf,Gulf Trading Co.,finance@gulf.example,$(d -75),$(d -45),1250.500,KWD,0,open
INV-1006,obrien,O'Brien & Partners,billing@obrien.example,$(d -90),$(d -61),3100.00,GBP,0,open
INV-1007,slowpay,Slowpay Ltd,ap@slowpay.example;cfo@slowpay.example,$(d -125),$(d -95),5400.00,EUR,0,open
INV-1008,acme,Acme GmbH,ap@acme.example,$(d -40),$(d -10),300.00,EUR,300.00,paid
CSV

echo "== overdue import demo/invoices.csv" >&2
"$bin" import "$demo/invoices.csv"
echo "== overdue invoice hold INV-1006 (disputed)" >&2
"$bin" invoice hold INV-1006 --reason "client disputes the hours on line 3"
echo "== overdue plan --all" >&2
"$bin" plan --all

seconds="${DEMO_SECONDS:-25}"
echo "== overdue run (the daemon, ${seconds}s, a tick every 10s; log on stderr)" >&2
"$bin" run & pid=$!
sleep "$seconds"
kill -TERM "$pid"; wait "$pid" || true

echo "== overdue status" >&2
"$bin" status
echo "== overdue plan --all (after the ticks: done / min-gap)" >&2
"$bin" plan --all
echo "== overdue audit --event 'reminder.*'" >&2
"$bin" audit --event 'reminder.*'
echo "== overdue audit verify" >&2
"$bin" audit verify
echo "== demo/outbox: $(ls "$demo/outbox" | wc -l) messages; the one to 田中商事 (Tanaka), decoded:" >&2
message="$(grep -l 'keiri@tanaka.example' "$demo/outbox"/*.eml 2>/dev/null | head -n 1 || true)"
[ -n "$message" ] || message="$(ls "$demo/outbox"/*.eml 2>/dev/null | head -n 1 || true)"
if [ -n "$message" ]; then
    # The .eml is quoted-printable MIME as it goes on the wire; shown here as a mail program would.
    /usr/bin/python3 - "$message" <<'PY'
import sys
from email import policy
from email.parser import BytesParser
message = BytesParser(policy=policy.default).parse(open(sys.argv[1], "rb"))
for name in ["From", "To", "Cc", "Subject", "Date"]:
    if message[name]:
        print(f"{name}: {message[name]}")
print()
print(message.get_body(preferencelist=("plain",)).get_content().rstrip())
PY
    echo "== the raw message (MIME, quoted-printable) is $message" >&2
fi
