"""Accounting-tool exports imported as the tools write them: Xero (`format = "xero"`) and, with
the example column maps of config/import/, QuickBooks Online, FreshBooks, Invoice Ninja, Zoho
Invoice and Wave. Each test writes a sample export in the tool's shape, imports it through the
built binary with the shipped example config, and checks the ledger with `plan --all`."""
import json
import os
import time

import pytest

from conftest import ROOT

EXAMPLES = ROOT / "config" / "import"
AS_OF = "2026-03-20"

XERO_HEADER = ("ContactName,EmailAddress,POAddressLine1,POAddressLine2,POAddressLine3,POAddressLine4,POCity,"
               "PORegion,POPostalCode,POCountry,SAAddressLine1,SAAddressLine2,SAAddressLine3,SAAddressLine4,"
               "SACity,SARegion,SAPostalCode,SACountry,InvoiceNumber,Reference,InvoiceDate,DueDate,PlannedDate,"
               "Total,TaxTotal,InvoiceAmountPaid,InvoiceAmountDue,InventoryItemCode,Description,Quantity,"
               "UnitAmount,Discount,LineAmount,AccountCode,TaxType,TaxAmount,TrackingName1,TrackingOption1,"
               "TrackingName2,TrackingOption2,Currency,Type,Sent,Status")


def xero_row(contact, email, number, issued, due, total, paid, owed, line, status,
             type_="Sales invoice", currency="GBP"):
    """One line-item row of Xero's invoice export (44 columns)."""
    cells = [contact, email, "1 High St", "", "", "", "London", "", "N1 1AA", "GB"] + [""] * 8
    cells += [number, "", issued, due, "", total, "", paid, owed, "", line[0], "1", line[1], "", line[1],
              "200", "20% (VAT on Income)", "", "", "", "", "", currency, type_, "Sent", status]
    return ",".join(f'"{c}"' if "," in c else c for c in cells)


def use_example(ws, name, extra=""):
    """The test config with the example section of config/import/NAME.toml appended."""
    ws.write_config(ws.config_text() + "\n" + (EXAMPLES / f"{name}.toml").read_text() + extra)


def write(ws, name, text, encoding="utf-8"):
    path = ws.dir / name
    path.write_bytes(text.encode(encoding))
    return path


def drop(folder, name, text):
    """Writes a dot-file and renames it into place, as the watched folder expects of a sender."""
    temporary = folder / f".{name}.part"
    temporary.write_text(text, encoding="utf-8", newline="")
    time.sleep(0.05)   # the rename's inode change must fall on a later clock tick than the write
    os.rename(temporary, folder / name)


def ledger(ws):
    """The invoices still to be reminded, as `plan --all --format json` shows them:
    number → (client, amount due, currency, to). Closed ones (paid, cancelled) are left out."""
    out = ws.run("plan", "--all", "--as-of", AS_OF, "--format", "json", check=0).stdout
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {line["invoice"]: (line["client"], line["amount_due"], line["currency"], line["to"])
            for line in lines if line.get("reason") != "closed"}


def show(ws, number):
    return json.loads(ws.run("invoice", "show", number, "--format", "json", check=0).stdout)


def refused(ws, path, *args):
    """Imports `path`, expecting the whole file refused (exit 65); returns stderr."""
    before = ws.run("plan", "--all", "--as-of", AS_OF, "--format", "json").stdout if ws.db_path.exists() else None
    result = ws.run("import", path, *args)
    assert result.returncode == 65, result.stdout + result.stderr
    after = ws.run("plan", "--all", "--as-of", AS_OF, "--format", "json").stdout if ws.db_path.exists() else None
    assert before == after
    return result.stderr


# MARK: Xero

XERO_UK = "\n".join([
    XERO_HEADER,
    # INV-0001: three line items, 1,200.00 in total, 200.00 paid: 1,000.00 owed.
    xero_row("Acme Ltd", "ap@acme.example", "INV-0001", "05/01/2026", "04/02/2026", "1200.00", "200.00", "1000.00", ("Design", "500.00"), "Awaiting Payment"),
    xero_row("Acme Ltd", "ap@acme.example", "INV-0001", "05/01/2026", "04/02/2026", "1200.00", "200.00", "1000.00", ("Build", "400.00"), "Awaiting Payment"),
    xero_row("Acme Ltd", "ap@acme.example", "INV-0001", "05/01/2026", "04/02/2026", "1200.00", "200.00", "1000.00", ("Hosting", "100.00"), "Awaiting Payment"),
    # INV-0002: one line, a different client, due 13 March (day before month: UK).
    xero_row("Bolt & Sons", "billing@bolt.example", "INV-0002", "11/02/2026", "13/03/2026", "360.00", "0.00", "360.00", ("Logo", "300.00"), "Awaiting Payment"),
    # INV-0003 paid, INV-0004 voided, INV-0005 a draft: no reminders.
    xero_row("Acme Ltd", "ap@acme.example", "INV-0003", "02/01/2026", "01/02/2026", "240.00", "240.00", "0.00", ("Support", "200.00"), "Paid"),
    xero_row("Acme Ltd", "ap@acme.example", "INV-0004", "03/01/2026", "02/02/2026", "480.00", "0.00", "480.00", ("Oops", "400.00"), "Voided"),
    xero_row("Acme Ltd", "ap@acme.example", "INV-0005", "", "", "99.00", "0.00", "99.00", ("Later", "82.50"), "Draft"),
    # A credit note and a bill: not sales invoices, skipped.
    xero_row("Acme Ltd", "ap@acme.example", "CN-0001", "06/01/2026", "06/01/2026", "-120.00", "0.00", "-120.00", ("Refund", "-100.00"), "Awaiting Payment", type_="Sales credit note"),
    xero_row("Paper Co", "sales@paper.example", "B-77", "07/01/2026", "07/02/2026", "50.00", "0.00", "50.00", ("Paper", "41.67"), "Awaiting Payment", type_="Bill"),
]) + "\n"


def test_xero_uk_export_folds_line_items_takes_totals_once_and_maps_statuses(ws):
    use_example(ws, "xero")
    result = ws.run("import", write(ws, "xero.csv", XERO_UK), check=0)
    assert "4 added" in result.stdout   # INV-0001..0004; the draft, credit note and bill skipped
    rows = ledger(ws)
    assert rows == {
        "INV-0001": ("Acme Ltd", "1000.00", "GBP", ["ap@acme.example"]),
        "INV-0002": ("Bolt & Sons", "360.00", "GBP", ["billing@bolt.example"]),
    }
    inv1 = show(ws, "INV-0001")
    assert (inv1["amount"], inv1["paid"], inv1["issue_date"], inv1["due_date"]) == ("1200.00", "200.00", "2026-01-05", "2026-02-04")
    assert show(ws, "INV-0002")["due_date"] == "2026-03-13"
    assert show(ws, "INV-0003")["status"] == "paid"
    assert show(ws, "INV-0004")["status"] == "cancelled"
    assert ws.run("invoice", "show", "INV-0005").returncode != 0
    assert ws.run("invoice", "show", "CN-0001").returncode != 0


def test_reimporting_a_xero_export_changes_nothing(ws):
    use_example(ws, "xero")
    path = write(ws, "xero.csv", XERO_UK)
    ws.run("import", path, check=0)
    audit_before = ws.run("audit", "list", "--format", "json", check=0).stdout
    again = ws.run("import", path, check=0)
    assert "0 added, 0 updated, 4 unchanged" in again.stdout
    assert ws.run("audit", "list", "--format", "json", check=0).stdout.count("invoice.") == audit_before.count("invoice.")


def test_xero_us_export_reads_month_first_dates(ws):
    use_example(ws, "xero", extra="")
    ws.write_config(ws.config_path.read_text().replace('date_format = "DD/MM/YYYY"', 'date_format = "MM/DD/YYYY"'))
    text = "\n".join([XERO_HEADER,
                      xero_row("Acme Inc", "ap@acme.example", "INV-9", "01/05/2026", "02/04/2026", "1,250.00", "0.00", "1,250.00", ("Design", "1,250.00"), "Awaiting Payment", currency="USD"),
                      xero_row("Acme Inc", "ap@acme.example", "INV-9", "01/05/2026", "02/04/2026", "1,250.00", "0.00", "1,250.00", ("Travel", "0.00"), "Awaiting Payment", currency="USD")]) + "\n"
    ws.run("import", write(ws, "xero-us.csv", text), check=0)
    inv = show(ws, "INV-9")
    assert (inv["issue_date"], inv["due_date"], inv["amount"], inv["currency"]) == ("2026-01-05", "2026-02-04", "1250.00", "USD")


def test_xero_rows_of_one_invoice_that_disagree_are_refused_naming_both_lines(ws):
    use_example(ws, "xero")
    text = "\n".join([XERO_HEADER,
                      xero_row("Acme Ltd", "ap@acme.example", "INV-1", "05/01/2026", "04/02/2026", "100.00", "0.00", "100.00", ("A", "50.00"), "Awaiting Payment"),
                      xero_row("Acme Ltd", "ap@acme.example", "INV-1", "05/01/2026", "05/02/2026", "100.00", "0.00", "100.00", ("B", "50.00"), "Awaiting Payment")]) + "\n"
    path = write(ws, "xero.csv", text)
    err = refused(ws, path)
    assert f'{path}:3: DueDate: invoice "INV-1" has "2026-02-04" on line 2 and "2026-02-05" on line 3' in err


def test_xero_number_repeated_after_another_invoice_is_refused(ws):
    use_example(ws, "xero")
    text = "\n".join([XERO_HEADER,
                      xero_row("Acme Ltd", "ap@acme.example", "INV-1", "05/01/2026", "04/02/2026", "100.00", "0.00", "100.00", ("A", "50.00"), "Awaiting Payment"),
                      xero_row("Acme Ltd", "ap@acme.example", "INV-2", "05/01/2026", "04/02/2026", "100.00", "0.00", "100.00", ("A", "50.00"), "Awaiting Payment"),
                      xero_row("Acme Ltd", "ap@acme.example", "INV-1", "05/01/2026", "04/02/2026", "100.00", "0.00", "100.00", ("B", "50.00"), "Awaiting Payment")]) + "\n"
    path = write(ws, "xero.csv", text)
    assert f'{path}:4: InvoiceNumber: invoice "INV-1" appears twice (first on line 2)' in refused(ws, path)


@pytest.mark.parametrize("label, old, new, column, problem", [
    ("uk date read as us", "04/02/2026", "31/02/2026", "DueDate", '"31/02/2026" is not a calendar date'),
    ("us date in a uk file", "04/02/2026", "2/30/2026", "DueDate", '"2/30/2026" is not a calendar date'),
    ("owed more than total", '"1000.00",,', '"1300.00",,', "InvoiceAmountDue", "1300.00 is more than the amount 1200.00"),
    ("unknown status", "Awaiting Payment", "Pending", "Status", '"Pending" is not a status of this format'),
    ("bad email", "ap@acme.example", "ap-at-acme", "EmailAddress", "ap-at-acme"),
    ("missing total", '"1200.00",', '"",', "Total", "is required"),
])
def test_malformed_xero_rows_are_refused_with_their_line(ws, label, old, new, column, problem):
    use_example(ws, "xero")
    good = xero_row("Acme Ltd", "ap@acme.example", "INV-1", "05/01/2026", "04/02/2026", "1200.00", "200.00", "1000.00", ("A", "5.00"), "Awaiting Payment")
    good = good.replace("1200.00", '"1200.00"').replace("1000.00", '"1000.00"')
    bad = good.replace(old, new, 1)
    assert bad != good, label
    path = write(ws, "xero.csv", "\n".join([XERO_HEADER, xero_row("Zed", "z@zed.example", "INV-0", "05/01/2026", "04/02/2026", "10.00", "0.00", "10.00", ("A", "10.00"), "Paid"), bad]) + "\n")
    err = refused(ws, path)
    assert f"{path}:3: {column}: " in err and problem in err, err


def test_a_xero_export_without_its_columns_is_refused_at_line_one(ws):
    use_example(ws, "xero")
    path = write(ws, "not-xero.csv", "Name,Email\nAcme,ap@acme.example\n")
    err = refused(ws, path)
    assert f"{path}:1: header: no row names the columns of Xero's invoice export" in err


def test_format_option_reads_one_file_as_xero_over_the_config(ws):
    ws.write_config(ws.config_text() + '\n[import]\ndate_format = "DD/MM/YYYY"\n')
    path = write(ws, "xero.csv", XERO_UK)
    assert ws.run("import", path).returncode == 65
    ws.run("import", path, "--format", "xero", check=0)
    assert set(ledger(ws)) == {"INV-0001", "INV-0002"}


def test_dry_run_shows_what_each_row_became_and_writes_nothing(ws):
    use_example(ws, "xero")
    result = ws.run("import", write(ws, "xero.csv", XERO_UK), "--dry-run", check=0)
    assert ("line 2: INV-0001 client Acme Ltd (Acme Ltd <ap@acme.example>) issued 2026-01-05 due 2026-02-04"
            " amount 1200.00 GBP paid 200.00 open") in result.stdout
    assert "line 6: INV-0003" in result.stdout and "line 3:" not in result.stdout
    assert "would add 4" in result.stdout
    assert not ws.db_path.exists()


# MARK: QuickBooks Online

QBO = "\r\n".join([
    '"Craig\'s Design and Landscaping Services"',
    '"Open Invoices"',
    '"As of March 20, 2026"',
    "",
    '"Date","Transaction Type","Num","Customer","Email","Due Date","Amount","Open Balance"',
    '"01/05/2026","Invoice","1037","Amy\'s Bird Sanctuary","amy@bird.example","02/04/2026","$1,234.56","$1,234.56"',
    '"01/20/2026","Invoice","1038","Bill\'s Windsurf Shop","bill@windsurf.example","02/19/2026","$2,000.00","$500.00"',
    '"01/22/2026","Credit Memo","1039","Amy\'s Bird Sanctuary","amy@bird.example","01/22/2026","-$100.00","-$100.00"',
    '"02/10/2026","Invoice","1040","Amy\'s Bird Sanctuary","amy@bird.example","03/12/2026","$75.00","$75.00"',
    '"TOTAL","","","","","","$3,209.56","$1,709.56"',
    "",
    '"Friday, March 20, 2026 09:41 AM GMT-07:00"',
]) + "\r\n"


def test_quickbooks_online_open_invoices_report_with_title_and_totals_rows(ws):
    use_example(ws, "quickbooks-online")
    ws.run("import", write(ws, "qbo.csv", QBO), check=0)
    assert ledger(ws) == {
        "1037": ("Amy's Bird Sanctuary", "1234.56", "USD", ["amy@bird.example"]),
        "1038": ("Bill's Windsurf Shop", "500.00", "USD", ["bill@windsurf.example"]),
        "1040": ("Amy's Bird Sanctuary", "75.00", "USD", ["amy@bird.example"]),
    }
    assert show(ws, "1038")["paid"] == "1500.00"
    again = ws.run("import", write(ws, "qbo.csv", QBO), check=0)
    assert "0 added, 0 updated, 3 unchanged" in again.stdout


@pytest.mark.parametrize("label, old, new, line, column, problem", [
    ("no number", '"Invoice","1040"', '"Invoice",""', 9, "Num", "is required"),
    ("text amount", '"$75.00","$75.00"', '"$7S.00","$75.00"', 9, "Amount", "is not an amount"),
    ("euro amount", '"$75.00","$75.00"', '"75,00 €","$75.00"', 9, "Amount", "is in €, but the invoice's currency is USD"),
    ("day first", '"02/10/2026"', '"13/10/2026"', 9, "Date", '"13/10/2026" is not a calendar date'),
    ("due before issue", '"03/12/2026"', '"01/12/2026"', 9, "Due Date", "2026-01-12 is before Date 2026-02-10"),
])
def test_malformed_quickbooks_rows_are_refused_with_their_line(ws, label, old, new, line, column, problem):
    use_example(ws, "quickbooks-online")
    assert old in QBO, label
    path = write(ws, "qbo.csv", QBO.replace(old, new, 1))
    err = refused(ws, path)
    assert f"{path}:{line}: {column}: " in err and problem in err, err


# MARK: FreshBooks

def test_freshbooks_export_with_balance_and_client_names(ws):
    use_example(ws, "freshbooks")
    text = ("Invoice #,Organization,Email,Date Issued,Due Date,Invoice Total,Outstanding,Currency,Status\n"
            "0000041,Northwind,accounts@northwind.example,2026-01-10,2026-02-09,\"1,500.00\",\"1,500.00\",CAD,overdue\n"
            "0000042,Northwind,accounts@northwind.example,2026-02-01,2026-03-03,800.00,300.00,CAD,partial\n"
            "0000043,Contoso,pay@contoso.example,2026-02-15,2026-03-17,120.00,0.00,CAD,paid\n"
            "0000044,Contoso,pay@contoso.example,,,50.00,50.00,CAD,draft\n")
    ws.run("import", write(ws, "fb.csv", text), check=0)
    assert ledger(ws) == {
        "0000041": ("Northwind", "1500.00", "CAD", ["accounts@northwind.example"]),
        "0000042": ("Northwind", "300.00", "CAD", ["accounts@northwind.example"]),
    }
    assert show(ws, "0000043")["status"] == "paid"
    bad = text.replace("800.00,300.00", "800.00,900.00")
    path = write(ws, "fb-bad.csv", bad)
    assert f"{path}:3: Outstanding: 900.00 is more than the amount 800.00" in refused(ws, path)


# MARK: Invoice Ninja

def test_invoice_ninja_export_keyed_by_email(ws):
    use_example(ws, "invoice-ninja")
    text = ("Invoice Number,Client Name,Contact Email,Invoice Date,Due Date,Amount,Balance,Currency,Status\n"
            "INV-0100,Globex Corporation,AP@Globex.example,2026-01-02,2026-02-01,2500.00,2500.00,EUR,Overdue\n"
            "INV-0101,Globex Corp.,AP@Globex.example,2026-02-02,2026-03-04,400.00,0.00,EUR,Paid\n"
            "INV-0102,Initech,it@initech.example,2026-02-20,2026-03-22,100.00,100.00,EUR,Sent\n"
            "INV-0103,Initech,it@initech.example,2026-02-21,2026-03-23,90.00,90.00,EUR,Cancelled\n")
    path = write(ws, "ninja.csv", text)
    # One client under two names is refused rather than guessed, naming the line that said otherwise.
    assert f'{path}:3: Client Name: client "ap@globex.example" is named "Globex Corporation" on line 2' in refused(ws, path)
    ws.run("import", write(ws, "ninja.csv", text.replace("Globex Corp.,", "Globex Corporation,")), check=0)
    rows = ledger(ws)
    assert rows["INV-0100"] == ("ap@globex.example", "2500.00", "EUR", ["AP@Globex.example"])
    assert set(rows) == {"INV-0100", "INV-0102"}
    assert show(ws, "INV-0103")["status"] == "cancelled"


# MARK: Zoho Invoice

def test_zoho_invoice_export_with_line_items_and_customer_ids(ws):
    use_example(ws, "zoho-invoice")
    header = ("Invoice Date,Invoice ID,Invoice Number,Invoice Status,Customer ID,Customer Name,Email ID,Due Date,"
              "Currency Code,Total,Balance,Item Name,Quantity,Item Price\n")
    text = header + (
        "15/01/2026,9001,INV-000010,Overdue,460000000026049,Wayne Enterprises,ap@wayne.example,14/02/2026,INR,\"1,18,000.00\",\"1,18,000.00\",Consulting,1,\"1,00,000.00\"\n"
        "15/01/2026,9001,INV-000010,Overdue,460000000026049,Wayne Enterprises,ap@wayne.example,14/02/2026,INR,\"1,18,000.00\",\"1,18,000.00\",GST,1,\"18,000.00\"\n"
        "01/02/2026,9002,INV-000011,Void,460000000026049,Wayne Enterprises,ap@wayne.example,03/03/2026,INR,500.00,500.00,Fix,1,500.00\n"
        "02/02/2026,9003,INV-000012,Draft,460000000026050,Stark Industries,ap@stark.example,,INR,,,,,\n")
    ws.run("import", write(ws, "zoho.csv", text), check=0)
    assert ledger(ws) == {"INV-000010": ("460000000026049", "118000.00", "INR", ["ap@wayne.example"])}
    assert show(ws, "INV-000011")["status"] == "cancelled"
    bad = text.replace("ap@wayne.example,14/02/2026,INR,\"1,18,000.00\",\"1,18,000.00\",GST",
                       "ap@wayne.example,14/02/2026,INR,\"1,18,000.00\",\"1,00,000.00\",GST")
    path = write(ws, "zoho-bad.csv", bad)
    assert f'{path}:3: Balance: invoice "INV-000010" has "0.00 INR paid" on line 2 and "18000.00 INR paid" on line 3' in refused(ws, path)


# MARK: Wave (European locale)

WAVE = "\r\n".join([
    "Customer Name;Customer Email;Invoice Number;Invoice Date;Due Date;Total;Amount Due;Currency;Status",
    "Müller GmbH;buchhaltung@mueller.example;2026-017;12.01.2026;11.02.2026;1.234,56 €;1.234,56 €;EUR;OVERDUE",
    "Müller GmbH;buchhaltung@mueller.example;2026-018;02.02.2026;04.03.2026;2.000,00 €;500,00 €;EUR;PARTIAL",
    "Dupont SARL;compta@dupont.example;2026-019;10.02.2026;12.03.2026;99,90 €;0,00 €;EUR;PAID",
    "Dupont SARL;compta@dupont.example;2026-020;;;10,00 €;10,00 €;EUR;DRAFT",
]) + "\r\n"


def test_wave_semicolon_export_with_european_decimals_and_a_bom(ws):
    use_example(ws, "wave")
    ws.run("import", write(ws, "wave.csv", "\ufeff" + WAVE), check=0)
    assert ledger(ws) == {
        "2026-017": ("Müller GmbH", "1234.56", "EUR", ["buchhaltung@mueller.example"]),
        "2026-018": ("Müller GmbH", "500.00", "EUR", ["buchhaltung@mueller.example"]),
    }
    assert show(ws, "2026-018")["paid"] == "1500.00"
    assert show(ws, "2026-017")["due_date"] == "2026-02-11"
    again = ws.run("import", write(ws, "wave.csv", "\ufeff" + WAVE), check=0)
    assert "0 added, 0 updated, 3 unchanged" in again.stdout


def test_a_tab_separated_export_is_read_too(ws):
    use_example(ws, "wave")
    ws.run("import", write(ws, "wave.tsv.csv", WAVE.replace(";", "\t")), check=0)
    assert set(ledger(ws)) == {"2026-017", "2026-018"}


def test_a_windows_1252_export_is_refused_with_a_hint(ws):
    use_example(ws, "wave")
    path = write(ws, "wave-ansi.csv", WAVE, encoding="cp1252")
    err = refused(ws, path)
    assert f"{path}:2: Customer Name: is not valid UTF-8" in err
    assert "looks like Windows-1252" in err and "Müller GmbH" in err and "iconv -f WINDOWS-1252 -t UTF-8" in err


@pytest.mark.parametrize("label, old, new, column, problem", [
    ("four decimals", "99,90 €", "99,9050 €", "Total", "99.9050"),
    ("two marks twice", "99,90 €", "9.9,9,0 €", "Total", "is not an amount"),
    ("pound in euros", "99,90 €", "99,90 £", "Total", "is in £, but the invoice's currency is EUR"),
    ("unknown status", "PAID", "BEZAHLT", "Status", '"BEZAHLT" is not a status of this format'),
])
def test_malformed_wave_rows_are_refused_with_their_line(ws, label, old, new, column, problem):
    use_example(ws, "wave")
    path = write(ws, "wave.csv", WAVE.replace(old, new, 1))
    err = refused(ws, path)
    assert f"{path}:4: {column}: " in err and problem in err, err


# MARK: Config

def test_custom_format_without_column_map_is_a_config_error(ws):
    ws.write_config(ws.config_text() + '\n[import]\nformat = "custom"\ncurrency = "EUR"\n')
    result = ws.run("config", "check")
    assert result.returncode == 78
    assert "import.format: format = \"custom\" needs an [import.columns] table" in result.stderr


def test_bad_import_keys_are_config_errors_with_their_line(ws):
    text = ws.config_text() + ('\n[import]\nformat = "sage"\ndate_format = "D/M/Y"\nclient_key = "phone"\n'
                               '[import.columns]\nnumber = "Num"\nfoo = "Bar"\n[import.status]\n"Sent" = "maybe"\n')
    ws.write_config(text)
    result = ws.run("config", "check")
    assert result.returncode == 78
    lines = text.splitlines()
    for key, problem in [("import.format", '"sage" is not a format'), ("import.date_format", '"D/M/Y" is not a date format'),
                         ("import.client_key", '"phone" is not a client key'), ("import.columns.foo", "unknown key"),
                         ("import.status.Sent", '"maybe" is not a meaning')]:
        assert f": {key}: {problem}" in result.stderr, result.stderr
    line = lines.index('format = "sage"') + 1
    assert f"{ws.config_path}:{line}: import.format" in result.stderr


def test_format_custom_on_the_command_line_needs_a_column_map(ws):
    path = write(ws, "x.csv", "a,b\n1,2\n")
    result = ws.run("import", path, "--format", "custom")
    assert result.returncode == 78
    assert "format custom needs [import.columns]" in result.stderr


def test_the_watched_folder_reads_exports_in_the_configured_format(ws):
    inbox = ws.dir / "inbox"
    inbox.mkdir()
    use_example(ws, "wave")
    ws.write_config(ws.config_path.read_text().replace('format = "custom"', f'format = "custom"\nwatch = "{inbox}"'))
    drop(inbox, "wave.csv", WAVE)
    # Files are taken in name order; payment files are still told apart by their header.
    drop(inbox, "x-payments.csv", "invoice,amount,date\n2026-018,500.00,2026-03-19\n")
    ws.run("init", check=0)
    ws.run("tick", "--as-of", AS_OF, check=0)
    assert (inbox / "done" / "wave.csv").exists(), list(inbox.rglob("*"))
    assert set(ledger(ws)) == {"2026-017"}
    assert (inbox / "done" / "x-payments.csv").exists()


def test_a_client_whose_address_changed_keeps_its_id_by_name_and_becomes_new_by_email(ws):
    header = "Customer Name;Customer Email;Invoice Number;Invoice Date;Due Date;Total;Amount Due;Currency;Status"
    old = header + "\nMüller GmbH;alt@mueller.example;7;12.01.2026;11.02.2026;10,00;10,00;EUR;SENT\n"
    new = old.replace("alt@mueller.example", "neu@mueller.example")
    use_example(ws, "wave")
    ws.run("import", write(ws, "old.csv", old), check=0)
    ws.run("import", write(ws, "new.csv", new), check=0)
    assert ledger(ws)["7"] == ("Müller GmbH", "10.00", "EUR", ["neu@mueller.example"])
    ws.db_path.unlink()
    ws.write_config(ws.config_path.read_text().replace('client_key = "name"', 'client_key = "email"'))
    ws.run("import", write(ws, "old.csv", old), check=0)
    ws.run("import", write(ws, "new.csv", new), check=0)
    assert ledger(ws)["7"] == ("neu@mueller.example", "10.00", "EUR", ["neu@mueller.example"])
    assert json.loads(ws.run("client", "show", "alt@mueller.example", "--format", "json", check=0).stdout)["emails"] == ["alt@mueller.example"]
