"""`overdue invoice`, `client`, `plan` and `audit` through the real binary and a real SQLite file."""
import csv
import io
import json
import sqlite3

from conftest import invoice_row


def plan(ws, *args):
    out = ws.run("plan", "--format", "json", *args, check=0).stdout
    return [json.loads(line) for line in out.splitlines()]


def audit(ws, *args):
    return [json.loads(l) for l in ws.run("audit", "--format", "json", *args, check=0).stdout.splitlines()]


def test_database_is_wal_with_full_sync(ws):
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1")]), check=0)
    with sqlite3.connect(ws.db_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_partial_payments_add_up_and_close_the_invoice(ws):
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1", amount="100.00")]), check=0)
    ws.run("invoice", "pay", "INV-1", "30.00", "--on", "2026-03-05", check=0)
    ws.run("invoice", "pay", "INV-1", "20.50", check=0)
    shown = json.loads(ws.run("invoice", "show", "INV-1", "--format", "json", check=0).stdout)
    assert shown["paid"] == "50.50" and shown["amount_due"] == "49.50"
    line = plan(ws, "--all", "--as-of", "2026-03-20")[0]
    assert line["amount_due"] == "49.50" and line["stage"] == "reminder-7"
    ws.run("invoice", "pay", "INV-1", "49.50", check=0)
    line = plan(ws, "--all", "--as-of", "2026-03-20")[0]
    assert line["action"] == "none" and line["reason"] == "closed"
    assert len(audit(ws, "--event", "invoice.paid")) == 3


def test_payment_with_too_many_digits_is_refused(ws):
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1", amount="100", currency="JPY")]), check=0)
    result = ws.run("invoice", "pay", "INV-1", "10.5")
    assert result.returncode == 65 and "amount" in result.stderr


def test_plan_json_has_the_contract_keys_in_order(ws):
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-7", due="2026-01-29")]), check=0)
    out = ws.run("plan", "--format", "json", "--as-of", "2026-03-01", check=0).stdout
    assert out == ('{"invoice":"INV-7","client":"acme","stage":"reminder-30","action":"email","days_overdue":31,'
                   '"amount_due":"1200.00","currency":"EUR","to":["ap@acme.example"]}\n')


def test_plan_all_lists_every_invoice_with_its_reason_in_byte_order(ws):
    rows = [invoice_row("INV-9", due="2026-03-01"), invoice_row("INV-10", due="2026-06-01"),
            invoice_row("INV-2", due="2026-02-01", status="paid", paid="1200.00"),
            invoice_row("INV-3", client="held", due="2026-01-01")]
    ws.run("import", ws.write_csv("a.csv", rows), check=0)
    ws.run("invoice", "hold", "INV-3", "--reason", "disputed", check=0)
    lines = plan(ws, "--all", "--as-of", "2026-03-01")
    assert [l["invoice"] for l in lines] == ["INV-10", "INV-2", "INV-3", "INV-9"]
    by = {l["invoice"]: l for l in lines}
    assert by["INV-10"]["reason"] == "not-due" and by["INV-10"]["stage"] is None
    assert by["INV-2"]["reason"] == "closed"
    assert by["INV-3"]["reason"] == "hold"
    assert by["INV-9"]["action"] == "email" and by["INV-9"]["stage"] == "friendly"
    assert [l["invoice"] for l in plan(ws, "--as-of", "2026-03-01")] == ["INV-9"]


def test_client_hold_and_block_stop_reminders_with_precedence(ws):
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1", due="2026-01-01")]), check=0)
    ws.run("client", "hold", "acme", check=0)
    assert plan(ws, "--all", "--as-of", "2026-03-01")[0]["reason"] == "client-hold"
    ws.run("client", "block", "acme", "--reason", "fraud", check=0)
    assert plan(ws, "--all", "--as-of", "2026-03-01")[0]["reason"] == "blocked"
    ws.run("client", "unblock", "acme", check=0)
    ws.run("client", "release", "acme", check=0)
    assert plan(ws, "--all", "--as-of", "2026-03-01")[0]["action"] == "email"
    assert [e["event"] for e in audit(ws, "--client", "acme", "--event", "client")][-4:] == [
        "client.held", "client.blocked", "client.unblocked", "client.released"]


def test_plan_has_no_side_effects(ws):
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1", due="2026-01-01")]), check=0)
    before = ws.run("audit", "--format", "json", check=0).stdout
    plan(ws, "--all", "--as-of", "2026-03-01")
    assert ws.run("audit", "--format", "json", check=0).stdout == before


def test_write_off_with_block_client(ws):
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1", due="2026-01-01")]), check=0)
    ws.run("invoice", "write-off", "INV-1", "--block-client", check=0)
    shown = json.loads(ws.run("invoice", "show", "INV-1", "--format", "json", check=0).stdout)
    assert shown["status"] == "written_off"
    client = json.loads(ws.run("client", "show", "acme", "--format", "json", check=0).stdout)
    assert client["blocked"] is True
    assert [e["event"] for e in audit(ws)][-2:] == ["invoice.written_off", "client.blocked"]


def test_unknown_invoice_is_exit_65(ws):
    ws.run("init", check=0)
    for args in [("invoice", "show", "NOPE"), ("invoice", "pay", "NOPE", "1.00"), ("invoice", "hold", "NOPE")]:
        result = ws.run(*args)
        assert result.returncode == 65, args
        assert "NOPE" in result.stderr


def test_invoice_add_validates_like_import_and_warns_for_blocked_client(ws):
    ws.run("invoice", "add", "INV-1", "--client", "acme", "--client-name", "Acme", "--client-email", "ap@acme.example",
           "--issued", "2026-01-01", "--due", "2026-02-01", "--amount", "10.00", "--currency", "EUR", check=0)
    bad = ws.run("invoice", "add", "INV-2", "--client", "acme", "--issued", "2026-01-01", "--due", "2026-02-01",
                 "--amount", "10.001", "--currency", "EUR")
    assert bad.returncode == 65 and "amount" in bad.stderr
    ws.run("client", "block", "acme", check=0)
    result = ws.run("invoice", "add", "INV-3", "--client", "acme", "--issued", "2026-01-01", "--due", "2026-02-01",
                    "--amount", "5", "--currency", "EUR", check=0)
    assert "blocked" in result.stderr


def test_audit_formats_and_filters(ws):
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1"), invoice_row("INV-2", client="globex")]), check=0)
    ws.run("invoice", "hold", "INV-2", check=0)
    entries = audit(ws)
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert all(e["at"].endswith("Z") for e in entries)
    assert [e["event"] for e in audit(ws, "--invoice", "INV-2")] == ["invoice.imported", "invoice.held"]
    rows = list(csv.DictReader(io.StringIO(ws.run("audit", "--format", "csv", check=0).stdout)))
    assert len(rows) == len(entries) and rows[0]["event"] == entries[0]["event"]
    assert "invoice.held" in ws.run("audit", check=0).stdout
    assert audit(ws, "--since", "2000-01-01T00:00:00Z", "--until", "2000-01-02T00:00:00Z") == []


def test_audit_verify_passes_then_detects_tampering(ws):
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1"), invoice_row("INV-2")]), check=0)
    ws.run("invoice", "pay", "INV-1", "5.00", check=0)
    assert ws.run("audit", "verify", check=0).stdout.startswith("audit trail intact")
    paid_seq = audit(ws, "--event", "invoice.paid")[0]["seq"]
    with sqlite3.connect(ws.db_path) as db:
        # The database itself refuses changes to the trail ...
        for statement in ["UPDATE audit SET event = 'x' WHERE seq = 2", "DELETE FROM audit WHERE seq = 2"]:
            try:
                db.execute(statement)
                raise AssertionError(f"database accepted: {statement}")
            except sqlite3.DatabaseError:
                pass
    # ... and someone who drops the guards to rewrite history is caught.
    with sqlite3.connect(ws.db_path) as db:
        triggers = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
        for name in triggers:
            db.execute(f'DROP TRIGGER "{name}"')
        db.execute("UPDATE audit SET details = replace(details, '5.00', '50.00') WHERE event = 'invoice.paid'")
    result = ws.run("audit", "verify")
    assert result.returncode == 65
    assert f"seq {paid_seq}:" in result.stderr


def test_bad_as_of_is_a_usage_error(ws):
    result = ws.run("plan", "--as-of", "yesterday")
    assert result.returncode == 64 and "--as-of" in result.stderr


def test_missing_config_is_exit_78(ws):
    from conftest import run_overdue
    result = run_overdue("plan", "--config", ws.dir / "missing.toml")
    assert result.returncode == 78 and "missing.toml" in result.stderr
