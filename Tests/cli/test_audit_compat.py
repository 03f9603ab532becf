"""A ledger written by an earlier release (0.2.0, fixtures/ledger-0.2.0.sql: imports with
non-ASCII and escaped names, `invoice add`, payments, holds with control characters in the
reason, ticks under --as-of) still verifies, and the entries this build appends to it chain on
and verify: the line the hash is taken over has not changed by a byte."""
import json
import pathlib
import sqlite3

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "ledger-0.2.0.sql"


def restore(ws):
    con = sqlite3.connect(ws.db_path)
    con.executescript(FIXTURE.read_text(encoding="utf-8"))
    con.close()


def test_a_ledger_written_by_release_0_2_0_verifies(ws):
    restore(ws)
    result = ws.run("audit", "verify", check=0)
    assert "56" in result.stdout + result.stderr


def test_entries_appended_to_an_old_ledger_chain_on_and_verify(ws):
    restore(ws)
    ws.run("invoice", "hold", "INV-2", "--reason", 'tab\tquote" back\\ line\u2028sep \u00e9\U0001F600', check=0)
    ws.run("invoice", "pay", "INV-6", "1.00", "--on", "2026-03-01", check=0)
    ws.write_csv("third.csv", [{"number": "INV-7", "client_id": "müller", "client_name": "Müller & Söhne GmbH\u00a0Köln 😀",
                               "client_email": "ap@mueller.example", "issue_date": "2026-01-01", "due_date": "2026-02-01",
                               "amount": "7.00", "currency": "EUR", "paid": "0", "status": "open"}])
    ws.run("import", ws.dir / "third.csv", check=0)
    ws.run("tick", "--as-of", "2026-04-01T09:30:00+02:00", check=0)
    ws.run("audit", "verify", check=0)
    lines = [json.loads(line) for line in ws.run("audit", "--format", "json", check=0).stdout.splitlines()]
    assert len(lines) > 60
    assert [entry["seq"] for entry in lines] == list(range(1, len(lines) + 1))
    for previous, entry in zip(lines, lines[1:]):
        assert entry["prev"] == previous["hash"]
    held = [e for e in lines if e["event"] == "invoice.held" and e["invoice"] == "INV-2"][-1]
    assert held["details"]["reason"] == 'tab\tquote" back\\ line\u2028sep \u00e9\U0001F600'
    imported = [e for e in lines if e["event"] == "invoice.imported" and e["invoice"] == "INV-7"]
    assert imported[0]["details"]["issue_date"] == "2026-01-01" and imported[0]["details"]["amount"] == "7.00"


def test_an_edited_entry_of_an_old_ledger_is_found(ws):
    restore(ws)
    con = sqlite3.connect(ws.db_path)
    con.execute("DROP TRIGGER audit_no_update")   # as someone editing the file by hand would
    con.execute("""UPDATE audit SET details = replace(details, '"line":3', '"line":4') WHERE seq = 5""")
    con.commit()
    con.close()
    result = ws.run("audit", "verify", check=65)
    assert "seq 5" in result.stdout + result.stderr
