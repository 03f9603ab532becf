"""The inbox against a real Dovecot (TLS on 127.0.0.1, started once for this module): replies,
bounces and automatic answers as common mail programs and servers write them, read by the
`overdue tick` binary over IMAP, with what each did to the ledger; and proof that reading
changes nothing on the server (no flag set, nothing moved).

Clients: acme (ap@acme.example) with three open invoices INV-1..INV-3; beta with two
addresses (ap@beta.example, boss@beta.example) and INV-4; gamma (ap@gamma.example) with INV-5.
A first tick at 2026-03-01 sends the `friendly` reminder of each (file outbox, or aiosmtpd in
the end-to-end test); the mail shapes are built from those messages.
"""
import email
import json
import sqlite3

import pytest

from imap_server import PASSWORD as IMAP_PASSWORD, USER as IMAP_USER, DovecotServer
from smtp_servers import PASSWORD, certs, password_file, servers, smtp_config  # noqa: F401
from conftest import invoice_row

FIRST_TICK = "2026-03-01"


@pytest.fixture(scope="module")
def dovecot(tmp_path_factory, certs):  # noqa: F811
    server = DovecotServer(tmp_path_factory.mktemp("dovecot"), certs)
    yield server
    server.stop()


@pytest.fixture
def imap(dovecot):
    dovecot.clear()
    yield dovecot
    # Whatever a test did, overdue changed nothing on the server.
    assert all(flags == "" for flags in dovecot.flags().values()), dovecot.flags()


def inbox_section(server, certs, tmp_path, required=False, url=None):  # noqa: F811
    secret = tmp_path / "imap-password"
    secret.write_text(IMAP_PASSWORD + "\n")
    secret.chmod(0o600)
    return (f'url = "{url or server.url()}"\nusername = "{IMAP_USER}"\npassword_file = "{secret}"\n'
            f'ca_file = "{certs["ca"]}"\nrequired = {"true" if required else "false"}\n')


def setup_ledger(ws, imap, certs, smtp=None, required=False, url=None):  # noqa: F811
    text = ws.config_text(**({"smtp": smtp} if smtp else {}))
    text += "\n[inbox]\n" + inbox_section(imap, certs, ws.dir, required=required, url=url)
    ws.write_config(text)
    rows = [invoice_row("INV-1"), invoice_row("INV-2"), invoice_row("INV-3"),
            invoice_row("INV-4", client="beta", client_email="ap@beta.example;boss@beta.example"),
            invoice_row("INV-5", client="gamma")]
    ws.run("import", ws.write_csv("invoices.csv", rows), check=0)


def sent_messages(ws):
    """{invoice number: parsed message} of the .eml files in the file outbox."""
    out = {}
    for path in sorted(ws.outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes())
        number = next(word for word in message["Subject"].split() if word.startswith("INV-"))
        out[number] = message
    return out


def first_tick(ws, imap, certs, **kw):  # noqa: F811
    setup_ledger(ws, imap, certs, **kw)
    ws.run("tick", "--as-of", FIRST_TICK, check=0)
    return sent_messages(ws)


def invoices(ws):
    lines = ws.run("invoice", "list", "--format", "json", check=0).stdout.splitlines()
    return {row["number"]: row for row in map(json.loads, lines)}


def audit(ws, event):
    lines = ws.run("audit", "--event", event, "--format", "json", check=0).stdout.splitlines()
    return [json.loads(line) for line in lines]


def held(ws):
    return {number for number, row in invoices(ws).items() if row["hold"]}


def crlf(text):
    return text.strip("\n").replace("\n", "\r\n").encode() + b"\r\n"


# ---- mail shapes ----------------------------------------------------------------------------

def gmail_reply(original, body="We paid this yesterday, remittance attached."):
    mid = original["Message-ID"]
    return crlf(f"""
MIME-Version: 1.0
Date: Mon, 2 Mar 2026 09:14:03 +0100
References: {mid}
In-Reply-To: {mid}
Message-ID: <CAOx1b=K9gmail{abs(hash(mid))}@mail.gmail.com>
Subject: Re: {original["Subject"]}
From: Anna Accounts <ap@acme.example>
To: Jane Doe Design <jane@janedoe.example>
Content-Type: multipart/alternative; boundary="000000000000a1b2c3"

--000000000000a1b2c3
Content-Type: text/plain; charset="UTF-8"

{body}

Anna

On Sun, 1 Mar 2026 at 12:00, Jane Doe Design <billing@janedoe.example> wrote:
> Dear Acme Ltd,
> invoice INV-1 of 2025-11-01

--000000000000a1b2c3
Content-Type: text/html; charset="UTF-8"

<div dir="ltr">{body}<div>Anna</div></div>

--000000000000a1b2c3--
""")


def outlook_reply(original):
    mid = original["Message-ID"]
    return crlf(f"""
From: Bert Beta <ap@beta.example>
To: Jane Doe Design <jane@janedoe.example>
Subject: RE: {original["Subject"]}
Thread-Topic: {original["Subject"]}
Thread-Index: AQHaZ2xvYmFsLW91dGxvb2s=
Date: Mon, 2 Mar 2026 08:01:12 +0000
Message-ID: <AM0PR07MB1234ABCD@AM0PR07MB1234.eurprd07.prod.outlook.com>
References: {mid}
In-Reply-To: {mid}
Accept-Language: de-DE, en-US
Content-Language: en-US
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
Content-Type: multipart/alternative;
\tboundary="_000_AM0PR07MB1234_"
MIME-Version: 1.0

--_000_AM0PR07MB1234_
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

We dispute line 3 of this invoice. Gr=FC=DFe, Bert

________________________________
From: Jane Doe Design <billing@janedoe.example>
Sent: Sunday, March 1, 2026 12:00 PM

--_000_AM0PR07MB1234_
Content-Type: text/html; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

<html><body><p>We dispute line 3 of this invoice.</p></body></html>

--_000_AM0PR07MB1234_--
""")


def apple_mail_reply(original):
    mid = original["Message-ID"]
    return crlf(f"""
Content-Type: text/plain;
\tcharset=utf-8
Content-Transfer-Encoding: quoted-printable
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))
Subject: Re: {original["Subject"]}
From: Gina Gamma <ap@gamma.example>
In-Reply-To: {mid}
Date: Mon, 2 Mar 2026 10:22:41 +0100
Content-Transfer-Encoding: quoted-printable
Message-Id: <6F1C2B9A-1D3E-4F5A-9B8C-APPLE@gamma.example>
References: {mid}
To: Jane Doe Design <jane@janedoe.example>
X-Mailer: Apple Mail (2.3774.600.62)

Could you send the invoice again as PDF? We can=E2=80=99t find it.

> On 1 Mar 2026, at 12:00, Jane Doe Design <billing@janedoe.example> wrote:
>=20
> Dear Gamma Ltd,
""")


def postfix_dsn(original, recipient, status="5.1.1", action="failed",
                diagnostic="smtp; 550 5.1.1 <{r}>: Recipient address rejected: User unknown"):
    diag = diagnostic.format(r=recipient)
    return crlf(f"""
Return-Path: <>
Date: Sun,  1 Mar 2026 12:00:05 +0100 (CET)
From: MAILER-DAEMON@mail.janedoe.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: billing@janedoe.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="3F1A2C0123.1772362805/mail.janedoe.example"
Message-Id: <20260301110005.4B5C2C0456@mail.janedoe.example.{recipient}.{status}>

This is a MIME-encapsulated message.

--3F1A2C0123.1772362805/mail.janedoe.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.janedoe.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{recipient}>: host mx.example[192.0.2.1] said: 550 5.1.1 User unknown

--3F1A2C0123.1772362805/mail.janedoe.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.janedoe.example
X-Postfix-Queue-ID: 3F1A2C0123
X-Postfix-Sender: rfc822; billing@janedoe.example
Arrival-Date: Sun,  1 Mar 2026 12:00:01 +0100 (CET)

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.example
Diagnostic-Code: {diag}

--3F1A2C0123.1772362805/mail.janedoe.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Date: {original["Date"]}
From: {original["From"]}
To: {original["To"]}
Subject: {original["Subject"]}
Message-ID: {original["Message-ID"]}

--3F1A2C0123.1772362805/mail.janedoe.example--
""")


def exchange_ndr(original, recipient):
    return crlf(f"""
From: Microsoft Outlook <postmaster@beta.example>
To: <billing@janedoe.example>
Date: Sun, 1 Mar 2026 11:00:09 +0000
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="e3b0c442-98fc-1c14-9afb-f4c8996fb924"
X-MS-Exchange-Message-Is-Ndr:
Content-Language: en-US
Message-ID: <b1946ac9-2f5a-4cd7-9f7a-NDR@DB8PR07MB.eurprd07.prod.outlook.com>
In-Reply-To: {original["Message-ID"]}
References: {original["Message-ID"]}
Thread-Topic: {original["Subject"]}
Subject: Undeliverable: {original["Subject"]}
Auto-Submitted: auto-replied
MIME-Version: 1.0

--e3b0c442-98fc-1c14-9afb-f4c8996fb924
Content-Type: multipart/alternative; differences=Content-Type;
\tboundary="cc4d2ef1-0a8b-4a5d-a3a4-alt"

--cc4d2ef1-0a8b-4a5d-a3a4-alt
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

Your message to {recipient} couldn't be delivered.
{recipient.split("@")[0]} wasn't found at beta.example.

--cc4d2ef1-0a8b-4a5d-a3a4-alt
Content-Type: text/html; charset="us-ascii"

<html><body>Your message couldn't be delivered.</body></html>

--cc4d2ef1-0a8b-4a5d-a3a4-alt--

--e3b0c442-98fc-1c14-9afb-f4c8996fb924
Content-Type: message/delivery-status

Reporting-MTA: dns;DB8PR07MB.eurprd07.prod.outlook.com
Received-From-MTA: dns;mail.janedoe.example
Arrival-Date: Sun, 1 Mar 2026 11:00:05 +0000

Final-Recipient: rfc822;{recipient}
Action: failed
Status: 5.1.10
Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup

--e3b0c442-98fc-1c14-9afb-f4c8996fb924
Content-Type: message/rfc822

Date: {original["Date"]}
From: {original["From"]}
To: {original["To"]}
Subject: {original["Subject"]}
Message-ID: {original["Message-ID"]}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Dear Beta Ltd,

--e3b0c442-98fc-1c14-9afb-f4c8996fb924--
""")


def out_of_office(original, sender="ap@acme.example"):
    return crlf(f"""
From: Anna Accounts <{sender}>
To: Jane Doe Design <billing@janedoe.example>
Subject: Automatic reply: {original["Subject"]}
Date: Sun, 1 Mar 2026 11:00:30 +0000
Message-ID: <OOF-{sender}-{abs(hash(original["Message-ID"]))}@acme.example>
In-Reply-To: {original["Message-ID"]}
References: {original["Message-ID"]}
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset=utf-8

I am out of the office until 9 March with no access to email.
""")


def vacation_without_auto_submitted(original):
    # Older responders mark themselves only by X-Autoreply and the subject.
    return crlf(f"""
From: ap@acme.example
To: billing@janedoe.example
Subject: Out of Office: away until Monday
Date: Sun, 1 Mar 2026 11:01:00 +0000
Message-ID: <vacation-1@acme.example>
In-Reply-To: {original["Message-ID"]}
X-Autoreply: yes
Precedence: auto_reply

Away until Monday.
""")


UNRELATED = crlf("""
From: Newsletter <news@shop.example>
To: billing@janedoe.example
Subject: Our spring sale starts now
Date: Sun, 1 Mar 2026 09:00:00 +0000
Message-ID: <sale-2026@shop.example>
Content-Type: text/plain

Up to 50% off INV-1 and everything else.
""")


def forged_reply():
    return crlf("""
From: Mallory <ap@acme.example>
To: jane@janedoe.example
Subject: Re: Invoice INV-1 is due today
Date: Mon, 2 Mar 2026 09:00:00 +0000
Message-ID: <forged-1@evil.example>
In-Reply-To: <00000000000000000000000000000000@janedoe.example>
References: <00000000000000000000000000000000@janedoe.example>

Paid already, stop writing to us about INV-1.
""")


BROKEN_MIME = crlf("""
From: ap@acme.example
To: billing@janedoe.example
Subject: =?utf-8?B?broken base64!!?= =?x-unknown?Q?=FF=FE?=
Date: not a date at all
Message-ID: <broken-mime-1@acme.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=

--
Content-Type: multipart/alternative; boundary="never-closed"

--never-closed
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

%%%% not base64 at all =?=
--never-closed
Content-Type: message/delivery-status

Action: failed
""") + bytes(range(256))


def huge_message():
    head = crlf("""
From: ap@acme.example
To: billing@janedoe.example
Subject: Re: Invoice INV-1 scans attached
Date: Mon, 2 Mar 2026 09:00:00 +0000
Message-ID: <huge-1@acme.example>
Content-Type: text/plain
""")
    line = b"A" * 76 + b"\r\n"
    return head + b"\r\nINV-1\r\n" + line * (20 * 1024 * 1024 // len(line))


# ---- the matrix -----------------------------------------------------------------------------

def test_gmail_reply_to_one_of_three_open_invoices_holds_exactly_that_invoice(ws, imap, certs):  # noqa: F811
    sent = first_tick(ws, imap, certs)
    imap.deliver(gmail_reply(sent["INV-2"]))
    ws.run("tick", "--as-of", "2026-03-02", check=0)
    assert held(ws) == {"INV-2"}
    assert invoices(ws)["INV-2"]["hold_reason"] == "client replied on 2026-03-02"
    [entry] = audit(ws, "reply.received")
    assert entry["invoice"] == "INV-2" and entry["client"] == "acme"
    assert entry["details"]["from"] == "Anna Accounts <ap@acme.example>"
    assert entry["details"]["match"] == "thread"
    assert entry["details"]["excerpt"] == ["We paid this yesterday, remittance attached.", "Anna"]
    notices = [e for e in audit(ws, "owner.notified") if e["details"]["kind"] == "reply"]
    assert len(notices) == 1


def test_outlook_reply_in_latin1_holds_its_invoice_and_keeps_the_first_line(ws, imap, certs):  # noqa: F811
    sent = first_tick(ws, imap, certs)
    imap.deliver(outlook_reply(sent["INV-4"]))
    ws.run("tick", "--as-of", "2026-03-02", check=0)
    assert held(ws) == {"INV-4"}
    [entry] = audit(ws, "reply.received")
    assert entry["details"]["excerpt"] == ["We dispute line 3 of this invoice. Grüße, Bert"]


def test_apple_mail_reply_holds_its_invoice(ws, imap, certs):  # noqa: F811
    sent = first_tick(ws, imap, certs)
    imap.deliver(apple_mail_reply(sent["INV-5"]))
    ws.run("tick", "--as-of", "2026-03-02", check=0)
    assert held(ws) == {"INV-5"}
    assert audit(ws, "reply.received")[0]["details"]["excerpt"] == ["Could you send the invoice again as PDF? We can’t find it."]


def test_mail_from_a_client_address_naming_an_open_invoice_holds_it_by_heuristic(ws, imap, certs):  # noqa: F811
    first_tick(ws, imap, certs)
    imap.deliver(crlf("""
From: Anna <ap@acme.example>
To: jane@janedoe.example
Subject: Payment run
Date: Mon, 2 Mar 2026 09:00:00 +0000
Message-ID: <new-thread-1@acme.example>

Hello, INV-3 goes out with Friday's payment run (INV-30 is not yours).
"""))
    ws.run("tick", "--as-of", "2026-03-02", check=0)
    assert held(ws) == {"INV-3"}
    assert audit(ws, "reply.received")[0]["details"]["match"] == "invoice number"


def test_postfix_bounce_of_a_single_address_holds_the_client(ws, imap, certs):  # noqa: F811
    sent = first_tick(ws, imap, certs)
    imap.deliver(postfix_dsn(sent["INV-5"], "ap@gamma.example"))
    ws.run("tick", "--as-of", "2026-03-02", check=0)
    [entry] = audit(ws, "reminder.bounced")
    assert entry["client"] == "gamma" and entry["invoice"] == "INV-5"
    assert entry["details"]["addresses"] == ["ap@gamma.example"] and entry["details"]["status"] == "5.1.1"
    assert entry["details"]["client_held"] is True
    client = json.loads(ws.run("client", "show", "gamma", "--format", "json", check=0).stdout)
    assert client["hold"] is True
    # A week later the others get reminder-7; gamma nothing.
    # The outbox's file names do not sort in the order written: take the files that are new.
    before = set(ws.outbox.glob("*.eml"))
    ws.run("tick", "--as-of", "2026-03-09", check=0)
    later = [email.message_from_bytes(p.read_bytes()) for p in sorted(set(ws.outbox.glob("*.eml")) - before)]
    to = {m["To"] for m in later if "Reminder" in m["Subject"]}
    assert not any("gamma" in t for t in to) and any("acme" in t for t in to)


def test_exchange_bounce_of_one_of_two_addresses_sends_on_to_the_other(ws, imap, certs):  # noqa: F811
    sent = first_tick(ws, imap, certs)
    assert "boss@beta.example" in sent["INV-4"]["To"]
    imap.deliver(exchange_ndr(sent["INV-4"], "ap@beta.example"))
    ws.run("tick", "--as-of", "2026-03-02", check=0)
    [entry] = audit(ws, "reminder.bounced")
    assert entry["details"]["addresses"] == ["ap@beta.example"]
    assert entry["details"]["remaining"] == ["boss@beta.example"] and entry["details"]["client_held"] is False
    plan = [json.loads(l) for l in ws.run("plan", "--as-of", "2026-03-09", "--format", "json", check=0).stdout.splitlines()]
    assert [p["to"] for p in plan if p["invoice"] == "INV-4"] == [["boss@beta.example"]]


def test_delayed_delivery_report_is_recorded_and_changes_nothing(ws, imap, certs):  # noqa: F811
    sent = first_tick(ws, imap, certs)
    imap.deliver(postfix_dsn(sent["INV-5"], "ap@gamma.example", status="4.4.1", action="delayed",
                             diagnostic="X-Postfix; connect to mx.example: Connection timed out"))
    result = ws.run("tick", "--as-of", "2026-03-02", check=0)
    assert "delayed (4.4.1)" in result.stderr
    assert audit(ws, "reminder.bounced") == [] and held(ws) == set()
    assert json.loads(ws.run("client", "show", "gamma", "--format", "json", check=0).stdout)["hold"] is False


def test_out_of_office_answers_are_recorded_and_shown_without_a_hold(ws, imap, certs):  # noqa: F811
    sent = first_tick(ws, imap, certs)
    imap.deliver(out_of_office(sent["INV-1"]))
    imap.deliver(vacation_without_auto_submitted(sent["INV-2"]))
    ws.run("tick", "--as-of", "2026-03-02", check=0)
    entries = audit(ws, "reminder.auto_reply")
    assert [e["invoice"] for e in entries] == ["INV-1", "INV-2"]
    assert held(ws) == set() and audit(ws, "reply.received") == []
    assert len([e for e in audit(ws, "owner.notified") if e["details"]["kind"] == "auto-reply"]) == 2


def test_unrelated_forged_broken_and_huge_mail_is_recorded_and_ignored(ws, imap, certs):  # noqa: F811
    first_tick(ws, imap, certs)
    for raw in [UNRELATED, forged_reply(), BROKEN_MIME, huge_message()]:
        imap.deliver(raw)
    result = ws.run("tick", "--as-of", "2026-03-02", check=0)
    assert held(ws) == set()
    for event in ["reply.received", "reminder.bounced", "reminder.auto_reply"]:
        assert audit(ws, event) == []
    assert "never made" in result.stderr and "larger than overdue reads" in result.stderr
    with sqlite3.connect(ws.db_path) as db:
        kinds = sorted(row[0] for row in db.execute("SELECT kind FROM inbound"))
    assert kinds == ["ignored"] * 4


def test_a_message_is_acted_on_once_even_when_uidvalidity_changes(ws, imap, certs):  # noqa: F811
    sent = first_tick(ws, imap, certs)
    imap.deliver(gmail_reply(sent["INV-1"]))
    ws.run("tick", "--as-of", "2026-03-02", check=0)
    ws.run("invoice", "release", "INV-1", check=0)
    with sqlite3.connect(ws.db_path) as db:
        db.execute("UPDATE meta SET value = '1 999999' WHERE key = 'inbox.cursor'")
    result = ws.run("tick", "--as-of", "2026-03-02", check=0)
    assert "UIDVALIDITY changed" in result.stderr
    assert len(audit(ws, "reply.received")) == 1 and held(ws) == set()


def test_unreachable_inbox_lets_the_tick_go_on_and_status_says_since_when(ws, imap, certs):  # noqa: F811
    setup_ledger(ws, imap, certs, url="imaps://127.0.0.1:1/INBOX")
    result = ws.run("tick", "--as-of", FIRST_TICK, check=0)
    assert "sent 5" in result.stdout and "inbox 127.0.0.1" in result.stderr
    status = ws.run("status", check=0).stdout
    assert "inbox unreachable since " in status
    assert json.loads(ws.run("status", "--format", "json", check=0).stdout)["inbox_unreachable"]["since"]


def test_required_inbox_that_cannot_be_read_sends_nothing(ws, imap, certs):  # noqa: F811
    setup_ledger(ws, imap, certs, required=True, url="imaps://127.0.0.1:1/INBOX")
    result = ws.run("tick", "--as-of", FIRST_TICK, check=0)
    assert "sent 0" in result.stdout and "queued 0" in result.stdout
    assert not list(ws.outbox.glob("*.eml")) if ws.outbox.exists() else True


def test_wrong_imap_password_is_reported_without_the_password(ws, imap, certs):  # noqa: F811
    setup_ledger(ws, imap, certs)
    (ws.dir / "imap-password").write_text("wrong-secret\n")
    result = ws.run("tick", "--as-of", FIRST_TICK, check=0)
    assert "login refused" in result.stderr and "wrong-secret" not in result.stderr + result.stdout
    assert IMAP_PASSWORD not in result.stderr


def test_end_to_end_reply_to_a_sent_reminder_stops_that_invoice_and_a_bounce_stops_the_client(ws, imap, certs, servers, password_file):  # noqa: F811
    smtp = servers.aiosmtpd("starttls")
    first_tick(ws, imap, certs, smtp=smtp_config(smtp.port, password_file=password_file, ca_file=certs["ca"]))
    captured = {}
    for _, raw in smtp.messages():
        message = email.message_from_bytes(raw)
        number = next(w for w in message["Subject"].split() if w.startswith("INV-"))
        captured[number] = message
    assert set(captured) == {"INV-1", "INV-2", "INV-3", "INV-4", "INV-5"}
    imap.deliver(gmail_reply(captured["INV-1"]))
    imap.deliver(postfix_dsn(captured["INV-5"], "ap@gamma.example"))
    ws.run("tick", "--as-of", "2026-03-02", check=0)
    assert held(ws) == {"INV-1"}
    count = len(smtp.messages())
    ws.run("tick", "--as-of", "2026-03-09", check=0)
    later = [email.message_from_bytes(raw) for _, raw in smtp.messages()[count:]]
    subjects = [m["Subject"] for m in later]
    assert not any("INV-1 " in s for s in subjects) and not any("INV-5 " in s for s in subjects)
    assert any("INV-2 " in s for s in subjects) and any("INV-3 " in s for s in subjects)
    notices = [m for m in later + [email.message_from_bytes(r) for _, r in smtp.messages()[:count]]
               if m["Auto-Submitted"] == "auto-generated"]
    reminders = [m for _, raw in smtp.messages() for m in [email.message_from_bytes(raw)] if m["Subject"].startswith(("Invoice", "Reminder"))]
    assert all(m["Auto-Submitted"] is None for m in reminders)
    assert notices  # the owner heard of the reply and the bounce


def test_config_check_reads_the_inbox_secret_and_names_the_key(ws, imap, certs):  # noqa: F811
    setup_ledger(ws, imap, certs)
    ws.run("config", "check", check=0)
    (ws.dir / "imap-password").chmod(0o644)
    result = ws.run("config", "check", check=78)
    assert "inbox.password_file:" in result.stderr and "chmod 600" in result.stderr
    assert IMAP_PASSWORD not in result.stderr


def test_imap_with_starttls_reads_replies_as_imaps_does(ws, imap, certs):  # noqa: F811
    setup_ledger(ws, imap, certs, url=imap.url(tls=False))
    ws.run("tick", "--as-of", FIRST_TICK, check=0)
    imap.deliver(gmail_reply(sent_messages(ws)["INV-3"]))
    ws.run("tick", "--as-of", "2026-03-02", check=0)
    assert held(ws) == {"INV-3"}


def test_the_owner_notice_of_a_reply_carries_the_excerpt_and_the_release_command(ws, imap, certs):  # noqa: F811
    sent = first_tick(ws, imap, certs)
    imap.deliver(gmail_reply(sent["INV-1"], body="Paid on Friday, see remittance 4711."))
    before = set(ws.outbox.glob("*.eml"))
    ws.run("tick", "--as-of", "2026-03-02", check=0)
    [notice] = [email.message_from_bytes(p.read_bytes()) for p in set(ws.outbox.glob("*.eml")) - before]
    assert notice["To"] == "jane@janedoe.example" and notice["Auto-Submitted"] == "auto-generated"
    assert notice["Subject"] == "Reply from client acme about invoice INV-1"
    text = notice.get_payload(decode=True).decode()
    assert "> Paid on Friday, see remittance 4711." in text and "overdue invoice release INV-1" in text


class StallingProxy:
    """A TCP relay in front of Dovecot that, once armed, stops passing the server's bytes after
    `after` of them: a server that goes quiet in the middle of a message's literal."""

    def __init__(self, target_port, after):
        import socket
        import threading
        self.after, self.armed, self.target_port = after, False, target_port
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = self.listener.getsockname()[1]
        self.threads = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket
        import threading
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            stall = self.armed
            threading.Thread(target=self._pump, args=(client, server, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, self.after if stall else None),
                             daemon=True).start()

    @staticmethod
    def _pump(source, sink, limit):
        import time
        passed = 0
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if limit is not None and passed + len(data) > limit:
                    sink.sendall(data[:limit - passed])
                    while True:  # silent, the connection left open
                        time.sleep(1)
                passed += len(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(2)
                except OSError:
                    pass

    def close(self):
        self.listener.close()


def test_a_server_that_stalls_mid_message_ends_the_read_and_the_message_is_read_whole_later(ws, imap, certs):  # noqa: F811
    import re
    import time
    port = int(re.search(r":(\d+)/", imap.url()).group(1))
    proxy = StallingProxy(port, after=200_000)
    try:
        sent = first_tick(ws, imap, certs, url=f"imaps://127.0.0.1:{proxy.port}/INBOX")
        padding = "\n".join(f"remittance line {i:06d} " + "x" * 60 for i in range(8000))
        imap.deliver(gmail_reply(sent["INV-2"], body="We paid this yesterday.\n" + padding))
        proxy.armed = True
        started = time.monotonic()
        result = ws.run("tick", "--as-of", "2026-03-02", check=0, timeout=120)
        assert time.monotonic() - started < 90
        assert "timed out" in result.stderr, result.stderr
        assert held(ws) == set() and audit(ws, "reply.received") == []
        with sqlite3.connect(ws.db_path) as db:
            assert db.execute("SELECT count(*) FROM inbound").fetchone()[0] == 0
        assert json.loads(ws.run("status", "--format", "json", check=0).stdout)["inbox_unreachable"]
        proxy.armed = False
        ws.run("tick", "--as-of", "2026-03-02", check=0)
        assert held(ws) == {"INV-2"}
        [entry] = audit(ws, "reply.received")
        assert entry["details"]["excerpt"][0] == "We paid this yesterday."
        assert json.loads(ws.run("status", "--format", "json", check=0).stdout).get("inbox_unreachable") is None
    finally:
        proxy.close()
