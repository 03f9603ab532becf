"""`overdue report aging|write-offs|summary`: what the ledger holds, bucketed and summed, in
table, JSON and spreadsheet-safe CSV. The binary against a real ledger (file outbox)."""
import csv
import io
import json

from conftest import invoice_row

AS_OF = "2026-05-01T10:00:00Z"


def ledger(ws):
    ws.run("import", ws.write_csv("invoices.csv", [
        invoice_row("INV-1", client="acme", due="2026-03-01", amount="1200.00"),          # 61 days: 61-90
        invoice_row("INV-2", client="acme", due="2026-04-20", amount="300.00"),           # 11 days: 1-30
        invoice_row("INV-3", client="bolt", due="2026-01-10", amount="500.00", currency="GBP"),  # 111 days: 90+
        invoice_row("INV-4", client="acme", due="2026-05-10", amount="100.00"),           # not due
        invoice_row("INV-5", client="acme", due="2026-04-01", amount="50.00", paid="50.00", status="paid"),
        invoice_row("INV-6", client="=cmd", due="2026-01-02", amount="80.00", client_email="ap@cmd.example"),
    ]), check=0)
    for at in ["2026-03-01T10:00:00Z", "2026-03-08T10:00:00Z", "2026-04-01T10:00:00Z"]:
        ws.run("tick", "--as-of", at, check=0)


def test_aging_buckets_open_balances_by_client_and_currency_with_totals_and_bars(ws):
    ledger(ws)
    ws.run("invoice", "pay", "INV-1", "200.00", "--on", "2026-04-02", check=0)
    rows = [json.loads(line) for line in ws.run("report", "aging", "--as-of", AS_OF, "--format", "json", check=0).stdout.splitlines()]
    assert rows == [
        {"client": "=cmd", "name": "=Cmd Ltd", "currency": "EUR", "not_due": "0.00", "1_30": "0.00", "31_60": "0.00",
         "61_90": "0.00", "over_90": "80.00", "total": "80.00"},
        {"client": "acme", "name": "Acme Ltd", "currency": "EUR", "not_due": "100.00", "1_30": "300.00", "31_60": "0.00",
         "61_90": "1000.00", "over_90": "0.00", "total": "1400.00"},
        {"client": "bolt", "name": "Bolt Ltd", "currency": "GBP", "not_due": "0.00", "1_30": "0.00", "31_60": "0.00",
         "61_90": "0.00", "over_90": "500.00", "total": "500.00"},
        {"client": None, "name": None, "currency": "EUR", "not_due": "100.00", "1_30": "300.00", "31_60": "0.00",
         "61_90": "1000.00", "over_90": "80.00", "total": "1480.00"},
        {"client": None, "name": None, "currency": "GBP", "not_due": "0.00", "1_30": "0.00", "31_60": "0.00",
         "61_90": "0.00", "over_90": "500.00", "total": "500.00"},
    ]
    # The balances agree with the ledger's own.
    listed = [json.loads(line) for line in ws.run("invoice", "list", "--format", "json", check=0).stdout.splitlines()]
    open_eur = sum(float(i["amount_due"]) for i in listed if i["currency"] == "EUR" and i["status"] in ("open", "escalated"))
    assert f"{open_eur:.2f}" == rows[3]["total"]

    table = ws.run("report", "aging", "--as-of", AS_OF, check=0).stdout
    assert "(total)" in table and "61-90" in table
    eur = table.split("EUR AS OF 2026-05-01")[1].split("\n\n")[0]
    bars = {line.split()[0]: line for line in eur.splitlines() if line.startswith(("61-90", "1-30", "31-60"))}
    assert bars["61-90"].endswith("#" * 30) and bars["1-30"].endswith("#" * 9) and not bars["31-60"].endswith("#")

    sheet = list(csv.reader(io.StringIO(ws.run("report", "aging", "--as-of", AS_OF, "--format", "csv", check=0).stdout)))
    assert sheet[0] == ["client", "name", "currency", "not_due", "1_30", "31_60", "61_90", "over_90", "total"]
    assert sheet[1][:2] == ["'=cmd", "'=Cmd Ltd"]   # neutralised: a spreadsheet shows text, runs nothing
    assert sheet[-1][0] == "TOTAL"


def test_write_offs_of_a_year_list_amount_and_collection_attempts_as_csv(ws):
    ledger(ws)
    ws.run("invoice", "pay", "INV-3", "100.00", "--on", "2026-04-02", check=0)
    ws.run("invoice", "write-off", "INV-3", check=0)
    year = ws.run("audit", "--event", "invoice.written_off", "--format", "json", check=0).stdout
    written = json.loads(year.splitlines()[0])["at"][:10]
    sheet = list(csv.DictReader(io.StringIO(
        ws.run("report", "write-offs", "--year", written[:4], "--format", "csv", check=0).stdout)))
    assert len(sheet) == 1
    row = sheet[0]
    assert (row["invoice"], row["client"], row["currency"], row["amount_written_off"], row["written_off_on"]) == (
        "INV-3", "bolt", "GBP", "400.00", written)
    # 50 days late at the first tick: reminder-30 (the stages below it superseded), then the final notice.
    assert row["reminders_sent"] == "2" and row["last_reminder"] == "2026-04-01"
    assert "reminder-30 2026-03-01, final-notice 2026-04-01" in row["evidence"] and "overdue evidence INV-3" in row["evidence"]
    other = ws.run("report", "write-offs", "--year", "2001", "--format", "csv", check=0).stdout.splitlines()
    assert len(other) == 1   # the header only


def test_summary_attributes_payments_to_the_last_reminder_before_them_and_counts_reminders(ws):
    ledger(ws)
    ws.run("invoice", "pay", "INV-1", "200.00", "--on", "2026-03-09", check=0)   # after reminder-7 (03-08)
    ws.run("invoice", "pay", "INV-2", "300.00", "--on", "2026-04-02", check=0)   # no reminder had gone out for INV-2
    summary = json.loads(ws.run("report", "summary", "--as-of", AS_OF, "--format", "json", check=0).stdout)
    assert (summary["from"], summary["to"], summary["days"]) == ("2025-05-02", "2026-05-01", 365)
    sent = {row["stage"]: row["count"] for row in summary["reminders_sent"]}
    plan_sent = [json.loads(l) for l in ws.run("audit", "--event", "reminder.sent", "--format", "json", check=0).stdout.splitlines()]
    assert sum(sent.values()) == len(plan_sent)
    collected = {(row["stage"], row["currency"]): (row["amount"], row["payments"]) for row in summary["collected_after"]}
    assert collected[("reminder-7", "EUR")] == ("200.00", 1)
    assert sum(p for _, p in collected.values()) == 2
    dso = {row["currency"]: row for row in summary["dso"]}
    # EUR: open 1000 + 100 + 80 = 1180 of 1200+300+100+50+80 = 1730 invoiced in the period, over 365 days.
    assert dso["EUR"]["receivable"] == "1180.00" and dso["EUR"]["sales"] == "1730.00"
    assert dso["EUR"]["days"] == "249.0"   # 1180 / 1730 * 365 = 248.96
    assert collected[(None, "EUR")] == ("300.00", 1)   # INV-2 was paid before any reminder
    # --year: that calendar year up to the date of --as-of; nothing was invoiced in 2026.
    in_2026 = json.loads(ws.run("report", "summary", "--as-of", AS_OF, "--year", "2026", "--format", "json", check=0).stdout)
    assert (in_2026["from"], in_2026["to"], in_2026["days"]) == ("2026-01-01", "2026-05-01", 121)
    assert {row["currency"]: row["days"] for row in in_2026["dso"]} == {"EUR": None, "GBP": None}
    assert summary["replies"] == 0 and summary["bounces"] == 0
    table = ws.run("report", "summary", "--as-of", AS_OF, check=0).stdout
    assert "DAYS SALES OUTSTANDING" in table and "249.0" in table and "(before any reminder)" in table
