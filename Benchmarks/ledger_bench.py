#!/usr/bin/env python3
"""Ledger benchmark: overdue against sqlite3 on the same data, side by side in one run.

  python3 Benchmarks/ledger_bench.py [--rows 1000000] [--bin .build/release/overdue]

Generates ROWS invoices as CSV, then times
  1. `overdue import FILE.csv`              vs  sqlite3's own `.import FILE.csv` of the same file
  2. `overdue plan --all --format json`     vs  `sqlite3 DB "SELECT * FROM invoices"` of that table
and reports wall time, the ratio, and peak RSS (targets: both ratios <= 3, plan peak <= 400 MiB).
Each command runs REPEAT times interleaved; the median is reported.
"""
import argparse
import os
import pathlib
import random
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run(cmd, stdout=subprocess.DEVNULL, env=None):
    """Runs cmd; returns (seconds, peak RSS in MiB) of that process alone (wait4 rusage)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed ({os.waitstatus_to_exitcode(status)}): {' '.join(map(str, cmd))}\n{err}")
    return elapsed, usage.ru_maxrss / 1024


def generate(path, rows):
    rng = random.Random(7)
    currencies = [("EUR", 2), ("USD", 2), ("JPY", 0), ("KWD", 3)]
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("number,client_id,client_name,client_email,issue_date,due_date,amount,currency,paid,status\r\n")
        for i in range(rows):
            c = rng.randrange(rows // 20 + 1)
            cur, digits = currencies[i % 4]
            units = rng.randrange(100, 10_000_000)
            amount = str(units) if digits == 0 else f"{units // 10**digits}.{units % 10**digits:0{digits}d}"
            month, day = rng.randrange(1, 13), rng.randrange(1, 29)
            f.write(f"INV-{i:07d},c{c},\"Client {c}, Ltd\",ap{c}@client{c}.example,"
                    f"2026-{month:02d}-{day:02d},2026-{month:02d}-{day:02d},{amount},{cur},0,open\r\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--bin", default=str(ROOT / ".build" / "release" / "overdue"))
    args = ap.parse_args()
    if not os.path.exists(args.bin):
        subprocess.run(["swift", "build", "-c", "release", "--product", "overdue"], cwd=ROOT, check=True)

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="overdue-bench-"))
    csv_path = tmp / "invoices.csv"
    t0 = time.perf_counter()
    generate(csv_path, args.rows)
    print(f"generated {args.rows:,} rows ({csv_path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t0:.1f}s")
    (tmp / "templates").mkdir()
    (tmp / "templates" / "reminder.txt").write_text("Invoice {{invoice.number}}: {{invoice.amount_due}}\n")

    results = {k: [] for k in ["overdue import", "sqlite3 .import", "overdue plan", "sqlite3 SELECT"]}
    peaks = {k: 0.0 for k in results}
    for r in range(args.repeat):
        db, ref = tmp / f"o{r}.sqlite", tmp / f"s{r}.sqlite"
        config = tmp / f"overdue{r}.toml"
        config.write_text(f"""
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
""")
        env = dict(os.environ, OVERDUE_CONFIG=str(config))
        for key, cmd, e in [
            ("overdue import", [args.bin, "import", str(csv_path)], env),
            ("sqlite3 .import", ["sqlite3", str(ref), ".mode csv", f".import {csv_path} invoices"], None),
            ("overdue plan", [args.bin, "plan", "--all", "--format", "json", "--as-of", "2026-12-31"], env),
            ("sqlite3 SELECT", ["sqlite3", str(ref), "SELECT * FROM invoices"], None),
        ]:
            seconds, peak = run(cmd, env=e)
            results[key].append(seconds)
            peaks[key] = max(peaks[key], peak)

    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"\n{'command':<18}{'median s':>10}{'peak RSS MiB':>14}")
    for k in results:
        print(f"{k:<18}{med[k]:>10.2f}{peaks[k]:>14.1f}")
    print(f"\nimport ratio (overdue / sqlite3 .import): {med['overdue import'] / med['sqlite3 .import']:.2f}  (target <= 3)")
    print(f"plan ratio   (overdue / sqlite3 SELECT):  {med['overdue plan'] / med['sqlite3 SELECT']:.2f}  (target <= 3)")
    print(f"plan peak RSS: {peaks['overdue plan']:.0f} MiB  (target <= 400)")


if __name__ == "__main__":
    main()
