"""End-to-end tests of `overdue tick`: the real binary, a real SMTP server on 127.0.0.1 and a
real SQLite file; only the clock is set (`--as-of`).

Every received message is checked against `overdue plan --format json` taken just before the
tick at the same instant. Templates carry a marker line (`OVERDUE-TEST invoice=… stage=…
amount_due=…`) so a received message names what it is without trusting the audit trail.
"""
import email
import email.policy
import json
import os
import pathlib
import random
import signal
import socket
import subprocess
import sys
import time
import textwrap
from datetime import date, datetime, timedelta, timezone

import pytest

from conftest import DEFAULT_STAGES, invoice_row

SYSTEM_PYTHON = "/usr/bin/python3"   # the one that can import aiosmtpd

MARKER_TEMPLATE = textwrap.dedent("""\
    Dear {{client.name}},

    invoice {{invoice.number}} is {{days_overdue}} days overdue; {{invoice.amount_due}} {{invoice.currency}} is due.
    OVERDUE-TEST invoice={{invoice.number}} stage={{stage.name}} amount_due={{invoice.amount_due}} days={{days_overdue}}
    """)

# A minimal SMTP server: every accepted message becomes one file (written whole, then renamed)
# before the 250 reply, as a real MTA commits before it answers. argv: port folder delay [mode]
# mode "accept" (default), "tempfail" (451 on DATA), "permfail" (554 on DATA) or "rcptfail" (550 on RCPT).
SMTP_SERVER = textwrap.dedent("""\
    import asyncio, os, sys, time, uuid
    from aiosmtpd.controller import Controller
    port, folder, delay = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    mode = sys.argv[4] if len(sys.argv) > 4 else "accept"
    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, options):
            if mode == "rcptfail":
                return "550 5.1.1 no such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"
        async def handle_DATA(self, server, session, envelope):
            if mode == "tempfail":
                return "451 4.3.0 try again later"
            if mode == "permfail":
                return "554 5.7.1 message refused"
            if delay:
                await asyncio.sleep(delay)
            name = os.path.join(folder, "%d-%s.eml" % (time.time_ns(), uuid.uuid4().hex))
            with open(name + ".tmp", "wb") as f:
                f.write(("X-Test-Envelope-To: " + ",".join(envelope.rcpt_tos) + "\\r\\n").encode())
                f.write(envelope.original_content)
                f.flush()
                os.fsync(f.fileno())
            os.rename(name + ".tmp", name)
            return "250 2.0.0 Ok: queued"
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    """)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPServer:
    """A real SMTP server on 127.0.0.1 in a subprocess; `messages()` parses what it accepted."""

    def __init__(self, folder: pathlib.Path, port=None, delay=0.0, mode="accept"):
        self.folder = folder
        self.folder.mkdir(exist_ok=True)
        self.port = port or free_port()
        self.delay = delay
        self.mode = mode
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([SYSTEM_PYTHON, "-c", SMTP_SERVER, str(self.port), str(self.folder),
                                      str(self.delay), self.mode], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout.readline().strip() == "ready"
        return self

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def files(self):
        return sorted(p for p in self.folder.iterdir() if p.suffix == ".eml")

    def messages(self):
        return [parse_message(p) for p in self.files()]


def parse_message(path):
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = msg.get_body(preferencelist=("plain",)).get_content()
    marker = {}
    for line in body.splitlines():
        if line.startswith("OVERDUE-TEST "):
            marker = dict(item.split("=", 1) for item in line.split()[1:])
    return {
        "path": path, "message_id": msg["Message-ID"], "to": [a.addr_spec for a in msg["To"].addresses],
        "envelope_to": msg["X-Test-Envelope-To"].split(","), "subject": str(msg["Subject"]), "body": body,
        "marker": marker,
    }


def identify(message, owner="jane@janedoe.example"):
    """(invoice, stage) of a received message: a reminder's marker, or an owner notice's subject."""
    if message["marker"]:
        return message["marker"]["invoice"], message["marker"]["stage"]
    subject = message["subject"]
    if subject.startswith("Decision needed: invoice "):
        return subject.split()[3], "decision"
    if subject.startswith("Not delivered: invoice "):
        return subject.split()[3].rstrip(","), "not-delivered:" + subject.split()[-1]
    raise AssertionError(f"unrecognised message {message['path']}: {subject}")


@pytest.fixture
def smtp(tmp_path):
    server = SMTPServer(tmp_path / "received").start()
    yield server
    server.stop()


def smtp_config(ws, port, extra_smtp="", **overrides):
    for name in ["courtesy", "friendly", "reminder-7", "reminder-30", "final-notice"]:
        (ws.templates / f"{name}.txt").write_text(MARKER_TEMPLATE)
    ws.write_config(smtp=f'url = "smtp://127.0.0.1:{port}"\nstarttls = "none"\ntimeout = "5s"\n{extra_smtp}', **overrides)


def plan(ws, as_of, all_lines=False):
    args = ["plan", "--as-of", as_of, "--format", "json"] + (["--all"] if all_lines else [])
    result = ws.run(*args, check=0)
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def status(ws):
    return json.loads(ws.run("status", "--format", "json", check=0).stdout)


def audit(ws, event=None):
    args = ["audit", "--format", "json"] + (["--event", event] if event else [])
    return [json.loads(line) for line in ws.run(*args, check=0).stdout.splitlines() if line.strip()]


def generated_ledger(ws, count, seed, start=date(2026, 1, 1)):
    """Invoices spread over due dates, currencies, partial payments and a few clients."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        due = start + timedelta(days=rng.randint(0, 120))
        currency, amount = rng.choice([("EUR", "1200.00"), ("USD", "99.50"), ("JPY", "150000"), ("KWD", "12.500")])
        client = f"c{rng.randint(1, max(2, count // 3))}"
        paid = "0" if rng.random() < 0.7 else {"EUR": "200.00", "USD": "9.50", "JPY": "1000", "KWD": "0.500"}[currency]
        rows.append(invoice_row(f"INV-{i:04d}", client=client, due=due.isoformat(), amount=amount,
                                currency=currency, paid=paid, issue_date=(due - timedelta(days=30)).isoformat()))
    ws.run("import", ws.write_csv("ledger.csv", rows), check=0)
    return rows


def check_tick_against_plan(ws, smtp, as_of, seen):
    """Plans at `as_of`, ticks at `as_of`, and checks the new messages are exactly the plan."""
    expected = {(line["invoice"], line["stage"]): line for line in plan(ws, as_of)}
    before = set(smtp.files())
    ws.run("tick", "--as-of", as_of, check=0)
    new = [parse_message(p) for p in smtp.files() if p not in before]
    received = {}
    for message in new:
        key = identify(message)
        assert key not in received and key not in seen, f"{key} received twice"
        received[key] = message
    expected_keys = {(inv, "decision" if line["action"] == "escalate" else stage)
                     for (inv, stage), line in expected.items() if line["action"] in ("email", "escalate")}
    assert set(received) == expected_keys, f"at {as_of}: received {sorted(received)} but planned {sorted(expected_keys)}"
    for (invoice, stage), line in expected.items():
        if line["action"] == "email":
            message = received[(invoice, stage)]
            assert message["to"] == line["to"]
            assert message["marker"]["amount_due"] == line["amount_due"]
            assert int(message["marker"]["days"]) == line["days_overdue"]
        elif line["action"] == "escalate":
            message = received[(invoice, "decision")]
            assert message["to"] == line["to"] == ["jane@janedoe.example"]
            assert f"Amount due:   {line['amount_due']} {line['currency']}" in message["body"]
            assert f"overdue invoice write-off {invoice} --block-client" in message["body"]
    seen.update(received)
    return expected


def test_ticks_over_four_months_send_exactly_what_the_plan_says(ws, smtp):
    smtp_config(ws, smtp.port)
    generated_ledger(ws, 60, seed=4)
    seen = {}
    day = date(2025, 12, 20)
    while day <= date(2026, 5, 15):
        as_of = f"{day.isoformat()}T09:30:00Z"
        expected = check_tick_against_plan(ws, smtp, as_of, seen)
        if expected:
            # The same instant again: nothing new to send, and the plan now says why.
            count = len(smtp.files())
            ws.run("tick", "--as-of", as_of, check=0)
            assert len(smtp.files()) == count
            after = {line["invoice"]: line for line in plan(ws, as_of, all_lines=True)}
            for invoice, _stage in expected:
                assert after[invoice]["action"] == "none"
                assert after[invoice]["reason"] in ("done", "min-gap", "closed"), after[invoice]
        day += timedelta(days=rng_step(day))
    assert seen, "the generated ledger should have produced reminders"
    stages = {stage for _, stage in seen}
    assert {"reminder-7", "reminder-30", "final-notice", "decision"} <= stages
    assert ws.run("audit", "verify").returncode == 0
    sent = audit(ws, "reminder.sent")
    assert len(sent) == len(seen)


def rng_step(day):
    """Uneven steps (1 to 5 days) so that min-gap and superseding both happen."""
    return 1 + (day.toordinal() * 7919) % 5


def test_escalation_marks_the_invoice_and_tells_the_owner_once_with_history_and_options(ws, smtp):
    smtp_config(ws, smtp.port)
    ws.run("import", ws.write_csv("one.csv", [invoice_row("INV-1", due="2026-01-01", amount="500.00")]), check=0)
    for as_of in ["2026-01-08", "2026-02-01", "2026-03-05", "2026-04-02", "2026-04-03"]:
        ws.run("tick", "--as-of", as_of, check=0)
    messages = smtp.messages()
    decisions = [m for m in messages if identify(m)[1] == "decision"]
    assert len(decisions) == 1
    body = decisions[0]["body"]
    assert "Amount due:   500.00 EUR" in body and "Days overdue: 91" in body
    for m in messages:
        if m["marker"]:
            assert m["message_id"] in body, "every reminder's Message-ID is in the history"
    assert "collections agency" in body
    assert "small claims court" in body   # 500.00 EUR <= 12500.00 EUR
    assert "overdue invoice write-off INV-1 --block-client" in body
    shown = ws.run("invoice", "show", "INV-1", check=0).stdout
    assert "escalated" in shown
    assert [e["invoice"] for e in audit(ws, "invoice.escalated")] == ["INV-1"]


def test_dry_run_prints_what_would_be_sent_and_records_nothing(ws, smtp):
    smtp_config(ws, smtp.port)
    ws.run("import", ws.write_csv("one.csv", [invoice_row("INV-1", due="2026-01-01")]), check=0)
    before = len(audit(ws))
    out = ws.run("tick", "--as-of", "2026-01-09", "--dry-run", check=0).stdout
    assert "INV-1" in out and "reminder-7" in out
    assert smtp.files() == []
    assert len(audit(ws)) == before
    assert plan(ws, "2026-01-09")[0]["stage"] == "reminder-7"


def test_nothing_is_sent_outside_the_send_window_and_it_goes_out_when_it_opens(ws, smtp):
    smtp_config(ws, smtp.port, send_window='days = ["mon", "tue", "wed", "thu", "fri"]\nstart = "09:00"\nend = "17:00"\n')
    ws.run("import", ws.write_csv("one.csv", [invoice_row("INV-1", due="2026-01-01")]), check=0)
    ws.run("tick", "--as-of", "2026-01-10T10:00:00+01:00", check=0)   # a Saturday
    assert smtp.files() == []
    ws.run("tick", "--as-of", "2026-01-12T08:59:00+01:00", check=0)   # Monday, before 09:00
    assert smtp.files() == []
    ws.run("tick", "--as-of", "2026-01-12T09:00:00+01:00", check=0)
    assert [identify(m) for m in smtp.messages()] == [("INV-1", "reminder-7")]


def test_status_reports_counts_last_tick_and_next_reminders(ws, smtp):
    # status reads the real clock, so this ledger is dated from today.
    smtp_config(ws, smtp.port)
    today = date.today()
    due1, due2 = today - timedelta(days=8), today - timedelta(days=1)
    ws.run("import", ws.write_csv("two.csv", [invoice_row("INV-1", due=due1.isoformat()),
                                              invoice_row("INV-2", client="bolt", due=due2.isoformat())]), check=0)
    ws.run("tick", check=0)
    report = status(ws)
    assert report["last_tick"] is not None and report["last_tick"] == report["last_tick_as_of"]
    assert "sent 2" in report["last_tick_summary"]
    assert (report["pending"], report["retrying"], report["failed"], report["ambiguous"]) == (0, 0, 0, 0)
    assert report["next_due"][:2] == [
        {"invoice": "INV-2", "stage": "reminder-7", "date": (due2 + timedelta(days=7)).isoformat()},
        {"invoice": "INV-1", "stage": "reminder-30", "date": (due1 + timedelta(days=30)).isoformat()},
    ]
    table = ws.run("status", check=0).stdout
    assert "ambiguous:  0" in table and "next reminders due:" in table
