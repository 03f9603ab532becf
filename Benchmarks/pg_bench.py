#!/usr/bin/env python3
"""PostgreSQL benchmark: several daemons, import and plan, failover. Prints figures.

  python3 Benchmarks/pg_bench.py [--bin .build/release/overdue] [--reminders 20000]
                                 [--rows 1000000] [--parts throughput,ledger,failover]

Everything runs on the harness of the end-to-end tests (Tests/cli/pg_lab.py): a real
PostgreSQL 15 started for the run in a temporary folder, a counting SMTP server taking DELAY
(default 0.1 s) per message, daemons on separate network namespaces (127.0.0.1 where
namespaces cannot be made; it says so). Needs root for the namespaces and the postgres user.

1. throughput: 1, 2 and 3 daemons (`overdue run`, one per host) each on a fresh ledger of
   REMINDERS invoices due for one reminder; the time from the daemons' start to the last
   message received. Target: 3 daemons at least 2.5x one.
2. ledger: ROWS invoices (ledger_bench.py's data, shape --shape) imported with
   `overdue import` into PostgreSQL vs `psql \\copy` of the same CSV into a plain table, and
   `overdue plan --all --format json` vs `psql -c "SELECT * FROM that table"`. Target: each
   within 3x.
3. failover: three daemons sending, one SIGKILLed (its TCP connection closes at once) and, on
   namespaces, one host's link cut (silence: the server notices by keepalive); the time until its
   claimed batch is ambiguous and until everything else is sent.
"""
import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "cli"))
sys.path.insert(0, str(ROOT / "Benchmarks"))


def due_csv(ws, count):
    due = (date.today() - timedelta(days=10)).isoformat()
    path = ws.dir / "due.csv"
    with open(path, "w") as f:
        f.write("number,client_id,client_name,client_email,issue_date,due_date,amount,currency\r\n")
        for i in range(count):
            f.write(f"INV-{i:06d},c{i % 500},Client {i % 500},ap{i % 500}@c.example,{due},{due},100.00,EUR\r\n")
    return path


def throughput(lab, tmp, args):
    results = {}
    for n in (1, 2, 3):
        database = lab.pg.fresh_database(f"bench_tp{n}")
        smtp = lab.smtp(tmp / f"smtp-tp{n}", delay=args.delay)
        ws = lab.workspace(tmp / f"tp{n}", database, smtp, interval="1s")
        lab.overdue(ws, "import", due_csv(ws, args.reminders), check=0, timeout=3600)
        start = time.monotonic()
        daemons = [lab.start_daemon(ws, host) for host in lab.hosts[:n]]
        last, count = start, 0
        while count < args.reminders:
            time.sleep(0.5)
            now = len(smtp.received())
            if now != count:
                count, last = now, time.monotonic()
            if time.monotonic() - last > 60:
                print(f"  {n} daemon(s): stalled at {count}/{args.reminders}", flush=True)
                break
            if any(not d.alive() for d in daemons):
                print(f"  {n} daemon(s): a daemon exited: {[d.log()[-400:] for d in daemons if not d.alive()]}")
                break
        received = smtp.received()
        elapsed = max(m["at"] for m in received) - min(m["at"] for m in received) if received else float("nan")
        wall = last - start
        lab.stop_daemons()
        smtp.stop()
        duplicates = sum(v - 1 for v in smtp.counts().values() if v > 1)
        results[n] = (len(received), wall, len(received) / wall if wall else 0, duplicates)
        print(f"  {n} daemon(s): {len(received)} messages in {wall:.1f}s from start "
              f"({elapsed:.1f}s first to last), {results[n][2]:.1f} msg/s, duplicates {duplicates}", flush=True)
    base = results[1][2]
    print(f"throughput ({args.reminders} reminders, {args.delay * 1000:.0f} ms per message):")
    for n, (count, wall, rate, dup) in results.items():
        print(f"  {n} daemon(s): {rate:7.2f} msg/s  speed-up {rate / base:4.2f}x  (ideal {n}x; target for 3: >= 2.5x)")
    return results


def timed(cmd, env=None, stdout=subprocess.DEVNULL):
    start = time.perf_counter()
    proc = subprocess.Popen([str(c) for c in cmd], stdout=stdout, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{err[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def ledger(lab, tmp, args):
    import ledger_bench
    import pg_server
    csv_path = tmp / "invoices.csv"
    t0 = time.perf_counter()
    ledger_bench.generate(csv_path, args.rows, args.shape)
    print(f"ledger: {args.rows:,} invoices ({args.shape}, {csv_path.stat().st_size / 2**20:.0f} MiB) "
          f"generated in {time.perf_counter() - t0:.1f}s", flush=True)
    psql = [pg_server.PG_BIN / "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", lab.pg.sockets, "-p", lab.pg.port]
    figures = {k: [] for k in ["overdue import", "psql \\copy", "overdue plan", "psql SELECT *"]}
    peaks = {k: 0.0 for k in figures}
    for r in range(args.repeat):
        database = lab.pg.fresh_database(f"bench_ledger{r}")
        # ledger_bench's one-stage ladder (its CONFIG is a format string, hence the doubled braces).
        stage = "[[stage]]" + ledger_bench.CONFIG.split("[[stage]]", 1)[1].replace("{{{{", "{{").replace("}}}}", "}}")
        ws = lab.workspace(tmp / f"ledger{r}", database, stages=stage)
        (ws.templates / "reminder.txt").write_text("Invoice {{invoice.number}}: {{invoice.amount_due}}\n")
        lab.overdue(ws, "init", check=0)
        reference = ("CREATE TABLE invoices_ref (number text, client_id text, client_name text, client_email text, "
                     "issue_date text, due_date text, amount text, currency text, paid text, status text)")
        lab.pg.psql(reference, db=database)
        steps = [
            ("overdue import", lab.db.cmd(["/usr/bin/env", f"OVERDUE_CONFIG={ws.config_path}", lab_bin(),
                                           "import", csv_path])),
            ("psql \\copy", psql + ["-U", "postgres", "-d", database, "-c",
                                    f"\\copy invoices_ref FROM '{csv_path}' WITH (FORMAT csv, HEADER true)"]),
            ("overdue plan", lab.db.cmd(["/usr/bin/env", f"OVERDUE_CONFIG={ws.config_path}", lab_bin(),
                                         "plan", "--all", "--format", "json", "--as-of",
                                         str(ledger_bench.AS_OF)])),
            ("psql SELECT *", psql + ["-U", "postgres", "-d", database, "-A", "-t", "-c", "SELECT * FROM invoices_ref"]),
        ]
        for key, cmd in steps:
            seconds, peak = timed(cmd)
            figures[key].append(seconds)
            peaks[key] = max(peaks[key], peak)
            print(f"  run {r + 1}: {key:<16} {seconds:8.2f}s  peak RSS {peak:7.1f} MiB", flush=True)
        lab.pg.psql(f"DROP DATABASE {database}", db="postgres")
    med = {k: statistics.median(v) for k, v in figures.items()}
    print(f"ledger ({args.rows:,} invoices on PostgreSQL, median of {args.repeat}; target: within 3x):")
    copy = med["psql \\copy"]
    print(f"  overdue import {med['overdue import']:8.2f}s  psql \\copy {copy:8.2f}s  "
          f"ratio {med['overdue import'] / copy:5.2f}  (import peak RSS {peaks['overdue import']:.0f} MiB)")
    print(f"  overdue plan   {med['overdue plan']:8.2f}s  psql SELECT {med['psql SELECT *']:7.2f}s  "
          f"ratio {med['overdue plan'] / med['psql SELECT *']:5.2f}  (plan peak RSS {peaks['overdue plan']:.0f} MiB)")
    return med


def failover(lab, tmp, args):
    from pg_lab import wait_for
    out = {}
    modes = ["kill"] + (["cut"] if lab.partitionable else [])
    for mode in modes:
        count = 600
        database = lab.pg.fresh_database(f"bench_fail_{mode}")
        smtp = lab.smtp(tmp / f"smtp-fail-{mode}", delay=args.delay)
        ws = lab.workspace(tmp / f"fail-{mode}", database, smtp, interval="1s")
        lab.overdue(ws, "import", due_csv(ws, count), check=0, timeout=600)
        expected = count
        daemons = [lab.start_daemon(ws, host) for host in lab.hosts]
        victim = lab.hosts[1]
        wait_for(lambda: len(smtp.received()) >= 60, timeout=120, what="sending under way")
        at = time.monotonic()
        if mode == "kill":
            daemons[1].kill()
        else:
            victim.cut()
        ambiguous_at = None
        done_at = None
        while time.monotonic() - at < 300:
            report = lab.status(ws)
            if ambiguous_at is None and report["deliveries"]["ambiguous"]:
                ambiguous_at = time.monotonic() - at
            settled = len(smtp.counts()) + len(report["deliveries"]["ambiguous"])
            if ambiguous_at is not None and report["pending"] + report["retrying"] == 0 and settled >= expected:
                done_at = time.monotonic() - at
                break
            time.sleep(0.2)
        if mode == "cut":
            victim.restore()
        lab.stop_daemons()
        smtp.stop()
        ambiguous = len(lab.status(ws)["deliveries"]["ambiguous"])
        out[mode] = (ambiguous_at, done_at, ambiguous)
        fmt = lambda v: f"{v:.1f}s" if v is not None else "never"
        print(f"  failover by {mode}: claimed batch ambiguous after {fmt(ambiguous_at)}, everything else sent "
              f"after {fmt(done_at)}, {ambiguous} ambiguous", flush=True)
    print("failover bound: the dead daemon's session must end (kill: at once, the kernel closes its connection; "
          "cut: the session's keepalive, which overdue copies from libpq's options to the server side, about 30 s "
          "by default, 4 s with keepalives_idle=1&keepalives_interval=1&keepalives_count=3 in the URL), then a "
          "survivor settles the claims at the start of its next tick, which comes after the queue it is sending")
    return out


_BIN = None


def lab_bin():
    return _BIN


def main():
    global _BIN
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / ".build" / "release" / "overdue"))
    ap.add_argument("--reminders", type=int, default=20_000)
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--shape", default="late-5")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--parts", default="throughput,ledger,failover")
    args = ap.parse_args()
    _BIN = os.path.abspath(args.bin)
    os.environ["OVERDUE_BIN"] = _BIN
    import pg_lab  # after OVERDUE_BIN is set: the harness takes the binary from it
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="overdue-pgbench-"))
    lab = pg_lab.Lab(tmp / "lab")
    try:
        print(f"binary {_BIN}; hosts: {'network namespaces' if lab.partitionable else '127.0.0.1 (' + lab.partition_reason + ')'}",
              flush=True)
        reason = pg_lab.postgres_support(lab, tmp / "probe")
        if reason:
            raise SystemExit(reason)
        parts = args.parts.split(",")
        if "throughput" in parts:
            throughput(lab, tmp, args)
        if "ledger" in parts:
            ledger(lab, tmp, args)
        if "failover" in parts:
            failover(lab, tmp, args)
    finally:
        lab.destroy()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
