"""The CLI on a PostgreSQL ledger: `daemon.database = "postgresql://..."`, `ledger copy` both
ways, `status` listing live daemons. Needs OVERDUE_TEST_POSTGRES_URL (a database these tests
empty: schema public is dropped and recreated); skipped without it."""
import json
import os
import subprocess

import pytest

from conftest import OVERDUE_BIN, invoice_row, run_overdue

URL = os.environ.get("OVERDUE_TEST_POSTGRES_URL", "")
pytestmark = pytest.mark.skipif(not URL, reason="OVERDUE_TEST_POSTGRES_URL is not set: no PostgreSQL to run against")


@pytest.fixture
def pg(ws):
    subprocess.run(["psql", URL, "-qc", "SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public"],
                   check=True, capture_output=True)
    return URL


def use(ws, database):
    ws.write_config(daemon=f'interval = "15m"\ntimezone = "Europe/Berlin"\ndatabase = "{database}"\n')


def test_a_password_in_the_database_url_is_refused_naming_the_key(ws):
    use(ws, "postgresql://overdue:s3cret@127.0.0.1/overdue")
    result = ws.run("status", check=78)
    assert "password_file" in result.stderr
    assert "s3cret" not in result.stderr


def test_a_sqlite_ledger_copied_to_postgresql_and_back_keeps_every_entry_and_hash(ws, pg):
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1"), invoice_row("Ä-2", client="beta", due="2026-01-01")]), check=0)
    ws.run("tick", "--as-of", "2026-04-01", check=0)
    ws.run("invoice", "pay", "INV-1", "100.00", check=0)
    before = ws.run("audit", "--format", "json", check=0).stdout

    copied = run_overdue("ledger", "copy", ws.db_path, pg)
    assert copied.returncode == 0, copied.stderr
    assert "audit trail intact" in copied.stdout
    again = run_overdue("ledger", "copy", ws.db_path, pg)
    assert again.returncode == 73 and "not empty" in again.stderr

    use(ws, pg)
    assert ws.run("audit", "--format", "json", check=0).stdout == before
    ws.run("audit", "verify", check=0)
    plan_pg = ws.run("plan", "--as-of", "2026-06-01", check=0).stdout

    back = ws.dir / "back.sqlite"
    assert run_overdue("ledger", "copy", pg, back).returncode == 0
    use(ws, back)
    assert ws.run("audit", "--format", "json", check=0).stdout == before
    assert ws.run("plan", "--as-of", "2026-06-01", check=0).stdout == plan_pg


def test_commands_on_an_empty_database_find_no_ledger_until_one_is_made(ws, pg):
    use(ws, pg)
    assert "no ledger here" in ws.run("status", check=74).stderr
    ws.run("init", check=0)
    ws.run("init", check=73)
    status = json.loads(ws.run("status", "--format", "json", check=0).stdout)
    assert status["daemons"] == []


def test_three_senders_at_once_send_every_reminder_once_and_keep_one_audit_chain(ws, pg):
    use(ws, pg)
    rows = [invoice_row(f"INV-{n:03d}", client=f"c{n % 7}", due="2026-01-01") for n in range(120)]
    ws.run("import", ws.write_csv("a.csv", rows), check=0)
    ticks = [subprocess.Popen([str(OVERDUE_BIN), "tick", "--as-of", "2026-04-01", "--config", str(ws.config_path)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for tick in ticks:
        out, err = tick.communicate(timeout=300)
        assert tick.returncode == 0, err
    ids = [line for eml in ws.outbox.iterdir() for line in eml.read_text().splitlines()
           if line.lower().startswith("message-id:")]
    assert len(ids) == 120 and len(set(ids)) == 120
    status = json.loads(ws.run("status", "--format", "json", check=0).stdout)
    assert status["pending"] == 0 and status["ambiguous"] == 0
    assert "intact: " in ws.run("audit", "verify", check=0).stdout
