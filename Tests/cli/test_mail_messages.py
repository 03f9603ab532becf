"""Messages overdue writes, checked by an independent parser (Python's `email` package) with
explicit checks: no defects, 7-bit, CRLF only, line lengths, decoded subject and display names,
body round trip. Messages come from `overdue preview`, from the file outbox, and from a real
STARTTLS+AUTH delivery to aiosmtpd through `overdue tick` (so dot-stuffing is exercised)."""
import email
import email.header
import email.policy
import email.utils
import os
import re
import subprocess
import textwrap

import pytest

from conftest import OVERDUE_BIN, invoice_row
from smtp_servers import certs, password_file, servers, smtp_config  # noqa: F401

NAMES = [
    ("de", "Müller & Söhne"),
    ("cn", "张伟贸易有限公司"),
    ("ob", "Sean O'Brien"),
    ("acme", "Acme, Inc."),
    ("jd", 'Jane "JD" Doe'),
    ("mix", "Ünïcödé, \"quoted\" & O'Brien — 株式会社"),
]

SUBJECT = "Zahlungserinnerung: Rechnung {{invoice.number}} für {{client.name}}, {{days_overdue}} Tage überfällig — Grüße"

TEMPLATE = textwrap.dedent("""\
    Sehr geehrte Damen und Herren von {{client.name}},

    Rechnung {{invoice.number}} über {{invoice.amount_due}} {{invoice.currency}} ist überfällig.
    .Diese Zeile beginnt mit einem Punkt.
    .
    ..zwei Punkte
    From here on, a line that mbox would mangle.
    Trailing spaces stay:   
    尊敬的客户，您的发票已逾期。
    """) + "Lange Zeile: " + "äöü ß " * 200 + "\n" + "Grüße\n"

HTML = "<p>Dear {{client.name}}, invoice {{invoice.number}}: <b>{{invoice.amount_due}}</b></p>\n"

STAGES = f"""
[[stage]]
name = "reminder-30"
days = 30
template = "reminder-30"
subject = "{SUBJECT}"
"""


def expected_text(name, number="INV-1", amount="1200.00"):
    return (TEMPLATE.replace("{{client.name}}", name).replace("{{invoice.number}}", number)
            .replace("{{invoice.amount_due}}", amount).replace("{{invoice.currency}}", "EUR"))


def expected_subject(name, number="INV-1", days=35):
    return (SUBJECT.replace("{{invoice.number}}", number).replace("{{client.name}}", name)
            .replace("{{days_overdue}}", str(days)))


def check_wire_format(raw: bytes):
    """The explicit checks every message must pass; returns the parsed message."""
    assert all(b < 128 for b in raw), "not 7-bit"
    assert b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b""), "bare CR or LF"
    assert raw.endswith(b"\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        assert len(line) <= 78, f"header line of {len(line)} octets: {line!r}"
    for line in raw.split(b"\r\n"):
        assert len(line) <= 998
    for line in body.split(b"\r\n"):
        assert len(line) <= 76, f"body line of {len(line)} octets"
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for part in message.walk():
        assert part.defects == [], part.defects
    for header in ["Date", "From", "To", "Subject", "Message-ID", "MIME-Version"]:
        assert len(message.get_all(header, [])) == 1, header
    assert message.get_all("Bcc") is None
    assert email.utils.parsedate_to_datetime(message["Date"]) is not None
    assert re.fullmatch(r"<[0-9a-f]{32}@janedoe\.example>", message["Message-ID"])
    assert message["MIME-Version"] == "1.0"
    for name, value in message.items():
        assert "\n" not in str(value) and "\r" not in str(value), (name, value)
    return message


def decoded_display_names(raw: bytes, header: str):
    """Display names of `header` decoded strictly by RFC 2047 (whitespace between adjacent
    encoded-words is dropped). The modern `policy.default` parser keeps that whitespace inside
    a phrase (a CPython quirk), so it is only used for a space-insensitive cross-check."""
    legacy = email.message_from_bytes(raw, policy=email.policy.compat32)
    value = legacy[header].replace("\r\n", "").replace("\n", "")
    return [str(email.header.make_header(email.header.decode_header(name)))
            for name, _ in email.utils.getaddresses([value])]


def body_text(message):
    part = message.get_body(preferencelist=("plain",))
    assert part.get_content_charset() == "utf-8"
    return part.get_content().replace("\r\n", "\n")


def preview(ws, *args):
    """`overdue preview ARGS` stdout as bytes (text mode would turn CRLF into LF)."""
    env = {k: v for k, v in os.environ.items() if k != "OVERDUE_CONFIG"}
    result = subprocess.run([OVERDUE_BIN, "preview", *args, "--config", str(ws.config_path)],
                            capture_output=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


@pytest.fixture
def ledger(ws):
    (ws.templates / "reminder-30.txt").write_text(TEMPLATE, encoding="utf-8")
    ws.write_config(stages=STAGES)
    rows = [invoice_row(f"INV-{i + 1}", client=cid, client_name=name, issue_date="2025-12-01", due="2026-01-01")
            for i, (cid, name) in enumerate(NAMES)]
    ws.run("import", ws.write_csv("invoices.csv", rows), check=0)
    return ws


@pytest.mark.parametrize("index", range(len(NAMES)))
def test_preview_round_trips_names_subject_and_body(ledger, index):
    cid, name = NAMES[index]
    number = f"INV-{index + 1}"
    raw = preview(ledger, number, "--as-of", "2026-02-05")
    message = check_wire_format(raw)
    assert message["Subject"] == expected_subject(name, number)
    [to] = message["To"].addresses
    assert to.addr_spec == f"ap@{cid}.example"
    assert to.display_name.replace(" ", "") == name.replace(" ", "")
    assert decoded_display_names(raw, "To") == [name]
    assert message["From"].addresses[0].display_name == "Jane Doe Design"
    assert message["Reply-To"].addresses[0].addr_spec == "jane@janedoe.example"
    assert message.get_content_type() == "text/plain"
    assert body_text(message) == expected_text(name, number)


def test_html_template_makes_multipart_alternative_with_escaped_values(ledger):
    (ledger.templates / "reminder-30.html").write_text(HTML, encoding="utf-8")
    message = check_wire_format(preview(ledger, "INV-1", "--as-of", "2026-02-05"))
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    html = message.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")
    assert html == "<p>Dear Müller &amp; Söhne, invoice INV-1: <b>1200.00</b></p>\n"
    assert body_text(message) == expected_text("Müller & Söhne")  # plain part: not escaped


def test_preview_names_the_stage_due_and_accepts_another(ledger):
    due = ledger.run("preview", "INV-2", "--as-of", "2026-02-05", check=0).stdout
    assert "35 Tage" in email.message_from_string(due, policy=email.policy.default)["Subject"]
    unknown = ledger.run("preview", "INV-2", "--stage", "nope")
    assert unknown.returncode == 64 and "nope" in unknown.stderr
    missing = ledger.run("preview", "INV-404")
    assert missing.returncode == 65


def test_file_outbox_messages_pass_the_same_checks(ledger):
    ledger.run("tick", "--as-of", "2026-02-05", check=0)
    files = sorted(ledger.outbox.glob("*.eml"))
    assert len(files) == len(NAMES)
    seen = set()
    for path in files:
        assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{32}\.eml", path.name)
        assert path.stat().st_mode & 0o777 == 0o600, "a message holds client data: owner only"
        check_wire_format(path.read_bytes())
        seen.update(decoded_display_names(path.read_bytes(), "To"))
    assert seen == {name for _, name in NAMES}
    assert not list(ledger.outbox.glob(".tmp-*"))


def test_delivered_over_smtp_the_message_arrives_intact_with_leading_dots(ledger, servers, certs, password_file):
    server = servers.aiosmtpd("starttls")
    ledger.write_config(stages=STAGES, smtp=smtp_config(server.port, password_file=password_file, ca_file=certs["ca"]))
    ledger.run("tick", "--as-of", "2026-02-05", check=0)
    received = server.messages()
    assert len(received) == len(NAMES)
    by_rcpt = {tuple(envelope["rcpt_tos"]): raw for envelope, raw in received}
    for cid, name in NAMES:
        raw = by_rcpt[(f"ap@{cid}.example",)]
        message = check_wire_format(raw)
        assert message["Subject"] == expected_subject(name, message["Subject"].split()[2])
        text = body_text(message)
        assert "\n.Diese Zeile beginnt mit einem Punkt.\n.\n..zwei Punkte\n" in text
        assert "From here on" in text and "Trailing spaces stay:   \n" in text
    audit = ledger.run("audit", "--event", "reminder.sent", "--format", "json", check=0).stdout
    assert "250 2.0.0 Ok: queued as TEST" in audit
