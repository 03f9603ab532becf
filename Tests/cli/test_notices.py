"""What overdue says when nothing is due, to the owner, and in its SMTP conversation (issue 8,
items 6, 7, 11 and 12), through the built binary: `preview` of closed invoices and of the
owner's decision notice, the decision notice's wrapped text and HTML part, the EHLO name a
real SMTP server on 127.0.0.1 is greeted with, and client reminders threaded by References."""
import email
import email.policy
import re
import socket
import subprocess

import pytest

from conftest import OVERDUE_BIN, invoice_row
from smtp_servers import certs, password_file, servers, smtp_config  # noqa: F401 (fixtures)


def parse(raw):
    return email.message_from_bytes(raw if isinstance(raw, bytes) else raw.encode(), policy=email.policy.default)


def preview(ws, *args):
    return ws.run("preview", *args)


@pytest.fixture
def ledger(ws):
    """INV-1 (acme, due 2026-01-01, 1200.00 EUR) and INV-2 (bolt, due 2026-01-01) in the default ladder."""
    ws.run("import", ws.write_csv("invoices.csv", [invoice_row("INV-1", due="2026-01-01"),
                                                   invoice_row("INV-2", client="bolt", due="2026-01-01")]), check=0)
    return ws


# ---- item 6: preview says when nothing would be sent ------------------------------------------

@pytest.mark.parametrize("settle, words", [
    (("invoice", "pay", "INV-1", "1200.00"), "the invoice is paid"),
    (("invoice", "cancel", "INV-1"), "the invoice is cancelled"),
    (("invoice", "write-off", "INV-1"), "the invoice is written off"),
    (("invoice", "escalate", "INV-1"), "the invoice is escalated"),
])
def test_preview_of_a_closed_invoice_says_nothing_would_be_sent_and_why(ledger, settle, words):
    ledger.run(*settle, check=0)
    result = preview(ledger, "INV-1", "--as-of", "2026-03-05")
    assert result.returncode == 65, result.stdout
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert "INV-1" in line and "nothing would be sent" in line and "closed" in line and words in line, line
    assert "written_off" not in line


def test_preview_with_stage_still_shows_a_closed_invoices_message_and_notes_it(ledger):
    ledger.run("invoice", "pay", "INV-1", "1200.00", check=0)
    result = preview(ledger, "INV-1", "--stage", "final-notice", "--as-of", "2026-03-05")
    assert result.returncode == 0, result.stderr
    assert parse(result.stdout)["To"].addresses[0].addr_spec == "ap@acme.example"
    assert "nothing would be sent" in result.stderr and "--stage" in result.stderr


def test_preview_for_a_blocked_client_says_nothing_would_be_sent(ledger):
    ledger.run("client", "block", "bolt", check=0)
    result = preview(ledger, "INV-2", "--as-of", "2026-03-05")
    assert result.returncode == 65 and result.stdout == ""
    assert "nothing would be sent (blocked: client bolt is blocked)" in result.stderr


def test_preview_when_no_stage_of_the_ladder_is_left_exits_65(ws):
    ws.write_config(stages='[[stage]]\nname = "reminder-7"\ndays = 7\ntemplate = "reminder-7"\nsubject = "Reminder"\n')
    ws.run("import", ws.write_csv("one.csv", [invoice_row("INV-1", due="2026-01-01")]), check=0)
    ws.run("tick", "--as-of", "2026-01-08", check=0)
    result = preview(ws, "INV-1", "--as-of", "2026-02-20")
    assert result.returncode == 65 and result.stdout == ""
    assert "nothing would be sent (done: no stage of the ladder is left)" in result.stderr


def test_preview_of_a_held_invoice_shows_the_due_message_with_a_note(ledger):
    ledger.run("invoice", "hold", "INV-1", check=0)
    result = preview(ledger, "INV-1", "--as-of", "2026-02-05")
    assert result.returncode == 0, result.stderr
    assert "reminder-30" in result.stdout
    assert "not sent now (hold)" in result.stderr


def test_preview_refuses_a_write_off_stage_as_a_usage_error(ws):
    ws.write_config(stages='[[stage]]\nname = "reminder-7"\ndays = 7\ntemplate = "reminder-7"\nsubject = "Reminder"\n\n'
                           '[[stage]]\nname = "bad-debt"\ndays = 120\naction = "write-off"\n')
    ws.run("import", ws.write_csv("one.csv", [invoice_row("INV-1", due="2026-01-01")]), check=0)
    result = preview(ws, "INV-1", "--stage", "bad-debt")
    assert result.returncode == 64 and "write-off" in result.stderr


def send_through_final_notice(ws):
    """Ticks INV-1 up the default ladder: reminder-7, reminder-30, final-notice (cc owner)."""
    for as_of in ["2026-01-08", "2026-01-31", "2026-03-02"]:
        ws.run("tick", "--as-of", as_of, check=0)


def test_the_decision_notice_is_previewed_by_default_when_the_hand_off_is_due(ledger):
    send_through_final_notice(ledger)
    result = preview(ledger, "INV-1", "--as-of", "2026-04-02")
    assert result.returncode == 0, result.stderr
    message = parse(result.stdout)
    assert [a.addr_spec for a in message["To"].addresses] == ["jane@janedoe.example"]
    assert str(message["Subject"]).startswith("Decision needed: invoice INV-1 (Acme Ltd)")
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Days overdue: 91" in text and "reminder-30" in text and "final-notice" in text


def test_the_decision_notice_is_previewed_with_stage_hand_off(ledger):
    result = preview(ledger, "INV-1", "--stage", "hand-off", "--as-of", "2026-02-05")
    assert result.returncode == 0, result.stderr
    message = parse(result.stdout)
    assert str(message["Subject"]).startswith("Decision needed: invoice INV-1")
    assert "Days overdue: 90" in message.get_body(preferencelist=("plain",)).get_content()


# ---- items 7 and 12: the decision notice as it arrives -----------------------------------------

def smtp_section(server, certs, password_file, ehlo=None):
    section = smtp_config(server.port, password_file=password_file, ca_file=certs["ca"])
    return section + (f'ehlo_name = "{ehlo}"\n' if ehlo else "")


def test_the_decision_notice_arrives_wrapped_at_72_with_an_html_part_for_a_phone(ws, servers, certs, password_file):
    server = servers.aiosmtpd("starttls")
    ws.write_config(smtp=smtp_section(server, certs, password_file))
    name = "Müller & Söhne <Handelsgesellschaft> mbH & Co. KG"
    ws.run("import", ws.write_csv("one.csv", [invoice_row("INV-1", due="2026-01-01", client_name=name,
                                                          client_email="buchhaltung@mueller-soehne.example;ap@acme.example")]),
           check=0)
    for as_of in ["2026-01-08", "2026-01-31", "2026-03-02", "2026-04-02"]:
        ws.run("tick", "--as-of", as_of, check=0)
    received = [parse(raw) for _, raw in server.messages()]
    [notice] = [m for m in received if str(m["Subject"]).startswith("Decision needed")]
    assert notice.get_content_type() == "multipart/alternative"
    text = notice.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    for line in text.split("\n"):
        if not line.startswith("       overdue "):
            assert len(line) <= 72, line
    assert "       overdue invoice write-off INV-1 --block-client\n" in text
    assert "written_off" not in text
    reminders = [m for m in received if not str(m["Subject"]).startswith("Decision needed")]
    for reminder in reminders:
        assert reminder["Message-ID"] in text
    html = notice.get_body(preferencelist=("html",)).get_content()
    assert 'name="viewport"' in html
    assert "Müller &amp; Söhne &lt;Handelsgesellschaft&gt; mbH &amp; Co. KG" in html and "<Handelsgesellschaft>" not in html
    body = html[html.index("<body"):]
    assert (body.index("Müller &amp;") < body.index("buchhaltung@mueller-soehne.example") < body.index("1200.00 EUR")
            < body.index("Reminder history") < body.index("collections agency"))
    for reminder in reminders:
        assert reminder["Message-ID"].replace("<", "&lt;").replace(">", "&gt;") in html
    assert "overdue invoice write-off INV-1 --block-client" in html


def test_client_reminders_are_one_thread_and_suppress_auto_replies(ws, servers, certs, password_file):
    server = servers.aiosmtpd("starttls")
    ws.write_config(smtp=smtp_section(server, certs, password_file))
    ws.run("import", ws.write_csv("one.csv", [invoice_row("INV-1", due="2026-01-01")]), check=0)
    send_through_final_notice(ws)
    raws = [raw for _, raw in server.messages()]
    first, second, third = [parse(raw) for raw in raws]
    ids = [m["Message-ID"] for m in (first, second, third)]
    assert first["References"] is None and first["In-Reply-To"] is None
    assert second["References"] == ids[0] and second["In-Reply-To"] == ids[0]
    assert third["References"].split() == ids[:2] and third["In-Reply-To"] == ids[1]
    for message, raw in zip((first, second, third), raws):
        assert message["X-Auto-Response-Suppress"] == "OOF, AutoReply"
        assert message["List-Unsubscribe"] is None and message["Precedence"] is None
        assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_a_failed_reminder_is_not_referenced(ws, servers, certs, password_file):
    """A reminder the server refused never reached the client: the next one does not refer to it."""
    sink = servers.sink("-f", "RCPT", "-B", "550 5.1.1 No such user")   # refused permanently
    ws.write_config(smtp=smtp_config(sink.port, scheme="smtp", starttls="none", username=None))
    ws.run("import", ws.write_csv("one.csv", [invoice_row("INV-1", due="2026-01-01")]), check=0)
    ws.run("tick", "--as-of", "2026-01-08", check=0)
    server = servers.aiosmtpd("starttls")
    ws.write_config(smtp=smtp_section(server, certs, password_file))
    ws.run("tick", "--as-of", "2026-01-31", check=0)
    [(_, raw)] = server.messages()
    message = parse(raw)
    assert "reminder-30" in message.get_body(preferencelist=("plain",)).get_content()
    assert message["References"] is None and message["In-Reply-To"] is None


# ---- item 11: the EHLO name ----------------------------------------------------------------------

def this_hosts_name():
    """What overdue should greet with by default: the first dotted name of getaddrinfo's canonical
    name and gethostname(), else the first of them."""
    short = socket.gethostname()
    try:
        canonical = socket.getaddrinfo(short, None, flags=socket.AI_CANONNAME, type=socket.SOCK_STREAM)[0][3]
    except OSError:
        canonical = ""
    names = [n.rstrip(".") for n in (canonical, short) if n]
    return next((n for n in names if "." in n), names[0])


def greeted_with(ws, server):
    ws.run("send-test", "--to", "jane@janedoe.example", check=0)
    [greeting] = server.greetings()
    return greeting


def test_the_server_is_greeted_with_the_configured_ehlo_name(ws, servers, certs, password_file):
    server = servers.aiosmtpd("starttls")
    ws.write_config(smtp=smtp_section(server, certs, password_file, ehlo="mail.janedoe.example"))
    assert greeted_with(ws, server) == "mail.janedoe.example"


def test_the_server_is_greeted_with_this_hosts_fully_qualified_name_by_default(ws, servers, certs, password_file):
    server = servers.aiosmtpd("implicit")
    ws.write_config(smtp=smtp_config(server.port, scheme="smtps", password_file=password_file, ca_file=certs["ca"]))
    assert greeted_with(ws, server) == this_hosts_name()


def test_a_host_named_with_dots_greets_with_the_whole_name_not_libcurls_short_one(ws, servers, certs, password_file):
    """In a UTS namespace of its own the host is `box.test.example` (no /etc/hosts entry): libcurl
    by itself would say `EHLO box`."""
    probe = subprocess.run(["unshare", "-u", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a UTS namespace here: {probe.stderr.decode().strip()}")
    server = servers.aiosmtpd("starttls")
    ws.write_config(smtp=smtp_section(server, certs, password_file))
    result = subprocess.run(["unshare", "-u", "sh", "-c", 'hostname box.test.example && exec "$0" "$@"', OVERDUE_BIN,
                             "send-test", "--to", "jane@janedoe.example", "--config", str(ws.config_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert server.greetings() == ["box.test.example"]


def test_reminders_sent_by_tick_greet_with_the_configured_name(ws, servers, certs, password_file):
    server = servers.aiosmtpd("starttls")
    ws.write_config(smtp=smtp_section(server, certs, password_file, ehlo="mail.janedoe.example"))
    ws.run("import", ws.write_csv("one.csv", [invoice_row("INV-1", due="2026-01-01")]), check=0)
    ws.run("tick", "--as-of", "2026-01-08", check=0)
    assert server.greetings() == ["mail.janedoe.example"]


@pytest.mark.parametrize("ehlo, warned", [("vm", True), ("mail.janedoe.example", False), (None, "." not in this_hosts_name())])
def test_config_check_warns_about_a_greeting_name_without_a_dot(ws, password_file, ehlo, warned):
    section = smtp_config(2525, password_file=password_file) + (f'ehlo_name = "{ehlo}"\n' if ehlo else "")
    ws.write_config(smtp=section)
    result = ws.run("config", "check", check=0)
    assert result.stdout.startswith(f"{ws.config_path}: ok")
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    if warned:
        [warning] = warnings
        assert "has no dot" in warning and "smtp.ehlo_name" in warning
        assert f'"{ehlo or this_hosts_name()}"' in warning
    else:
        assert warnings == [], result.stderr


def test_config_check_of_a_file_outbox_does_not_warn_about_greetings(ws):
    result = ws.run("config", "check", check=0)
    assert result.stderr == ""


def test_preview_of_a_dispatched_stage_shows_it_as_it_was_sent(ledger):
    ledger.run("tick", "--as-of", "2026-01-08", check=0)
    [sent] = [p for p in ledger.outbox.glob("*.eml") if b"ap@acme.example" in p.read_bytes()]
    result = preview(ledger, "INV-1", "--stage", "reminder-7", "--as-of", "2026-02-20")
    assert result.returncode == 0, result.stderr
    message, original = parse(result.stdout), parse(sent.read_bytes())
    assert message["Message-ID"] == original["Message-ID"]
    assert str(message["Subject"]) == str(original["Subject"]) == "Reminder: invoice INV-1 is 7 days overdue"


def test_a_reminder_withdrawn_after_a_write_off_says_written_off_in_words(ws):
    """The reason a withdrawn reminder records is read by people (`invoice show`, the owner's
    history): the state in words, not the ledger's `written_off`."""
    from smtp_servers import free_port
    ws.write_config(smtp=smtp_config(free_port(), starttls="none", username=None))   # nothing listens: retried
    ws.run("import", ws.write_csv("one.csv", [invoice_row("INV-1", due="2026-01-01")]), check=0)
    ws.run("tick", "--as-of", "2026-01-08T10:00:00+01:00", check=0)
    ws.run("invoice", "write-off", "INV-1", check=0)
    ws.run("tick", "--as-of", "2026-01-09T10:00:00+01:00", check=0)
    shown = ws.run("invoice", "show", "INV-1", check=0).stdout
    assert "withdrawn: the invoice is written off" in shown, shown
    assert "is written_off" not in shown


def test_preview_before_anything_is_due_shows_the_next_stage_and_says_when_it_is_reached(ws):
    ws.run("import", ws.write_csv("one.csv", [invoice_row("INV-1", due="2026-03-01")]), check=0)
    result = preview(ws, "INV-1", "--as-of", "2026-02-05")
    assert result.returncode == 0, result.stderr
    assert "(courtesy)" in parse(result.stdout).get_body(preferencelist=("plain",)).get_content()
    assert "nothing is due now (not-due); this is stage courtesy, reached on 2026-02-26" in result.stderr
