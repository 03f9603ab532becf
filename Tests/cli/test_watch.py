"""`[import] watch`: each tick imports the complete new CSV files of a folder before it plans
(real binary, real SQLite file, the file outbox as the mail server)."""
import json
import os
import time

from conftest import CSV_COLUMNS, invoice_row


def watching(ws):
    inbox = ws.dir / "drop"
    inbox.mkdir()
    ws.write_config(ws.config_text() + f'\n[import]\nwatch = "{inbox}"\n')
    return inbox


def invoices_csv(rows):
    lines = [",".join(CSV_COLUMNS)] + [",".join(r[c] for c in CSV_COLUMNS) for r in rows]
    return "\r\n".join(lines) + "\r\n"


def drop(folder, name, text):
    """Writes a dot-file, then renames it into place, as a careful sender does."""
    temporary = folder / f".{name}.part"
    temporary.write_text(text, encoding="utf-8", newline="")
    time.sleep(0.05)   # the rename's inode change must fall on a later clock tick than the write
    os.rename(temporary, folder / name)


def tick(ws, as_of="2026-03-20"):
    return ws.run("tick", "--as-of", as_of, check=0)


def audit(ws, *args):
    return [json.loads(l) for l in ws.run("audit", "--format", "json", *args, check=0).stdout.splitlines()]


def mails(ws):
    return sorted(ws.outbox.glob("*.eml")) if ws.outbox.exists() else []


def test_a_payment_dropped_before_the_tick_stops_the_reminder_that_tick_would_send(ws):
    inbox = watching(ws)
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1", due="2026-03-01", amount="100.00"),
                                            invoice_row("INV-2", due="2026-03-01", amount="50.00")]), check=0)
    drop(inbox, "bank.csv", "invoice,amount,date,reference\nINV-1,100.00,2026-03-18,TX-9\n")
    tick(ws)
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["bank.csv"]
    assert not (inbox / "bank.csv").exists()
    assert [e["invoice"] for e in audit(ws, "--event", "payment.recorded")] == ["INV-1"]
    sent = [m.read_bytes() for m in mails(ws)]
    assert len(sent) == 1 and b"INV-2" in sent[0] and b"INV-1" not in sent[0]


def test_new_invoices_arrive_through_the_folder_and_are_reminded_in_the_same_tick(ws):
    inbox = watching(ws)
    drop(inbox, "export.csv", invoices_csv([invoice_row("INV-7", due="2026-03-01")]))
    ws.run("import", ws.write_csv("seed.csv", [invoice_row("INV-0", due="2027-01-01")]), check=0)
    tick(ws)
    assert (inbox / "done" / "export.csv").exists()
    assert [e["invoice"] for e in audit(ws, "--event", "reminder.sent")] == ["INV-7"]


def test_a_file_still_being_written_and_dot_files_wait_and_a_file_unchanged_since_the_last_tick_is_taken(ws):
    inbox = watching(ws)
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1", due="2027-01-01", amount="100.00")]), check=0)
    growing = inbox / "bank.csv"
    with open(growing, "w") as handle:   # written in place, never renamed: ctime == mtime
        handle.write("invoice,amount,date\nINV-1,40.00,2026-03-18\n")
    (inbox / ".hidden.csv").write_text("invoice,amount,date\nINV-1,10.00,2026-03-18\n")
    tick(ws)
    assert growing.exists() and audit(ws, "--event", "payment.recorded") == []
    tick(ws)
    assert not growing.exists() and (inbox / "done" / "bank.csv").exists()
    assert [e["amount"] for e in audit(ws, "--event", "payment.recorded")] == ["40.00"]
    assert (inbox / ".hidden.csv").exists()


def test_a_bad_file_is_rejected_whole_with_every_problem_and_the_owner_is_told_once(ws):
    inbox = watching(ws)
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1", due="2027-01-01", amount="100.00")]), check=0)
    drop(inbox, "bank.csv", "invoice,amount,date\nINV-1,40.00,2026-03-18\nINV-404,5.00,2026-03-18\nINV-1,99.00,2026-03-19\n")
    tick(ws)
    assert not (inbox / "bank.csv").exists()
    err = (inbox / "rejected" / "bank.csv.err").read_text().splitlines()
    assert err == [f'{inbox}/bank.csv:3: invoice: "INV-404" is not in the ledger',
                   f"{inbox}/bank.csv:4: amount: 99.00 EUR exceeds the balance 60.00 EUR of invoice INV-1 left after "
                   "the file's earlier lines (an overpayment)"]
    assert (inbox / "rejected" / "bank.csv").exists()
    assert audit(ws, "--event", "payment.recorded") == []
    [rejected] = audit(ws, "--event", "import.rejected")
    assert rejected["file"] == "bank.csv" and len(rejected["problems"]) == 2
    [notice] = mails(ws)
    body = notice.read_bytes()
    assert b"To: jane@janedoe.example" in body and b"Auto-Submitted: auto-generated" in body
    assert b"bank.csv was not imported" in body and b"INV-404" in body
    tick(ws)
    assert len(mails(ws)) == 1 and len(audit(ws, "--event", "import.rejected")) == 1


def test_an_invoice_file_with_a_bad_row_is_rejected_and_nothing_of_it_imported(ws):
    inbox = watching(ws)
    ws.run("import", ws.write_csv("seed.csv", [invoice_row("INV-0", due="2027-01-01")]), check=0)
    drop(inbox, "export.csv", invoices_csv([invoice_row("INV-5", due="2027-01-01"),
                                            invoice_row("INV-6", due="2027-01-01", amount="12.345")]))
    tick(ws)
    assert (inbox / "rejected" / "export.csv.err").read_text().startswith(f"{inbox}/export.csv:3: amount:")
    assert ws.run("invoice", "show", "INV-5").returncode == 65


def test_the_same_export_dropped_twice_changes_nothing_the_second_time(ws):
    inbox = watching(ws)
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1", due="2027-01-01", amount="100.00")]), check=0)
    export = "invoice,amount,date,reference\nINV-1,30.00,2026-03-18,TX-1\n"
    drop(inbox, "bank.csv", export)
    tick(ws)
    drop(inbox, "bank.csv", export)
    tick(ws)
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["bank-2.csv", "bank.csv"]
    assert len(audit(ws, "--event", "payment.recorded")) == 1
    shown = json.loads(ws.run("invoice", "show", "INV-1", "--format", "json", check=0).stdout)
    assert shown["paid"] == "30.00"


def test_an_unknown_key_in_the_import_section_is_a_config_error(ws):
    ws.write_config(ws.config_text() + '\n[import]\nwatch = "drop"\nwhatch = "x"\n')
    result = ws.run("plan")
    assert result.returncode == 78 and "whatch" in result.stderr
