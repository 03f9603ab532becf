"""The ledger is a file the owner asked for, and exclusion and durability belong to that file:
no path, symlink or deleted lock file makes two senders, no command starts an empty ledger by
itself, a ledger deleted from under the daemon stops it, and a sent message's outcome is
recorded however long another writer holds the database."""
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import OVERDUE_BIN, invoice_row, run_overdue
from test_daemon import SMTPServer, audit, identify, smtp, smtp_config  # noqa: F401 (smtp is a fixture)
from test_daemon_run import ledger_due_from_today, wait_for


def daemon_settings(ws, database=None, interval="1h"):
    return f'interval = "{interval}"\ntimezone = "Europe/Berlin"\ndatabase = "{database or ws.db_path}"\n'


def spawn(ws, *args, config=None, log_name="daemon.log"):
    env = dict(os.environ)
    env.pop("OVERDUE_CONFIG", None)
    env.pop("NOTIFY_SOCKET", None)
    log = open(ws.dir / log_name, "ab")
    return subprocess.Popen([OVERDUE_BIN, *args, "--config", str(config or ws.config_path), "--log-level", "info"],
                            stdout=subprocess.PIPE, stderr=log, env=env)


def sent_keys(server):
    return [identify(m) for m in server.messages()]


def rows_in(path, sql):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


# A. The sender lock belongs to the ledger file.

def test_a_second_sender_reaching_the_ledger_through_a_symlink_or_dotdot_or_after_lock_files_are_deleted_exits_75(ws, tmp_path):
    smtp = SMTPServer(tmp_path / "received", delay=0.3).start()
    try:
        smtp_config(ws, smtp.port, daemon=daemon_settings(ws))
        numbers = ledger_due_from_today(ws, 12)
        (tmp_path / "other").mkdir()
        link = tmp_path / "other" / "link.sqlite"
        link.symlink_to(ws.db_path)
        (ws.dir / "sub").mkdir()
        configs = []
        for name, database in [("symlink", link), ("dotdot", f"{ws.dir}/sub/../{ws.db_path.name}")]:
            path = ws.dir / f"{name}.toml"
            path.write_text(ws.config_text(daemon=daemon_settings(ws, database),
                                           smtp=f'url = "smtp://127.0.0.1:{smtp.port}"\nstarttls = "none"\ntimeout = "5s"\n'))
            configs.append(path)
        daemon = spawn(ws, "run")
        try:
            wait_for(lambda: len(smtp.files()) >= 1, what="the daemon's first message")
            for leftover in ws.dir.glob("*.lock"):
                leftover.unlink()
            for config in configs:
                result = run_overdue("tick", "--config", config)
                assert result.returncode == 75, result.stderr
                assert "another overdue" in result.stderr and "sending" in result.stderr
                result = run_overdue("run", "--config", config, timeout=10)
                assert result.returncode == 75, result.stderr
            wait_for(lambda: len(smtp.files()) == len(numbers), timeout=60, what="every reminder")
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=20) == 0
        keys = sent_keys(smtp)
        assert len(keys) == len(set(keys)) == len(numbers)
        assert not list(ws.dir.glob("*.lock"))
    finally:
        smtp.stop()


# B1. A ledger is created only where the owner asked for one.

READING_AND_SENDING = [
    ["plan"], ["status"], ["tick"], ["audit"], ["audit", "verify"], ["preview", "INV-1"], ["invoice", "list"],
    ["invoice", "show", "INV-1"], ["invoice", "pay", "INV-1", "10.00"], ["invoice", "hold", "INV-1"],
    ["client", "list"], ["client", "block", "acme"],
]


def test_every_reading_or_sending_command_on_a_missing_ledger_exits_74_naming_it_and_creates_nothing(ws):
    for args in READING_AND_SENDING:
        result = ws.run(*args)
        assert result.returncode == 74, (args, result.stderr)
        assert str(ws.db_path) in result.stderr and "overdue init" in result.stderr, (args, result.stderr)
        assert not ws.db_path.exists(), args
    assert sorted(p.name for p in ws.dir.iterdir()) == ["overdue.toml", "templates"]


def test_init_creates_an_empty_ledger_once_and_refuses_to_touch_an_existing_one(ws):
    result = ws.run("init", check=0)
    assert str(ws.db_path) in result.stdout
    assert "intact" in ws.run("audit", "verify", check=0).stdout
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1")]), check=0)
    result = ws.run("init", check=73)
    assert "already exists" in result.stderr
    assert "INV-1" in ws.run("invoice", "list", check=0).stdout


def test_first_import_and_invoice_add_create_the_ledger_and_a_dry_run_creates_nothing(ws):
    result = ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1")]), "--dry-run", check=0)
    assert "would add 1" in result.stdout
    assert not ws.db_path.exists()
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1")]), check=0)
    assert ws.db_path.exists()
    other = ws.dir / "other.sqlite"
    ws.write_config(daemon=daemon_settings(ws, other))
    ws.run("invoice", "add", "INV-9", "--client", "zeta", "--client-name", "Zeta", "--client-email", "ap@zeta.example",
           "--issued", "2026-01-01", "--due", "2026-02-01", "--amount", "10.00", "--currency", "EUR", check=0)
    assert other.exists()


@pytest.mark.parametrize("content", [b"", b"A" * 8192, "sqlite-other"], ids=["empty", "garbage", "other-sqlite"])
def test_a_file_that_is_not_a_ledger_is_refused_by_every_command_and_left_unchanged(ws, content):
    if content == "sqlite-other":
        db = sqlite3.connect(ws.db_path)
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        db.commit()
        db.close()
    else:
        ws.db_path.write_bytes(content)
    before = ws.db_path.read_bytes()
    for args in [["status"], ["tick"], ["import", ws.write_csv("a.csv", [invoice_row("INV-1")])], ["init"]]:
        result = ws.run(*args)
        assert result.returncode == 74, (args, result.stderr)
        assert str(ws.db_path) in result.stderr, result.stderr
        expected = {b"": "empty (0 bytes)", "sqlite-other": "not an overdue ledger"}.get(content, "not a SQLite database")
        assert expected in result.stderr, result.stderr
    assert ws.db_path.read_bytes() == before


def test_a_truncated_ledger_is_not_started_over_so_nothing_is_sent_twice(ws, smtp):
    smtp_config(ws, smtp.port, daemon=daemon_settings(ws))
    ledger_due_from_today(ws, 3)
    ws.run("tick", check=0)
    assert len(smtp.files()) == 3
    for suffix in ["", "-wal", "-shm"]:
        path = ws.dir / (ws.db_path.name + suffix)
        if path.exists():
            path.write_bytes(b"") if suffix == "" else path.unlink()
    ws.run("import", ws.dir / "many.csv", check=74)
    ws.run("tick", check=74)
    assert len(smtp.files()) == 3


def test_run_creates_the_ledger_on_a_first_start_in_an_empty_folder_but_not_beside_another_ledger(ws, tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    ws.write_config(daemon=daemon_settings(ws, state / "overdue.sqlite"))
    daemon = spawn(ws, "run")
    wait_for(lambda: (state / "overdue.sqlite").exists() and
             rows_in(state / "overdue.sqlite", "SELECT count(*) FROM audit WHERE event = 'daemon.started'")[0][0] == 1,
             what="daemon.started")
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=20) == 0

    ws.write_config(daemon=daemon_settings(ws, state / "overdu.sqlite"))
    result = ws.run("run", timeout=20)
    assert result.returncode == 74, result.stderr
    assert str(state / "overdu.sqlite") in result.stderr and str(state / "overdue.sqlite") in result.stderr
    assert not (state / "overdu.sqlite").exists()


# B2. A ledger that is no longer the file on disk stops the daemon; what it recorded is kept.

def test_deleting_the_write_ahead_log_under_the_daemon_stops_it_with_74_and_keeps_what_it_sent(ws, smtp):
    smtp_config(ws, smtp.port, daemon=daemon_settings(ws, interval="2s"))
    numbers = ledger_due_from_today(ws, 3)
    daemon = spawn(ws, "run")
    try:
        wait_for(lambda: len(smtp.files()) == 3, what="the first tick's messages")
        wal = ws.dir / (ws.db_path.name + "-wal")
        wait_for(lambda: wal.exists(), what="the write-ahead log")
        time.sleep(0.5)
        wal.unlink()
        assert daemon.wait(timeout=20) == 74
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    log = (ws.dir / "daemon.log").read_text()
    assert any(line.startswith("<3>") and "write-ahead log" in line for line in log.splitlines()), log
    sent = [e for e in audit(ws, "reminder.sent")]
    assert sorted(e["invoice"] for e in sent) == numbers
    ws.run("tick", check=0)
    assert len(smtp.files()) == 3


def test_replacing_the_ledger_file_under_the_daemon_stops_it_with_74(ws, smtp):
    smtp_config(ws, smtp.port, daemon=daemon_settings(ws, interval="2s"))
    ledger_due_from_today(ws, 1)
    daemon = spawn(ws, "run")
    try:
        wait_for(lambda: len(smtp.files()) == 1, what="the first tick")
        os.rename(ws.db_path, ws.dir / "moved.sqlite")
        assert daemon.wait(timeout=20) == 74
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    assert "database file was deleted" in (ws.dir / "daemon.log").read_text()


# B3. The outcome of a message the server accepted is recorded, however long it takes.

def test_an_outcome_is_recorded_even_when_another_process_holds_the_write_lock_longer_than_busy_timeout(ws, tmp_path):
    smtp = SMTPServer(tmp_path / "received", delay=2.0).start()
    try:
        smtp_config(ws, smtp.port, daemon=daemon_settings(ws))
        ledger_due_from_today(ws, 1)
        tick = spawn(ws, "tick", log_name="tick.log")
        wait_for(lambda: rows_in(ws.db_path, "SELECT count(*) FROM dispatches WHERE state = 'sending'")[0][0] == 1,
                 what="the sending mark")
        holder = sqlite3.connect(ws.db_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        time.sleep(13)
        holder.execute("ROLLBACK")
        holder.close()
        assert tick.wait(timeout=60) == 0
        log = (ws.dir / "tick.log").read_text()
        assert any(line.startswith("<3>") and "locked" in line and "retrying" in line for line in log.splitlines()), log
        assert len(audit(ws, "reminder.sent")) == 1
        assert rows_in(ws.db_path, "SELECT state FROM dispatches") == [("sent",)]
        assert len(smtp.files()) == 1
    finally:
        smtp.stop()


# Disk full: said as such, with the place.

def test_a_full_disk_is_reported_as_full_naming_the_folder_and_nothing_is_imported(ws, tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        ws.write_config(daemon=daemon_settings(ws, mount / "overdue.sqlite"))
        ws.run("init", check=0)
        rows = [invoice_row(f"INV-{i:05d}", client=f"c{i % 300}") for i in range(4000)]
        result = ws.run("import", ws.write_csv("big.csv", rows))
        assert result.returncode == 74, result.stderr
        assert "disk is full" in result.stderr and str(mount) in result.stderr, result.stderr
        assert "disk I/O error" not in result.stderr.split("(")[0]
        assert ws.run("invoice", "list", check=0).stdout.count("INV-") == 0
    finally:
        subprocess.run(["umount", str(mount)])


def test_a_large_import_lets_another_writer_in_between_its_chunks_and_still_imports_every_row(ws):
    # The import lets go of the write lock for a few milliseconds after each chunk of about a
    # second; a writer that starts waiting mid-import gets in at the next of those pauses, so
    # it commits while the import is still writing (the ledger holds some of the file's rows
    # but not all) and waits about one chunk, not for the rest of the import. How many pauses
    # fall while a hold waits depends on the machine's speed; at least one always does.
    ws.run("import", ws.write_csv("one.csv", [invoice_row("INV-0")]), check=0)
    rows = [invoice_row(f"INV-{i:06d}", client=f"c{i % 500}") for i in range(1, 100001)]
    big = ws.write_csv("big.csv", rows)
    importer = subprocess.Popen([OVERDUE_BIN, "import", str(big), "--config", str(ws.config_path)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    waited = []
    while importer.poll() is None:
        before = time.monotonic()
        result = ws.run("invoice", "hold", "INV-0", "--reason", f"check {len(waited)}")
        seconds = round(time.monotonic() - before, 2)
        imported = rows_in(ws.db_path, "SELECT count(*) FROM invoices")[0][0]
        waited.append((seconds, result.returncode, 1 < imported < 100001))
    out, err = importer.communicate(timeout=300)
    assert importer.returncode == 0, err
    assert "100000 added" in out
    assert all(code == 0 and seconds < 3 for seconds, code, _ in waited), waited
    assert sum(1 for _, _, between_chunks in waited if between_chunks) >= 1, waited
    assert rows_in(ws.db_path, "SELECT count(*) FROM invoices")[0][0] == 100001
    assert ws.run("audit", "verify", check=0)


def test_a_full_disk_under_the_file_outbox_is_said_as_such_and_the_reminder_is_retried_not_failed(ws, tmp_path):
    mount = tmp_path / "outbox"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        ws.write_config(smtp=f'url = "file://{mount}"\ntimeout = "10s"\n')
        ledger_due_from_today(ws, 1)
        filler = os.open(mount / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(filler, b"x" * 4096)
        except OSError:
            pass
        finally:
            os.close(filler)
        result = ws.run("tick", check=0)
        assert "disk is full" in result.stderr and str(mount) in result.stderr, result.stderr
        assert rows_in(ws.db_path, "SELECT state FROM dispatches") == [("retrying",)]
        assert not audit(ws, "reminder.failed")
    finally:
        subprocess.run(["umount", str(mount)])
