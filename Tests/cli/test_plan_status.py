"""`plan`, `status` and `tick` through the binary: the notice before a hand-off, reminders that
wait for the send window, and `status` naming the stage `plan` names. Mail goes to a real SMTP
server on 127.0.0.1; only the clock is set (`--as-of`), except for `status`, which reads the
real clock (so those ledgers are dated from today)."""
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from conftest import invoice_row
from test_daemon import audit, identify, plan, smtp, smtp_config, status  # noqa: F401 (smtp is a fixture)

OFFICE_HOURS = 'days = ["mon", "tue", "wed", "thu", "fri"]\nstart = "09:00"\nend = "17:00"\nholidays = ["2026-12-25"]\n'
SATURDAY = "2026-12-05T10:00:00+01:00"
WAIT_SATURDAY = "3 reminders wait for the send window, which opens Mon 2026-12-07 09:00 Europe/Berlin"


def test_invoice_imported_91_days_late_gets_the_final_notice_first_and_the_hand_off_14_days_later(ws, smtp):
    smtp_config(ws, smtp.port)   # final_notice_days not set: the default, 14
    ws.run("import", ws.write_csv("late.csv", [invoice_row("INV-1", due="2026-01-01", amount="500.00")]), check=0)

    assert [(l["stage"], l["action"]) for l in plan(ws, "2026-04-02")] == [("final-notice", "email")]
    ws.run("tick", "--as-of", "2026-04-02", check=0)   # day 91
    messages = smtp.messages()
    assert [identify(m) for m in messages] == [("INV-1", "final-notice")]
    final_notice = messages[0]
    superseded = [e["stage"] for e in audit(ws, "reminder.superseded")]
    assert superseded == ["courtesy", "friendly", "reminder-7", "reminder-30"], "the hand-off is not superseded"

    for as_of in ["2026-04-03", "2026-04-10", "2026-04-15"]:   # 1, 8 and 13 days after the final notice
        [line] = plan(ws, as_of, all_lines=True)
        assert (line["stage"], line["action"], line["reason"]) == ("hand-off", "none", "notice-period"), line
        ws.run("tick", "--as-of", as_of, check=0)
    assert len(smtp.files()) == 1, "no hand-off within the notice period"
    table = ws.run("plan", "--all", "--as-of", "2026-04-15", check=0).stdout
    assert "notice-period" in table

    [line] = plan(ws, "2026-04-16")   # 14 days
    assert (line["stage"], line["action"], line["to"]) == ("hand-off", "escalate", ["jane@janedoe.example"])
    ws.run("tick", "--as-of", "2026-04-16", check=0)
    decisions = [m for m in smtp.messages() if identify(m) == ("INV-1", "decision")]
    assert len(decisions) == 1
    body = decisions[0]["body"]
    assert "Days overdue: 105" in body
    assert final_notice["message_id"] in body, "the history the owner gets holds the final notice"
    assert [e["invoice"] for e in audit(ws, "invoice.escalated")] == ["INV-1"]


def test_final_notice_days_from_the_config_sets_the_wait(ws, smtp):
    smtp_config(ws, smtp.port, delivery='min_days_between = 3\nfinal_notice_days = 30\n')
    ws.run("import", ws.write_csv("late.csv", [invoice_row("INV-1", due="2026-01-01")]), check=0)
    ws.run("tick", "--as-of", "2026-04-02", check=0)
    assert plan(ws, "2026-05-01", all_lines=True)[0]["reason"] == "notice-period"   # 29 days
    assert plan(ws, "2026-05-02")[0]["action"] == "escalate"


def import_three_due_reminders(ws):
    ws.run("import", ws.write_csv("three.csv", [
        invoice_row("INV-1", due="2026-11-28"), invoice_row("INV-2", client="bolt", due="2026-11-20"),
        invoice_row("INV-3", client="crux", due="2026-10-01")]), check=0)


def test_plan_says_on_stderr_how_many_reminders_wait_for_the_window_and_when_it_opens(ws, smtp):
    smtp_config(ws, smtp.port, send_window=OFFICE_HOURS)
    import_three_due_reminders(ws)
    ws.run("import", ws.write_csv("later.csv", [invoice_row("INV-4", client="dyne", due="2027-02-01")]), check=0)

    result = ws.run("plan", "--as-of", SATURDAY, "--format", "json", check=0)
    assert result.stdout == ""
    assert result.stderr.strip() == WAIT_SATURDAY
    every = ws.run("plan", "--all", "--as-of", SATURDAY, "--format", "json", check=0)
    lines = [json.loads(l) for l in every.stdout.splitlines()]   # stdout stays one JSON object per line
    assert [(l["invoice"], l["reason"]) for l in lines] == [
        ("INV-1", "window"), ("INV-2", "window"), ("INV-3", "window"), ("INV-4", "not-due")]
    assert every.stderr.strip() == WAIT_SATURDAY
    table = ws.run("plan", "--as-of", SATURDAY, check=0)
    assert table.stdout.split() == ["INVOICE", "CLIENT", "STAGE", "ACTION", "DAYS", "AMOUNT_DUE", "TO/REASON"]
    assert table.stderr.strip() == WAIT_SATURDAY

    # Christmas Eve after hours: the 25th is a holiday, then the weekend.
    assert ws.run("plan", "--as-of", "2026-12-24T17:00:00+01:00", check=0).stderr.strip().endswith(
        "which opens Mon 2026-12-28 09:00 Europe/Berlin")
    # Inside the window nothing waits, and stderr says nothing.
    open_now = ws.run("plan", "--as-of", "2026-12-07T09:00:00+01:00", "--format", "json", check=0)
    assert len(open_now.stdout.splitlines()) == 3 and open_now.stderr == ""


def test_plan_names_the_opening_in_local_time_across_a_dst_change(ws, smtp):
    smtp_config(ws, smtp.port, send_window=OFFICE_HOURS)
    ws.run("import", ws.write_csv("one.csv", [invoice_row("INV-1", due="2026-03-20")]), check=0)
    # Friday 27 March after hours (+01); Monday 30 March 09:00 is +02.
    result = ws.run("plan", "--as-of", "2026-03-27T16:30:00Z", check=0)
    assert result.stderr.strip() == "1 reminder waits for the send window, which opens Mon 2026-03-30 09:00 Europe/Berlin"


def test_tick_reports_what_waits_for_the_window_in_its_summary_and_dry_run(ws, smtp):
    smtp_config(ws, smtp.port, send_window=OFFICE_HOURS)
    import_three_due_reminders(ws)

    dry = ws.run("tick", "--as-of", SATURDAY, "--dry-run", check=0)
    assert WAIT_SATURDAY in dry.stdout.splitlines()
    assert "nothing to do" not in dry.stdout

    result = ws.run("tick", "--as-of", SATURDAY, check=0)
    summary = result.stdout.strip()
    assert "queued 0, sent 0" in summary and "waiting 3," in summary
    assert summary.endswith("; " + WAIT_SATURDAY)
    assert smtp.files() == []
    assert status(ws)["last_tick_summary"] == summary
    [finished] = audit(ws, "tick.finished")
    assert finished["waiting"] == 3

    # When the window opens they go out, and nothing waits any more.
    monday = ws.run("tick", "--as-of", "2026-12-07T09:00:00+01:00", check=0).stdout.strip()
    assert "sent 3" in monday and "waiting 0" in monday and "send window" not in monday
    assert sorted(identify(m) for m in smtp.messages()) == [
        ("INV-1", "reminder-7"), ("INV-2", "reminder-7"), ("INV-3", "final-notice")]


def test_status_lists_the_stage_plan_shows_waiting_for_the_window(ws, smtp):
    # status reads the real clock: close the window today (a holiday in Europe/Berlin).
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    tomorrow = today + timedelta(days=1)
    smtp_config(ws, smtp.port, send_window=f'holidays = ["{today.isoformat()}"]\n')
    # Never reminded, 10 days late: reminder-7 is due (courtesy and friendly are superseded).
    ws.run("import", ws.write_csv("one.csv", [invoice_row("INV-1", due=(today - timedelta(days=10)).isoformat())]), check=0)

    lines = [json.loads(l) for l in ws.run("plan", "--all", "--format", "json", check=0).stdout.splitlines()]
    assert [(l["invoice"], l["stage"], l["reason"]) for l in lines] == [("INV-1", "reminder-7", "window")]
    report = status(ws)
    assert report["next_due"] == [{"invoice": "INV-1", "stage": "reminder-7", "date": tomorrow.isoformat()}]
    table = ws.run("status", check=0).stdout
    assert f"  {tomorrow.isoformat()}  INV-1  reminder-7" in table
    assert "courtesy" not in table


def test_status_lists_the_hand_off_on_the_day_the_notice_period_ends(ws, smtp):
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    smtp_config(ws, smtp.port)
    ws.run("import", ws.write_csv("late.csv", [invoice_row("INV-1", due=(today - timedelta(days=95)).isoformat())]), check=0)
    ws.run("tick", check=0)
    assert [identify(m) for m in smtp.messages()] == [("INV-1", "final-notice")]
    [line] = plan(ws, today.isoformat(), all_lines=True)
    assert (line["stage"], line["reason"]) == ("hand-off", "notice-period")
    assert status(ws)["next_due"] == [
        {"invoice": "INV-1", "stage": "hand-off", "date": (today + timedelta(days=14)).isoformat()}]
