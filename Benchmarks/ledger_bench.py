#!/usr/bin/env python3
"""Ledger benchmark: overdue against sqlite3 on the same data, side by side in one run.

  python3 Benchmarks/ledger_bench.py [--rows 1000000] [--bin .build/release/overdue]
                                     [--before OLD-BINARY] [--shapes late-5,late-50,paid-5,mixed-20]

For each ledger shape it generates ROWS invoices as CSV, then times
  1. `overdue import FILE.csv`              vs  sqlite3's own `.import FILE.csv` of the same file
  2. `overdue plan --all --format json`     vs  `sqlite3 DB "SELECT * FROM invoices"` of that table
and reports wall time, the ratio to sqlite3, and peak RSS (the process's own wait4 maximum
resident set, the figure `/usr/bin/time -v` prints). With --before, an older build runs the same
commands interleaved with the new one's, so both see the same (shared, noisy) machine.
Each command runs REPEAT times interleaved; the median is reported.

Shapes (`NAME-K`: one client per K invoices, as-of date 2026-12-31):
  late-K   every invoice open and 0-120 days late, so every plan line is an action with addresses
  paid-K   nine in ten invoices paid (by status or by the paid column), the rest late
  mixed-K  due dates spread over 2026, all open (the original benchmark's ledger)
Targets: import and plan each at most 3x sqlite3, import peak RSS at most 256 MiB.
"""
import argparse
import datetime
import os
import pathlib
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
AS_OF = datetime.date(2026, 12, 31)


def run(cmd, stdout=subprocess.DEVNULL, env=None):
    """Runs cmd; returns (seconds, peak RSS in MiB, CPU seconds) of that process alone (wait4 rusage)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed ({os.waitstatus_to_exitcode(status)}): {' '.join(map(str, cmd))}\n{err}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def generate(path, rows, shape):
    kind, per_client = shape.split("-")
    per_client = int(per_client)
    rng = random.Random(7)
    currencies = [("EUR", 2), ("USD", 2), ("JPY", 0), ("KWD", 3)]
    clients = max(1, rows // per_client)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("number,client_id,client_name,client_email,issue_date,due_date,amount,currency,paid,status\r\n")
        for i in range(rows):
            c = rng.randrange(clients)
            cur, digits = currencies[i % 4]
            units = rng.randrange(100, 10_000_000)
            paid_units, status = 0, "open"
            if kind == "mixed":
                due = datetime.date(2026, rng.randrange(1, 13), rng.randrange(1, 29))
            else:
                due = AS_OF - datetime.timedelta(days=rng.randrange(0, 121))
            if kind == "paid" and rng.randrange(10) != 0:
                if rng.randrange(2):
                    status = "paid"
                else:
                    paid_units = units
            issue = due - datetime.timedelta(days=rng.choice((0, 14, 30)))

            def fmt(u):
                return str(u) if digits == 0 else f"{u // 10**digits}.{u % 10**digits:0{digits}d}"
            f.write(f"INV-{i:07d},c{c},\"Client {c}, Ltd\",ap{c}@client{c}.example,"
                    f"{issue},{due},{fmt(units)},{cur},{fmt(paid_units)},{status}\r\n")


CONFIG = """
[daemon]
timezone = "Europe/Berlin"
database = "{db}"
[business]
name = "Bench"
from = "Bench <billing@bench.example>"
owner = "owner@bench.example"
[smtp]
url = "file://{tmp}/outbox"
[delivery]
min_days_between = 3
[[stage]]
name = "reminder"
days = 7
template = "reminder"
subject = "Invoice {{{{invoice.number}}}}"
"""


def bench_shape(shape, args, bins, tmp):
    csv_path = tmp / "invoices.csv"
    t0 = time.perf_counter()
    generate(csv_path, args.rows, shape)
    print(f"\n== {shape}: {args.rows:,} rows ({csv_path.stat().st_size / 2**20:.0f} MiB) generated in {time.perf_counter() - t0:.1f}s",
          flush=True)
    keys = []
    for label in bins:
        keys += [f"{label} import", f"{label} plan"]
    keys += ["sqlite3 .import", "sqlite3 SELECT"]
    results = {k: [] for k in keys}
    cpu = {k: [] for k in keys}
    peaks = {k: 0.0 for k in keys}
    for r in range(args.repeat):
        ref = tmp / f"s{r}.sqlite"
        steps = []
        for label, binary in bins.items():
            db = tmp / f"{label}{r}.sqlite"
            config = tmp / f"{label}{r}.toml"
            config.write_text(CONFIG.format(db=db, tmp=tmp))
            env = dict(os.environ, OVERDUE_CONFIG=str(config))
            steps.append((f"{label} import", [binary, "import", str(csv_path)], env))
        steps.append(("sqlite3 .import", ["sqlite3", str(ref), ".mode csv", f".import {csv_path} invoices"], None))
        for label, binary in bins.items():
            env = dict(os.environ, OVERDUE_CONFIG=str(tmp / f"{label}{r}.toml"))
            steps.append((f"{label} plan", [binary, "plan", "--all", "--format", "json", "--as-of", str(AS_OF)], env))
        steps.append(("sqlite3 SELECT", ["sqlite3", str(ref), "SELECT * FROM invoices"], None))
        for key, cmd, env in steps:
            seconds, peak, cpu_seconds = run(cmd, env=env)
            results[key].append(seconds)
            cpu[key].append(cpu_seconds)
            peaks[key] = max(peaks[key], peak)
        for path in tmp.glob(f"*{r}.sqlite*"):
            path.unlink()
    med = {k: statistics.median(v) for k, v in results.items()}
    mcpu = {k: statistics.median(v) for k, v in cpu.items()}
    # Wall time is the target's measure; CPU time (user + system) is shown beside it because
    # on a shared machine it is the steadier of the two.
    print(f"{'command':<20}{'median s':>10}{'ratio':>8}{'CPU s':>8}{'CPU ratio':>10}{'peak RSS MiB':>14}")
    for k in keys:
        ref = "sqlite3 .import" if k.endswith("import") else "sqlite3 SELECT"
        print(f"{k:<20}{med[k]:>10.2f}{med[k] / med[ref]:>8.2f}{mcpu[k]:>8.2f}{mcpu[k] / mcpu[ref]:>10.2f}{peaks[k]:>14.1f}")
    return {label: (med[f"{label} import"] / med["sqlite3 .import"], peaks[f"{label} import"],
                    med[f"{label} plan"] / med["sqlite3 SELECT"], peaks[f"{label} plan"]) for label in bins}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--bin", default=str(ROOT / ".build" / "release" / "overdue"))
    ap.add_argument("--before", help="an older overdue binary, measured side by side")
    ap.add_argument("--shapes", default="late-5,late-50,paid-5,mixed-20")
    args = ap.parse_args()
    if not os.path.exists(args.bin):
        subprocess.run(["swift", "build", "-c", "release", "--product", "overdue"], cwd=ROOT, check=True)
    bins = {"after": args.bin} if args.before else {"overdue": args.bin}
    if args.before:
        bins = {"before": args.before, "after": args.bin}

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="overdue-bench-"))
    try:
        (tmp / "templates").mkdir()
        (tmp / "templates" / "reminder.txt").write_text("Invoice {{invoice.number}}: {{invoice.amount_due}}\n")
        summary = {shape: bench_shape(shape, args, bins, tmp) for shape in args.shapes.split(",")}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nSummary, {args.rows:,} rows (targets: ratios <= 3, import peak <= 256 MiB)")
    print(f"{'shape':<10}{'build':<9}{'import x':>9}{'import MiB':>12}{'plan x':>8}{'plan MiB':>10}")
    for shape, per_bin in summary.items():
        for label, (ix, ipeak, px, ppeak) in per_bin.items():
            print(f"{shape:<10}{label:<9}{ix:>9.2f}{ipeak:>12.0f}{px:>8.2f}{ppeak:>10.0f}")


if __name__ == "__main__":
    main()
