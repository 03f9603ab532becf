"""No ledger field can add a header or a recipient: CR, LF, CRLF, NUL, U+0085 and U+2028 in the
client name, the client's addresses and the invoice number (which reaches the Subject) are
refused, whether they arrive through CSV import or are written straight into the database."""
import email
import email.policy
import sqlite3

import pytest

from conftest import invoice_row

BAD = {"CR": "\r", "LF": "\n", "CRLF": "\r\n", "NUL": "\x00", "NEL": "\u0085", "LSEP": "\u2028"}
EVIL = "evil@attacker.example"


def assert_no_injection(ws, client_mail_allowed=True):
    """Every message written has only the expected headers and recipients. The owner's notice
    about a refused reminder may quote the bad value in its body, never in a header."""
    for path in ws.outbox.glob("*.eml"):
        raw = path.read_bytes()
        head = raw.partition(b"\r\n\r\n")[0]
        assert EVIL.encode() not in head, head
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert message.get_all("Bcc") is None and message.get_all("Cc") is None
        to = [a.addr_spec for a in message["To"].addresses]
        assert to in ([["ap@acme.example"]] if client_mail_allowed else []) + [["jane@janedoe.example"]], to


@pytest.mark.parametrize("kind", BAD)
@pytest.mark.parametrize("field", ["client_name", "client_email", "number"])
def test_csv_import_never_lets_a_control_character_reach_a_header(ws, field, kind):
    bad = BAD[kind]
    row = invoice_row("INV-1", issue_date="2025-12-01", due="2026-01-01")
    row[field] = {"client_name": f"Acme{bad}Bcc: {EVIL}",
                  "client_email": f"ap@acme.example{bad}RCPT TO:<{EVIL}>",
                  "number": f"INV-1{bad}Bcc: {EVIL}"}[field]
    imported = ws.run("import", ws.write_csv("bad.csv", [row]))
    if imported.returncode == 0:
        number = row["number"]
        if "\x00" not in number:  # argv cannot carry NUL
            preview = ws.run("preview", number, "--as-of", "2026-02-05")
            assert preview.returncode == 65, preview.stdout
        ws.run("tick", "--as-of", "2026-02-05")
    else:
        assert imported.returncode == 65
    assert_no_injection(ws)


@pytest.fixture
def poisoned(ws):
    """An invoice imported cleanly; the test then writes a bad value straight into SQLite,
    as a hand edit or another tool might."""
    ws.run("import", ws.write_csv("ok.csv", [invoice_row("INV-1", issue_date="2025-12-01", due="2026-01-01")]), check=0)

    def poison(sql, value):
        with sqlite3.connect(ws.db_path) as db:
            db.execute("PRAGMA foreign_keys = OFF")
            db.execute(sql, (value,))
    return poison


@pytest.mark.parametrize("kind", BAD)
def test_client_name_with_control_character_in_the_database_is_refused(ws, poisoned, kind):
    poisoned("UPDATE clients SET name = ? WHERE id = 'acme'", f"Acme{BAD[kind]}Bcc: {EVIL}")
    preview = ws.run("preview", "INV-1", "--as-of", "2026-02-05")
    assert preview.returncode == 65, preview.stdout
    assert "INV-1" in preview.stderr and len(preview.stderr.strip().splitlines()) == 1
    ws.run("tick", "--as-of", "2026-02-05")
    assert_no_injection(ws, client_mail_allowed=False)


@pytest.mark.parametrize("kind", [k for k in BAD if k != "LF"])  # LF is the store's own list separator
def test_client_address_with_control_character_in_the_database_is_refused(ws, poisoned, kind):
    poisoned("UPDATE clients SET emails = ? WHERE id = 'acme'", f"ap@acme.example{BAD[kind]}RCPT TO:<{EVIL}>")
    preview = ws.run("preview", "INV-1", "--as-of", "2026-02-05")
    assert preview.returncode == 65, preview.stdout
    ws.run("tick", "--as-of", "2026-02-05")
    assert_no_injection(ws, client_mail_allowed=False)


@pytest.mark.parametrize("kind", BAD)
def test_invoice_number_with_control_character_never_reaches_the_subject(ws, poisoned, kind):
    number = f"INV-1{BAD[kind]}Bcc: {EVIL}"
    poisoned("UPDATE invoices SET number = ? WHERE number = 'INV-1'", number)
    if "\x00" not in number:  # argv cannot carry NUL
        preview = ws.run("preview", number, "--as-of", "2026-02-05")
        assert preview.returncode == 65, preview.stdout
    ws.run("tick", "--as-of", "2026-02-05")
    assert_no_injection(ws, client_mail_allowed=False)
