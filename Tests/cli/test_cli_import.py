"""`overdue import`: all-or-nothing CSV import through the real binary into a real SQLite file."""
import json

import pytest

from conftest import invoice_row


def ledger_state(ws):
    """Everything a bad import must leave untouched: invoices, clients and the audit trail."""
    invoices = ws.run("invoice", "list", "--format", "json", check=0).stdout
    clients = ws.run("client", "list", "--format", "json", check=0).stdout
    audit = ws.run("audit", "--format", "json", check=0).stdout
    return invoices, clients, audit


def seed(ws):
    path = ws.write_csv("seed.csv", [invoice_row("INV-1"), invoice_row("INV-2", client="globex")])
    ws.run("import", path, check=0)


def test_import_adds_invoices_and_clients_and_audits_each(ws):
    path = ws.write_csv("a.csv", [invoice_row("INV-1"), invoice_row("INV-2", client="globex", amount="99.5")])
    result = ws.run("import", path, check=0)
    assert "2 added" in result.stdout
    invoices = [json.loads(l) for l in ws.run("invoice", "list", "--format", "json", check=0).stdout.splitlines()]
    assert [i["number"] for i in invoices] == ["INV-1", "INV-2"]
    assert invoices[1]["amount"] == "99.50" and invoices[1]["currency"] == "EUR"
    events = [json.loads(l)["event"] for l in ws.run("audit", "--format", "json", check=0).stdout.splitlines()]
    assert events.count("invoice.imported") == 2


def test_reimporting_the_same_file_changes_nothing(ws):
    path = ws.write_csv("a.csv", [invoice_row("INV-1"), invoice_row("INV-2")])
    ws.run("import", path, check=0)
    before = ledger_state(ws)
    result = ws.run("import", path, check=0)
    assert "0 added, 0 updated, 2 unchanged" in result.stdout
    assert ledger_state(ws) == before


def test_changed_row_updates_the_invoice_and_is_audited(ws):
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1", amount="100.00")]), check=0)
    result = ws.run("import", ws.write_csv("b.csv", [invoice_row("INV-1", amount="150.00")]), check=0)
    assert "1 updated" in result.stdout
    shown = json.loads(ws.run("invoice", "show", "INV-1", "--format", "json", check=0).stdout)
    assert shown["amount"] == "150.00"
    updates = [json.loads(l) for l in ws.run("audit", "--event", "invoice.updated", "--format", "json", check=0).stdout.splitlines()]
    assert len(updates) == 1 and updates[0]["invoice"] == "INV-1"
    assert "150.00" in json.dumps(updates[0]["details"])


def test_money_is_exact_in_zero_two_and_three_digit_currencies(ws):
    rows = [invoice_row("J-1", amount="180000", currency="JPY"), invoice_row("K-1", amount="12.5", currency="KWD"),
            invoice_row("E-1", amount="0.10", currency="EUR", paid="0.03")]
    ws.run("import", ws.write_csv("m.csv", rows), check=0)
    by_number = {i["number"]: i for i in map(json.loads, ws.run("invoice", "list", "--format", "json", check=0).stdout.splitlines())}
    assert by_number["J-1"]["amount"] == "180000"
    assert by_number["K-1"]["amount"] == "12.500"
    assert by_number["E-1"]["amount_due"] == "0.07"


BAD_ROWS = [
    ("bad date", {"due_date": "2026-02-30"}, "due_date"),
    ("short date", {"issue_date": "2026-1-5"}, "issue_date"),
    ("due before issue", {"issue_date": "2026-03-02", "due_date": "2026-03-01"}, "due_date"),
    ("exponent", {"amount": "1e3"}, "amount"),
    ("negative", {"amount": "-5.00"}, "amount"),
    ("too many digits", {"amount": "10.001"}, "amount"),
    ("grouping", {"amount": "1,000.00"}, "amount"),
    ("zero amount", {"amount": "0"}, "amount"),
    ("fraction of yen", {"amount": "12.5", "currency": "JPY"}, "amount"),
    ("unknown currency", {"currency": "ABC"}, "currency"),
    ("lowercase currency", {"currency": "eur"}, "currency"),
    ("paid above amount", {"paid": "1300.00"}, "paid"),
    ("bad address", {"client_email": "not-an-address"}, "client_email"),
    ("address with space", {"client_email": "a b@example.com"}, "client_email"),
    ("empty name", {"client_name": ""}, "client_name"),
    ("unknown status", {"status": "overdue"}, "status"),
]


@pytest.mark.parametrize("label,change,column", BAD_ROWS, ids=[b[0] for b in BAD_ROWS])
def test_bad_row_rejects_the_file_naming_line_and_column(ws, label, change, column):
    seed(ws)
    before = ledger_state(ws)
    path = ws.write_csv("bad.csv", [invoice_row("INV-10"), invoice_row("INV-11", **change)])
    result = ws.run("import", path)
    assert result.returncode == 65, result.stderr
    assert f"{path}:3: {column}:" in result.stderr
    assert ledger_state(ws) == before


CONTROL_CHARACTERS = ["\r", "\n", "\r\n", "\x00", "\u0085", "\u2028", "\x1b"]


@pytest.mark.parametrize("column", ["number", "client_id", "client_name", "client_email"])
@pytest.mark.parametrize("char", CONTROL_CHARACTERS, ids=[repr(c) for c in CONTROL_CHARACTERS])
def test_control_characters_in_any_text_field_are_refused(ws, column, char):
    seed(ws)
    before = ledger_state(ws)
    row = invoice_row("INV-10")
    row[column] = row[column][:2] + char + "Bcc: evil@example.com"
    path = ws.write_csv("bad.csv", [row])
    result = ws.run("import", path)
    assert result.returncode == 65, result.stderr
    assert f"{path}:2: {column}:" in result.stderr
    assert ledger_state(ws) == before


def test_every_bad_row_is_listed(ws):
    rows = [invoice_row("INV-1", amount="x"), invoice_row("INV-2"), invoice_row("INV-3", currency="ZZZ"),
            invoice_row("INV-4", due_date="2026-13-01")]
    path = ws.write_csv("bad.csv", rows)
    result = ws.run("import", path)
    assert result.returncode == 65
    for line, column in [(2, "amount"), (4, "currency"), (5, "due_date")]:
        assert f"{path}:{line}: {column}:" in result.stderr
    assert not ws.db_path.exists()   # a rejected first import creates no ledger either


def test_duplicate_invoice_number_in_a_file_is_refused(ws):
    path = ws.write_csv("dup.csv", [invoice_row("INV-1"), invoice_row("INV-2"), invoice_row("INV-1")])
    result = ws.run("import", path)
    assert result.returncode == 65
    assert f"{path}:4: number:" in result.stderr


def test_broken_quoting_is_refused_with_its_line(ws):
    seed(ws)
    before = ledger_state(ws)
    path = ws.dir / "quote.csv"
    path.write_bytes(b"number,client_id,client_name,client_email,issue_date,due_date,amount,currency\r\n"
                     b"INV-9,acme,Acme,ap@acme.example,2026-01-01,2026-02-01,10.00,EUR\r\n"
                     b'INV-10,acme,"Acme "Ltd,ap@acme.example,2026-01-01,2026-02-01,10.00,EUR\r\n')
    result = ws.run("import", path)
    assert result.returncode == 65
    assert f"{path}:3:" in result.stderr
    assert ledger_state(ws) == before


def test_unterminated_quote_is_refused(ws):
    path = ws.dir / "open.csv"
    path.write_bytes(b"number,client_id,client_name,client_email,issue_date,due_date,amount,currency\n"
                     b'INV-10,acme,"Acme Ltd,ap@acme.example,2026-01-01,2026-02-01,10.00,EUR\n')
    result = ws.run("import", path)
    assert result.returncode == 65
    assert f"{path}:2:" in result.stderr


def test_non_utf8_is_refused(ws):
    seed(ws)
    before = ledger_state(ws)
    path = ws.dir / "latin1.csv"
    path.write_bytes(b"number,client_id,client_name,client_email,issue_date,due_date,amount,currency\n"
                     b"INV-10,acme,M\xfcller,ap@acme.example,2026-01-01,2026-02-01,10.00,EUR\n")
    result = ws.run("import", path)
    assert result.returncode == 65
    assert f"{path}:2: client_name:" in result.stderr
    assert ledger_state(ws) == before


def test_quoted_fields_with_commas_quotes_and_newlines_import(ws):
    path = ws.dir / "quoted.csv"
    path.write_bytes("\ufeffcurrency,amount,number,client_id,client_name,client_email,issue_date,due_date\r\n"
                     'EUR,10.00,INV-1,acme,"Acme, ""The"" Company",ap@acme.example; cfo@acme.example,2026-01-01,2026-02-01\r\n'
                     .encode())
    ws.run("import", path, check=0)
    client = json.loads(ws.run("client", "show", "acme", "--format", "json", check=0).stdout)
    assert client["name"] == 'Acme, "The" Company'
    assert client["emails"] == ["ap@acme.example", "cfo@acme.example"]


def test_missing_required_column_is_refused_at_line_one(ws):
    path = ws.write_csv("cols.csv", [invoice_row("INV-1")], columns=["number", "client_id", "client_name", "issue_date",
                                                                     "due_date", "amount", "currency"])
    result = ws.run("import", path)
    assert result.returncode == 65
    assert f"{path}:1: client_email:" in result.stderr


def test_dry_run_writes_nothing(ws):
    seed(ws)
    before = ledger_state(ws)
    result = ws.run("import", ws.write_csv("new.csv", [invoice_row("INV-3")]), "--dry-run", check=0)
    assert "dry run" in result.stdout
    assert ledger_state(ws) == before


def test_missing_file_is_reported(ws):
    result = ws.run("import", ws.dir / "nope.csv")
    assert result.returncode == 66
    assert "nope.csv" in result.stderr


def test_new_invoice_for_blocked_client_warns(ws):
    seed(ws)
    ws.run("client", "block", "acme", "--reason", "never again", check=0)
    result = ws.run("import", ws.write_csv("new.csv", [invoice_row("INV-3")]), check=0)
    assert "acme" in result.stderr and "blocked" in result.stderr


def test_a_file_of_many_blocks_with_a_bad_last_row_imports_nothing(ws):
    # Over 2 MiB: the file is read a block (1 MiB) at a time, and every block is checked before
    # the first row is written.
    rows = [invoice_row(f"INV-{i:06d}", client=f"c{i % 500}", client_name=f"Client {i % 500} with a longer name")
            for i in range(25_000)]
    rows[-1] = invoice_row("INV-LAST", amount="12,00")
    seed(ws)
    before = ledger_state(ws)
    path = ws.write_csv("big.csv", rows)
    assert path.stat().st_size > 2 * 2**20
    result = ws.run("import", path)
    assert result.returncode == 65, result.stderr
    assert f"{path}:25001: amount:" in result.stderr
    assert ledger_state(ws) == before


def test_a_file_of_many_blocks_imports_every_row_with_its_line(ws):
    rows = [invoice_row(f"INV-{i:06d}", client=f"c{i % 500}", client_name=f"Client {i % 500} with a longer name")
            for i in range(25_000)]
    path = ws.write_csv("big.csv", rows)
    result = ws.run("import", path, check=0)
    assert "25000 added" in result.stdout
    lines = {}
    for entry in map(json.loads, ws.run("audit", "--format", "json", check=0).stdout.splitlines()):
        if entry["event"] == "invoice.imported":
            lines[entry["invoice"]] = entry["details"]["line"]
    assert len(lines) == 25_000
    assert all(lines[f"INV-{i:06d}"] == i + 2 for i in range(25_000))
