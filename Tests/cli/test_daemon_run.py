"""End-to-end tests of `overdue run`: the daemon process with signals, crashes, outages and the
systemd notify protocol, against a real SMTP server on 127.0.0.1 and a real SQLite file."""
import json
import os
import pathlib
import random
import signal
import socket
import sqlite3
import subprocess
import time
from collections import Counter
from datetime import date, timedelta

import pytest

from conftest import OVERDUE_BIN, invoice_row, run_overdue
from test_daemon import SMTPServer, audit, free_port, identify, plan, smtp_config, status


def start_daemon(ws, env=None, log_level="info"):
    # The ledger exists before the daemon starts, as after `overdue import`; the test reads
    # it concurrently at once.
    if not ws.db_path.exists():
        ws.run("init", check=0)
    ws.run("status", check=0)
    full_env = dict(os.environ)
    full_env.pop("OVERDUE_CONFIG", None)
    full_env.pop("NOTIFY_SOCKET", None)
    full_env.update(env or {})
    log = open(ws.dir / "daemon.log", "ab")
    return subprocess.Popen([OVERDUE_BIN, "run", "--config", str(ws.config_path), "--log-level", log_level],
                            stdout=subprocess.DEVNULL, stderr=log, env=full_env)


def wait_for(predicate, timeout=30, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def events(ws, name):
    return [e for e in audit(ws, name)]


def ledger_due_from_today(ws, count, days_overdue=10):
    due = (date.today() - timedelta(days=days_overdue)).isoformat()
    rows = [invoice_row(f"INV-{i:04d}", client=f"c{i % 50}", due=due) for i in range(count)]
    ws.run("import", ws.write_csv("many.csv", rows), check=0)
    return [r["number"] for r in rows]


@pytest.fixture
def smtp(tmp_path):
    server = SMTPServer(tmp_path / "received").start()
    yield server
    server.stop()


def test_sigterm_stops_the_daemon_promptly_with_exit_0_and_audits_it(ws, smtp):
    smtp_config(ws, smtp.port, daemon=f'interval = "1h"\ntimezone = "Europe/Berlin"\ndatabase = "{ws.db_path}"\n')
    ledger_due_from_today(ws, 3)
    proc = start_daemon(ws)
    wait_for(lambda: len(smtp.files()) == 3, what="the start-up tick")
    wait_for(lambda: events(ws, "tick.finished"), what="tick.finished")
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert time.monotonic() - started < 2
    assert len(events(ws, "daemon.started")) == 1
    stopped = events(ws, "daemon.stopped")
    assert len(stopped) == 1 and stopped[0]["details"]["signal"] == "SIGTERM"
    log = (ws.dir / "daemon.log").read_text()
    assert all(line.startswith("<") and line[1].isdigit() and line[2] == ">" for line in log.splitlines()), log


def test_sigint_also_stops_cleanly(ws, smtp):
    smtp_config(ws, smtp.port, daemon=f'interval = "1h"\ntimezone = "Europe/Berlin"\ndatabase = "{ws.db_path}"\n')
    proc = start_daemon(ws)
    wait_for(lambda: events(ws, "tick.finished"), what="the first tick")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 0


def test_sighup_with_a_broken_config_keeps_the_old_one_and_a_good_one_is_taken(ws, smtp):
    daemon_section = f'interval = "1h"\ntimezone = "Europe/Berlin"\ndatabase = "{ws.db_path}"\n'
    smtp_config(ws, smtp.port, daemon=daemon_section)
    good = ws.config_path.read_text()
    # The audit is read with a copy of the good config while the daemon's own file is broken.
    reader = ws.dir / "reader.toml"
    reader.write_text(good)

    def events_read(name):
        out = run_overdue("audit", "--format", "json", "--event", name, "--config", reader).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    proc = start_daemon(ws)
    try:
        wait_for(lambda: events_read("tick.finished"), what="the first tick")
        ws.config_path.write_text(good.replace('interval = "1h"', 'interval = "soon"'))
        proc.send_signal(signal.SIGHUP)
        rejected = wait_for(lambda: events_read("config.rejected"), what="config.rejected")
        assert "daemon.interval" in rejected[0]["details"]["error"]
        assert str(ws.config_path) in rejected[0]["details"]["error"]
        time.sleep(0.3)
        assert proc.poll() is None, "the daemon keeps running on the old config"

        # Still working on the old config: a new invoice due now goes out at the next tick,
        # which a good reload with a short interval brings about.
        due = (date.today() - timedelta(days=10)).isoformat()
        csv_path = ws.write_csv("one.csv", [invoice_row("INV-1", due=due)])
        assert run_overdue("import", csv_path, "--config", reader).returncode == 0
        ws.config_path.write_text(good.replace('interval = "1h"', 'interval = "1s"'))
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: events_read("config.reloaded"), what="config.reloaded")
        wait_for(lambda: len(smtp.files()) == 1, what="a tick on the reloaded config")
        assert proc.poll() is None
        log = (ws.dir / "daemon.log").read_text()
        assert "<3>config reload refused" in log
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_a_second_sender_on_the_same_ledger_is_refused_with_75(ws, smtp):
    smtp_config(ws, smtp.port, daemon=f'interval = "1h"\ntimezone = "Europe/Berlin"\ndatabase = "{ws.db_path}"\n')
    proc = start_daemon(ws)
    try:
        wait_for(lambda: events(ws, "tick.finished"), what="the first tick")
        result = ws.run("tick")
        assert result.returncode == 75
        assert "another overdue" in result.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    ws.run("tick", check=0)


def test_processes_creating_the_same_new_ledger_at_once_all_succeed(ws):
    # Each creator builds the whole ledger under a temporary name and links it into place: none
    # may fail, and none may see a half-made ledger (it used to fail "table clients already exists").
    failures = []
    csv_path = ws.write_csv("one.csv", [invoice_row("INV-1")])
    for round in range(12):
        for suffix in ("", "-wal", "-shm"):
            pathlib.Path(f"{ws.db_path}{suffix}").unlink(missing_ok=True)
        env = {k: v for k, v in os.environ.items() if k != "OVERDUE_CONFIG"}
        procs = [subprocess.Popen([OVERDUE_BIN, "import", str(csv_path), "--config", str(ws.config_path)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(3)]
        for proc in procs:
            _, err = proc.communicate(timeout=30)
            if proc.returncode != 0:
                failures.append(f"round {round}: exit {proc.returncode}: {err.strip()}")
        with sqlite3.connect(ws.db_path) as db:
            # Every migration ran exactly once: fees (2), the lifecycle trigger (3, once), payment
            # references (4), message bytes (5).
            assert db.execute("PRAGMA user_version").fetchone() == (6,)
            assert db.execute("SELECT count(*) FROM pragma_table_info('messages') WHERE name = 'data'").fetchone() == (1,)
            assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'dispatches_legal_transition'").fetchone() == (1,)
            assert db.execute("SELECT count(*) FROM invoices").fetchone() == (1,)
    assert failures == []
    assert not [p.name for p in ws.dir.iterdir() if p.name.startswith(".")]


def test_systemd_notify_protocol_over_a_real_unix_datagram_socket(ws, smtp, tmp_path):
    smtp_config(ws, smtp.port, daemon=f'interval = "1h"\ntimezone = "Europe/Berlin"\ndatabase = "{ws.db_path}"\n')
    ledger_due_from_today(ws, 2)
    for abstract in (False, True):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        name = f"\0overdue-test-{os.getpid()}-{random.random()}" if abstract else str(tmp_path / "notify.sock")
        sock.bind(name)
        sock.settimeout(10)
        env = {"NOTIFY_SOCKET": "@" + name[1:] if abstract else name, "WATCHDOG_USEC": "400000"}
        proc = start_daemon(ws, env=env)
        received = []

        def until(prefix):
            while True:
                datagram = sock.recv(4096).decode().split("\n")
                received.extend(datagram)
                for line in datagram:
                    if line.startswith(prefix):
                        return line
        try:
            until("READY=1")
            status_line = until("STATUS=")
            assert "tick at" in status_line and "next tick" in status_line
            watchdog_start = time.monotonic()
            until("WATCHDOG=1")
            until("WATCHDOG=1")
            assert time.monotonic() - watchdog_start < 1.5, "pinged about every WATCHDOG_USEC/2"
            proc.send_signal(signal.SIGHUP)
            until("RELOADING=1")
            assert any(d.startswith("MONOTONIC_USEC=") for d in received)
            until("READY=1")
            proc.send_signal(signal.SIGTERM)
            until("STOPPING=1")
            assert proc.wait(timeout=10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
            sock.close()


# A slow server (20 ms per message): kills land inside SMTP transactions, batches are one or two
# messages. A fast one: batches grow towards 50, so a kill lands inside a batch of many, marked
# `sending` together, some sent and some not.
@pytest.mark.parametrize("delay,count,kills,window,min_delivered", [
    (0.02, 300, 12, (0.1, 1.2), 250),
    (0.0, 600, 8, (0.15, 0.9), 600 - 8 * 50),
], ids=["slow-server", "fast-server-large-batches"])
def test_sigkill_at_random_moments_never_sends_an_invoice_twice_nor_loses_one(ws, tmp_path, delay, count, kills, window,
                                                                               min_delivered):
    server = SMTPServer(tmp_path / "received", delay=delay).start()
    try:
        smtp_config(ws, server.port, daemon=f'interval = "1h"\ntimezone = "Europe/Berlin"\ndatabase = "{ws.db_path}"\n')
        numbers = ledger_due_from_today(ws, count)
        rng = random.Random(8)
        planned_kills, kills = kills, 0
        while kills < planned_kills:
            proc = start_daemon(ws, log_level="notice")
            time.sleep(rng.uniform(*window))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        # Then let it finish: a last run until nothing is pending, stopped cleanly (once it has
        # started and ticked: the killed runs may have drained the outbox already).
        ticks_before = len(events(ws, "tick.finished"))
        proc = start_daemon(ws, log_level="notice")
        wait_for(lambda: len(events(ws, "tick.finished")) > ticks_before, timeout=120, interval=0.2, what="a tick")
        wait_for(lambda: (lambda s: s["pending"] == 0 and s["retrying"] == 0)(status(ws)),
                 timeout=120, interval=0.5, what="the outbox to drain")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0

        received = Counter(identify(m) for m in server.messages())
        duplicates = [key for key, n in received.items() if n > 1]
        assert duplicates == [], f"received twice: {duplicates}"
        report = status(ws)
        ambiguous = {(d["invoice"], d["stage"]) for d in report["deliveries"]["ambiguous"]}
        expected = {(n, "reminder-7") for n in numbers}
        lost = expected - set(received) - ambiguous
        assert lost == set(), f"neither delivered nor reported ambiguous: {sorted(lost)[:10]}"
        assert set(received) <= expected
        assert report["failed"] == 0
        assert len(received) >= min_delivered, "most reminders should have been delivered"
        assert ws.run("audit", "verify").returncode == 0
        # Every ambiguous one is on record as such.
        assert {(e["invoice"], e["stage"]) for e in audit(ws, "reminder.ambiguous")} == ambiguous
        print(f"kills={kills} delivered={len(received)} ambiguous={len(ambiguous)}")
    finally:
        server.stop()


def test_outage_then_recovery_every_reminder_goes_out_once_and_none_fails(ws, tmp_path):
    port = free_port()
    smtp_config(ws, port)
    rows = [invoice_row(f"INV-{i}", client=f"c{i}", due="2026-01-01") for i in range(20)]
    ws.run("import", ws.write_csv("twenty.csv", rows), check=0)
    t0 = "2026-01-09T10:00:00Z"
    expected = {(l["invoice"], l["stage"]) for l in plan(ws, t0)}
    assert len(expected) == 20

    # Server down: the attempt that met it is retried on the schedule, the tick stops there,
    # the other 19 stay queued; nothing fails and nothing is counted against them.
    ws.run("tick", "--as-of", t0, check=0)
    report = status(ws)
    assert (report["retrying"], report["pending"], report["failed"]) == (1, 19, 0)
    assert [d["next_attempt"] for d in report["deliveries"]["retrying"]] == ["2026-01-09T10:05:00Z"]
    assert report["server_problem"] is not None
    ws.run("tick", "--as-of", "2026-01-09T10:05:00Z", check=0)    # still down: 2nd failure, retry at +30m
    assert [d["next_attempt"] for d in status(ws)["deliveries"]["retrying"]] == ["2026-01-09T10:35:00Z"]

    server = SMTPServer(tmp_path / "received", port=port).start()  # back
    try:
        ws.run("tick", "--as-of", "2026-01-09T10:20:00Z", check=0)  # the 19 never tried go out now
        assert len(server.files()) == 19
        assert status(ws)["server_problem"] is None
        ws.run("tick", "--as-of", "2026-01-09T10:35:00Z", check=0)  # the retried one on its schedule
        received = Counter(identify(m) for m in server.messages())
        assert set(received) == expected and set(received.values()) == {1}
        ws.run("tick", "--as-of", "2026-01-09T12:00:00Z", check=0)
        assert len(server.files()) == 20
        report = status(ws)
        assert (report["pending"], report["retrying"], report["failed"]) == (0, 0, 0)
        assert len(audit(ws, "reminder.deferred")) == 2
    finally:
        server.stop()


@pytest.mark.parametrize("mode,code", [("permfail", "554"), ("rcptfail", "550")])
def test_permanent_refusal_fails_at_once_and_tells_the_owner_once(ws, tmp_path, mode, code):
    server = SMTPServer(tmp_path / "received", mode=mode).start()
    try:
        smtp_config(ws, server.port)
        ws.run("import", ws.write_csv("one.csv", [invoice_row("INV-1", due="2026-01-01")]), check=0)
        ws.run("tick", "--as-of", "2026-01-09T10:00:00Z", check=0)
        assert status(ws)["failed"] == 1
        failed = audit(ws, "reminder.failed")
        assert len(failed) == 1 and code in failed[0]["details"]["reply"]
        notified = audit(ws, "owner.notified")
        assert len(notified) == 1 and notified[0]["details"]["kind"] == "delivery-failed"
        ws.run("tick", "--as-of", "2026-01-09T11:00:00Z", check=0)
        assert len(audit(ws, "owner.notified")) == 1
    finally:
        server.stop()
