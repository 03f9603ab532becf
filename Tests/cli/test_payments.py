"""`overdue import-payments` through the real binary and a real SQLite file."""
import json

from conftest import invoice_row


def audit(ws, *args):
    return [json.loads(l) for l in ws.run("audit", "--format", "json", *args, check=0).stdout.splitlines()]


def show(ws, number):
    return json.loads(ws.run("invoice", "show", number, "--format", "json", check=0).stdout)


def write(ws, name, text):
    path = ws.dir / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_a_bank_export_dropped_twice_pays_once_and_closes_what_it_pays(ws):
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1", amount="1200.00"),
                                            invoice_row("INV-2", amount="300.00"),
                                            invoice_row("INV-Y", amount="5000", currency="JPY")]), check=0)
    export = write(ws, "bank.csv", "invoice,amount,date,reference\r\nINV-1,200.5,2026-03-02,TX-1\r\n"
                                   "INV-2,300.00,2026-03-02,TX-2\r\nINV-Y,5000,2026-03-03,\r\n")
    first = ws.run("import-payments", export, check=0)
    assert first.stdout == f"{export}: 3 payment(s) recorded, 0 already recorded; paid in full: INV-2, INV-Y\n"
    again = ws.run("import-payments", export, check=0)
    assert again.stdout == f"{export}: 0 payment(s) recorded, 3 already recorded\n"
    assert show(ws, "INV-1")["paid"] == "200.50" and show(ws, "INV-1")["amount_due"] == "999.50"
    assert show(ws, "INV-2")["status"] == "paid"
    recorded = audit(ws, "--event", "payment.recorded")
    assert [(e["invoice"], e["amount"], e["currency"], e["reference"]) for e in recorded] == [
        ("INV-1", "200.50", "EUR", "TX-1"), ("INV-2", "300.00", "EUR", "TX-2"), ("INV-Y", "5000", "JPY", "")]
    assert ws.run("audit", "verify", check=0).returncode == 0


def test_an_unknown_invoice_an_overpayment_and_a_bad_amount_reject_the_whole_file_naming_each_line(ws):
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1", amount="100.00"),
                                            invoice_row("INV-Y", amount="5000", currency="JPY")]), check=0)
    bad = write(ws, "bad.csv", "invoice,amount,date\nINV-1,40,2026-03-02\nINV-404,5,2026-03-02\n"
                               "INV-1,70,2026-03-03\nINV-Y,10.5,2026-03-03\n")
    result = ws.run("import-payments", bad)
    assert result.returncode == 65
    assert result.stderr.splitlines() == [
        f'{bad}:3: invoice: "INV-404" is not in the ledger',
        f"{bad}:4: amount: 70.00 EUR exceeds the balance 60.00 EUR of invoice INV-1 left after the file's earlier lines (an overpayment)",
        f'{bad}:5: amount: "10.5" has more than 0 decimal digits, the most JPY allows (invoice INV-Y is in JPY)',
        f"{bad}: 3 problem(s); nothing recorded",
    ]
    assert show(ws, "INV-1")["paid"] == "0.00"
    assert audit(ws, "--event", "payment.recorded") == []


def test_a_dry_run_reports_and_records_nothing(ws):
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1", amount="100.00")]), check=0)
    path = write(ws, "p.csv", "invoice,amount,date\nINV-1,100,2026-03-02\n")
    out = ws.run("import-payments", path, "--dry-run", check=0).stdout
    assert "would record 1 payment(s)" in out and "INV-1" in out
    assert show(ws, "INV-1")["status"] == "open"


def test_a_payment_file_needs_an_existing_ledger_and_its_columns(ws):
    path = write(ws, "p.csv", "invoice,amount\nINV-1,100\n")
    result = ws.run("import-payments", path)
    assert result.returncode == 65 and f"{path}:1: date: required column is missing from the header" in result.stderr
    assert not ws.db_path.exists()
