"""Fees are debts: a stage's fee is charged to the invoice when its message is sent, so every
amount a client is asked for is one the ledger holds, can be paid in full, and can be waived.
Driven through the built binary against real SMTP servers on 127.0.0.1."""
import email
import json
import pathlib
import re
import sqlite3

from conftest import ROOT, invoice_row
from smtp_servers import certs, password_file, servers, smtp_config  # noqa: F401
from test_daemon import MARKER_TEMPLATE, audit

FEE_STAGES = """
[[stage]]
name = "reminder-7"
days = 7
template = "reminder-7"
subject = "Invoice {{invoice.number}} is overdue"
fee = ["15.00 GBP", "1500 JPY", "2.500 KWD"]

[[stage]]
name = "reminder-30"
days = 30
template = "reminder-30"
subject = "Invoice {{invoice.number}} is still overdue"

[[stage]]
name = "hand-off"
days = 90
action = "escalate"
"""

FIRST_TICK = "2026-01-09T10:00:00Z"   # 8 days after the due date: reminder-7


def setup(ws, server, password_file, certs, rows):
    for name in ["reminder-7", "reminder-30"]:
        (ws.templates / f"{name}.txt").write_text(MARKER_TEMPLATE)
    ws.write_config(stages=FEE_STAGES,
                    smtp=smtp_config(server.port, password_file=password_file, ca_file=certs["ca"]))
    ws.run("import", ws.write_csv("invoices.csv", rows), check=0)


def stated_amounts(server):
    """{invoice: amount_due} as each received message states it."""
    out = {}
    for _, raw in server.messages():
        body = email.message_from_bytes(raw).get_payload(decode=True).decode()
        match = re.search(r"invoice=(\S+) stage=\S+ amount_due=(\S+)", body)
        out[match.group(1)] = match.group(2)
    return out


def show(ws, number):
    return json.loads(ws.run("invoice", "show", number, "--format", "json", check=0).stdout)


def plan_all(ws, as_of):
    lines = ws.run("plan", "--all", "--as-of", as_of, "--format", "json", check=0).stdout.splitlines()
    return {line["invoice"]: line for line in map(json.loads, lines)}


def test_the_fee_a_message_states_is_charged_payable_in_full_and_the_invoice_then_closes_at_zero(
        ws, servers, certs, password_file):
    server = servers.aiosmtpd("starttls")
    setup(ws, server, password_file, certs, [
        invoice_row("INV-A", client="acme", due="2026-01-01", amount="850.00", currency="GBP"),
        invoice_row("INV-B", client="bolt", due="2026-01-01", amount="850.00", currency="GBP"),
    ])
    ws.run("tick", "--as-of", FIRST_TICK, check=0)
    assert stated_amounts(server) == {"INV-A": "865.00", "INV-B": "865.00"}

    shown = show(ws, "INV-A")
    assert (shown["amount"], shown["fees"], shown["paid"], shown["amount_due"]) == ("850.00", "15.00", "0.00", "865.00")
    assert [(f["stage"], f["amount"], f["charged_at"], f["waived"]) for f in shown["fee_charges"]] == [
        ("reminder-7", "15.00", FIRST_TICK, False)]
    text = ws.run("invoice", "show", "INV-A", check=0).stdout
    assert "balance     865.00 GBP" in text and "fees        15.00 GBP" in text and "reminder-7" in text
    listed = {row["number"]: row for row in map(json.loads, ws.run("invoice", "list", "--format", "json", check=0).stdout.splitlines())}
    assert listed["INV-A"]["amount_due"] == "865.00"
    charged = [e for e in audit(ws, "invoice.fee_charged") if e["invoice"] == "INV-A"]
    assert [(e["stage"], e["details"]["amount"], e["details"]["currency"]) for e in charged] == [("reminder-7", "15.00", "GBP")]

    # The amount the email stated is accepted, and no more.
    assert ws.run("invoice", "pay", "INV-A", "865.01").returncode == 65
    paid = ws.run("invoice", "pay", "INV-A", "865.00", check=0)
    assert "status paid" in paid.stdout
    # Paying only the invoice's amount leaves the fee owed: open, and asked for.
    ws.run("invoice", "pay", "INV-B", "850.00", check=0)
    plan = plan_all(ws, "2026-02-02")
    assert (plan["INV-A"]["reason"], plan["INV-A"]["amount_due"]) == ("closed", "0.00")
    assert (plan["INV-B"]["action"], plan["INV-B"]["amount_due"]) == ("email", "15.00")
    ws.run("invoice", "pay", "INV-B", "15.00", check=0)
    plan = plan_all(ws, "2026-02-02")
    assert (plan["INV-B"]["reason"], plan["INV-B"]["amount_due"]) == ("closed", "0.00")
    assert ws.run("audit", "verify").returncode == 0


def test_each_currency_is_charged_its_own_fee_and_a_currency_without_one_none(ws, servers, certs, password_file):
    server = servers.aiosmtpd("starttls")
    setup(ws, server, password_file, certs, [
        invoice_row("INV-JPY", client="yen", due="2026-01-01", amount="120000", currency="JPY"),
        invoice_row("INV-KWD", client="dinar", due="2026-01-01", amount="12.500", currency="KWD"),
        invoice_row("INV-EUR", client="euro", due="2026-01-01", amount="1200.00", currency="EUR"),
    ])
    ws.run("tick", "--as-of", FIRST_TICK, check=0)
    stated = stated_amounts(server)
    assert stated == {"INV-JPY": "121500", "INV-KWD": "15.000", "INV-EUR": "1200.00"}
    for number, amount in stated.items():
        assert show(ws, number)["amount_due"] == amount, number
    assert [f["amount"] for f in show(ws, "INV-KWD")["fee_charges"]] == ["2.500"]
    assert show(ws, "INV-EUR")["fee_charges"] == []
    assert sorted(e["invoice"] for e in audit(ws, "invoice.fee_charged")) == ["INV-JPY", "INV-KWD"]
    # The next reminder states the balance with the fee charged once, not the fee again.
    ws.run("tick", "--as-of", "2026-02-02T10:00:00Z", check=0)
    assert len(server.messages()) == 6
    assert stated_amounts(server) == stated
    assert sorted(e["invoice"] for e in audit(ws, "invoice.fee_charged")) == ["INV-JPY", "INV-KWD"]


def test_a_failed_a_retrying_and_a_withdrawn_message_charge_nothing(ws, servers):
    for name in ["reminder-7", "reminder-30"]:
        (ws.templates / f"{name}.txt").write_text(MARKER_TEMPLATE)
    rows = [invoice_row("INV-1", due="2026-01-01", amount="850.00", currency="GBP")]
    refusing = servers.sink("-f", "RCPT", "-B", "550 5.1.1 No such user")
    ws.write_config(stages=FEE_STAGES, smtp=smtp_config(refusing.port, starttls="none", username=None))
    ws.run("import", ws.write_csv("a.csv", rows), check=0)
    ws.run("tick", "--as-of", FIRST_TICK, check=0)
    assert show(ws, "INV-1")["dispatches"][0]["state"] == "failed"
    assert show(ws, "INV-1")["amount_due"] == "850.00"

    busy = servers.sink("-r", "RCPT", "-b", "450 4.2.0 Mailbox busy, try later")
    ws.write_config(stages=FEE_STAGES, smtp=smtp_config(busy.port, starttls="none", username=None))
    ws.run("import", ws.write_csv("b.csv", [invoice_row("INV-2", client="bolt", due="2026-01-01", amount="850.00",
                                                        currency="GBP")]), check=0)
    ws.run("tick", "--as-of", FIRST_TICK, check=0)
    assert show(ws, "INV-2")["dispatches"][0]["state"] == "retrying"
    assert show(ws, "INV-2")["amount_due"] == "850.00"
    # Paid in full while it waits: the retry is withdrawn, and its fee never charged.
    ws.run("invoice", "pay", "INV-2", "850.00", check=0)
    ws.run("tick", "--as-of", "2026-01-09T11:00:00Z", check=0)
    withdrawn = show(ws, "INV-2")["dispatches"][0]
    assert (withdrawn["state"], withdrawn["reply"]) == ("withdrawn", "withdrawn: the invoice is paid")
    assert (show(ws, "INV-2")["amount_due"], show(ws, "INV-2")["status"]) == ("0.00", "paid")
    assert audit(ws, "invoice.fee_charged") == []


def test_waive_removes_the_charged_fees_and_an_invoice_owing_nothing_becomes_paid(ws, servers, certs, password_file):
    server = servers.aiosmtpd("starttls")
    setup(ws, server, password_file, certs, [invoice_row("INV-1", due="2026-01-01", amount="850.00", currency="GBP")])
    assert ws.run("invoice", "waive", "INV-1").returncode == 65, "nothing charged yet"
    ws.run("tick", "--as-of", FIRST_TICK, check=0)
    ws.run("invoice", "pay", "INV-1", "850.00", check=0)
    assert show(ws, "INV-1")["status"] == "open"

    result = ws.run("invoice", "waive", "INV-1", "--reason", "first late payment", check=0)
    assert "waived fees 15.00 GBP" in result.stdout
    shown = show(ws, "INV-1")
    assert (shown["amount_due"], shown["fees"], shown["status"]) == ("0.00", "0.00", "paid")
    assert [(f["waived"], f["waive_reason"]) for f in shown["fee_charges"]] == [(True, "first late payment")]
    assert "first late payment" in ws.run("invoice", "show", "INV-1", check=0).stdout
    waived = audit(ws, "invoice.fee_waived")
    assert [(e["details"]["amount"], e["details"]["reason"]) for e in waived] == [("15.00", "first late payment")]
    second = ws.run("invoice", "waive", "INV-1")
    assert second.returncode == 65 and "no charged fees to waive" in second.stderr
    assert (plan_all(ws, "2026-02-02")["INV-1"]["reason"], plan_all(ws, "2026-02-02")["INV-1"]["amount_due"]) == ("closed", "0.00")


def version1_schema():
    """The shipped version 1 DDL, read from the source (a shipped migration never changes)."""
    source = (ROOT / "Sources" / "OverdueSQLite" / "Schema.swift").read_text()
    return re.search(r'private static let version1 = """\n(.*?)\n\s*"""', source, re.S).group(1)


def test_a_ledger_from_before_fees_were_kept_charges_the_fees_its_sent_messages_stated(ws):
    with sqlite3.connect(ws.db_path) as db:
        db.executescript(version1_schema())
        db.executescript("""
            PRAGMA user_version = 1;
            INSERT INTO clients (id, name, emails, created_at, updated_at) VALUES ('acme', 'Acme', 'ap@acme.example', 0, 0);
            INSERT INTO invoices (number, client_id, issue_date, due_date, currency, amount_minor, paid_recorded_minor,
                status, created_at, updated_at) VALUES
                ('INV-OPEN', 'acme', '2025-12-01', '2026-01-01', 'GBP', 85000, 0, 'open', 0, 0),
                ('INV-PAID', 'acme', '2025-12-01', '2026-01-01', 'GBP', 85000, 85000, 'paid', 0, 0),
                ('INV-FAILED', 'acme', '2025-12-01', '2026-01-01', 'GBP', 85000, 0, 'open', 0, 0);
            INSERT INTO messages (id, message_id, recipients, state, attempts, created_at, updated_at) VALUES
                (1, '<1@x>', 'ap@acme.example', 'sent', 1, 1767952800, 1767952801),
                (2, '<2@x>', 'ap@acme.example', 'sent', 1, 1767952800, 1767952801),
                (3, '<3@x>', 'ap@acme.example', 'failed', 1, 1767952800, 1767952801);
            INSERT INTO dispatches (invoice, stage, action, local_date, queued_at, state, recipients, fee_minor, message) VALUES
                ('INV-OPEN', 'reminder-7', 'email', '2026-01-09', 1767952800, 'sent', 'ap@acme.example', 1500, 1),
                ('INV-PAID', 'reminder-7', 'email', '2026-01-09', 1767952800, 'sent', 'ap@acme.example', 1500, 2),
                ('INV-FAILED', 'reminder-7', 'email', '2026-01-09', 1767952800, 'failed', 'ap@acme.example', 1500, 3);
            """)
    ws.write_config(stages=FEE_STAGES)
    shown = show(ws, "INV-OPEN")
    assert (shown["amount_due"], shown["fees"]) == ("865.00", "15.00")
    assert [(f["stage"], f["charged_at"]) for f in shown["fee_charges"]] == [("reminder-7", "2026-01-09T10:00:01Z")]
    assert show(ws, "INV-FAILED")["amount_due"] == "850.00"
    # Settled before fees were kept: on record, waived, and it stays closed at zero.
    paid = show(ws, "INV-PAID")
    assert (paid["amount_due"], paid["status"], paid["fee_charges"][0]["waived"]) == ("0.00", "paid", True)
    plan = plan_all(ws, "2026-02-02")
    assert (plan["INV-PAID"]["reason"], plan["INV-PAID"]["amount_due"]) == ("closed", "0.00")
    assert plan["INV-OPEN"]["amount_due"] == "865.00"

    # Audited once, at the first open, on an intact chain.
    ws.run("status", check=0)
    events = [(e["event"], e["invoice"]) for e in audit(ws, "invoice") if e["event"].startswith("invoice.fee")]
    assert events == [("invoice.fee_charged", "INV-OPEN"), ("invoice.fee_charged", "INV-PAID"), ("invoice.fee_waived", "INV-PAID")]
    assert audit(ws, "invoice.fee_charged")[0]["details"]["migrated"] is True
    assert ws.run("audit", "verify").returncode == 0
    assert ws.run("invoice", "pay", "INV-OPEN", "865.00", check=0).stdout.endswith("status paid\n")
