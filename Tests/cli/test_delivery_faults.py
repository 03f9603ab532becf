"""The delivery promises under real faults, through the built binary: never twice (a failure
after the final dot is ambiguous, a late final reply is awaited), never moot (a command that
returns withdraws what a tick in flight has not sent yet), never lost (a failing server keeps
reminders retrying, and a failed one can be queued again)."""
import email
import email.policy
import subprocess
import time

import pytest

from conftest import OVERDUE_BIN, invoice_row
from smtp_servers import certs, password_file, servers, smtp_config  # noqa: F401
from test_daemon import audit, status
from test_daemon_servers import use_marker_templates

T0 = "2026-01-09T10:00:00Z"


def plain(server, timeout="2s"):
    return smtp_config(server.port, starttls="none", username=None, timeout=timeout)


def import_invoices(ws, count, client=None):
    rows = [invoice_row(f"INV-{i:02d}", client=client or f"c{i}", due="2026-01-01") for i in range(count)]
    ws.run("import", ws.write_csv("invoices.csv", rows), check=0)


def test_a_connection_dropped_after_the_final_dot_is_ambiguous_and_never_sent_again(ws, servers):
    server = servers.faulty("drop-after-dot")
    use_marker_templates(ws)
    ws.write_config(smtp=plain(server))
    import_invoices(ws, 1)
    result = ws.run("tick", "--as-of", T0, check=0)
    assert "ambiguous 1" in result.stdout, result.stdout
    assert len(server.messages()) == 1
    report = status(ws)
    assert (report["ambiguous"], report["retrying"], report["pending"]) == (1, 0, 0)
    [entry] = audit(ws, "reminder.ambiguous")
    assert entry["invoice"] == "INV-00" and entry["details"]["reply"].startswith("no final reply after the message was sent")
    # Hours later, nothing goes out again by itself.
    ws.run("tick", "--as-of", "2026-01-09T14:00:00Z", check=0)
    assert len(server.messages()) == 1
    assert status(ws)["ambiguous"] == 1


def test_a_final_reply_later_than_smtp_timeout_is_awaited_and_the_message_is_sent_once(ws, servers):
    server = servers.faulty("late:4")
    use_marker_templates(ws)
    ws.write_config(smtp=plain(server, timeout="2s"))
    import_invoices(ws, 1)
    started = time.monotonic()
    ws.run("tick", "--as-of", T0, check=0)
    assert time.monotonic() - started >= 4
    [sent] = audit(ws, "reminder.sent")
    assert sent["details"]["reply"].startswith("250 2.0.0 Ok: queued as TEST1")
    ws.run("tick", "--as-of", "2026-01-09T14:00:00Z", check=0)
    assert len(server.messages()) == 1
    report = status(ws)
    assert (report["ambiguous"], report["retrying"], report["pending"], report["failed"]) == (0, 0, 0, 0)


def test_after_client_block_returns_a_tick_in_flight_sends_that_client_nothing_more(ws, servers):
    # Fast at first, so the tick grows its batches, then a second per message: the batch in
    # flight when the command runs was prepared before it.
    server = servers.faulty("slow-after:12:1")
    use_marker_templates(ws)
    ws.write_config(smtp=plain(server, timeout="5s"))
    import_invoices(ws, 40, client="acme")
    at_return = run_tick_and_command_when(ws, server, 13, ["client", "block", "acme", "--reason", "disputes everything"])
    # At most the message already on the wire when the command ran completes after it.
    assert len(server.messages()) <= at_return + 1, (at_return, len(server.messages()))
    withdrawn = audit(ws, "reminder.withdrawn")
    assert len(withdrawn) == 40 - len(server.messages())
    assert all(e["details"]["reason"] == "client acme is blocked" for e in withdrawn)
    assert status(ws)["pending"] == 0


def run_tick_and_command_when(ws, server, received, command):
    """Starts `overdue tick`, runs `command` once the server holds `received` messages, and waits
    for the tick; returns how many messages the server held when the command returned."""
    tick = subprocess.Popen([OVERDUE_BIN, "tick", "--as-of", T0, "--config", str(ws.config_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while len(server.messages()) < received:
            assert time.monotonic() < deadline and tick.poll() is None, "the tick never reached the slow part"
            time.sleep(0.02)
        ws.run(*command, check=0)
        at_return = len(server.messages())
        _, err = tick.communicate(timeout=60)
    finally:
        if tick.poll() is None:
            tick.kill()
    assert tick.returncode == 0, err
    return at_return


def subjects(server):
    return [str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"]) for _, raw in server.messages()]


@pytest.mark.parametrize("command,withdrawn", [
    (["invoice", "pay", "INV-15", "1200.00"], True),
    (["invoice", "cancel", "INV-15"], True),
    (["invoice", "hold", "INV-15"], False),
])
def test_after_an_invoice_command_returns_a_tick_in_flight_does_not_send_that_invoice(ws, servers, command, withdrawn):
    server = servers.faulty("slow-after:12:0.5")
    use_marker_templates(ws)
    ws.write_config(smtp=plain(server, timeout="5s"))
    import_invoices(ws, 20, client="acme")
    run_tick_and_command_when(ws, server, 13, command)
    assert not any(" INV-15 " in subject for subject in subjects(server)), subjects(server)
    assert len(server.messages()) == 19
    if withdrawn:
        assert [e["invoice"] for e in audit(ws, "reminder.withdrawn")] == ["INV-15"]
    else:
        assert [d["invoice"] for d in status(ws)["deliveries"]["pending"]] == ["INV-15"]


def test_a_tls_failure_keeps_every_reminder_retrying_warns_the_owner_and_the_fixed_config_sends_them(
        ws, servers, certs, password_file):
    server = servers.aiosmtpd("starttls")
    use_marker_templates(ws)
    ws.write_config(smtp=smtp_config(server.port, password_file=password_file, ca_file=certs["other_ca"]))
    import_invoices(ws, 5)
    result = ws.run("tick", "--as-of", T0, check=0)
    assert server.messages() == []
    assert "<3>mail server problem" in result.stderr
    report = status(ws)
    assert (report["failed"], report["retrying"], report["pending"]) == (0, 1, 4)
    assert report["server_problem"]["error"] and "certificate" in report["server_problem"]["error"].lower()
    assert "server problem: since " in ws.run("status", check=0).stdout
    assert audit(ws, "owner.notified") == [] and audit(ws, "reminder.failed") == []

    ws.write_config(smtp=smtp_config(server.port, password_file=password_file, ca_file=certs["ca"]))
    ws.run("tick", "--as-of", "2026-01-09T10:10:00Z", check=0)
    assert len(server.messages()) == 5
    report = status(ws)
    assert (report["failed"], report["retrying"], report["pending"], report["server_problem"]) == (0, 0, 0, None)


def test_requeue_sends_a_failed_reminder_again_once(ws, servers):
    refusing = servers.sink("-f", ".", "-B", "550 5.7.1 Message rejected")
    use_marker_templates(ws)
    ws.write_config(smtp=plain(refusing))
    import_invoices(ws, 1)
    ws.run("tick", "--as-of", T0, check=0)
    assert status(ws)["failed"] == 1
    assert ws.run("invoice", "requeue", "INV-00", "--stage", "friendly").returncode == 65     # superseded: no dispatch
    ws.run("invoice", "requeue", "INV-00", "--stage", "reminder-7", check=0)
    assert ws.run("invoice", "requeue", "INV-00", "--stage", "reminder-7").returncode == 65   # not failed any more
    [requeued] = audit(ws, "reminder.requeued")
    assert requeued["details"]["reply"].startswith("550 5.7.1 Message rejected")

    server = servers.faulty("")
    ws.write_config(smtp=plain(server))
    ws.run("tick", "--as-of", "2026-01-09T11:00:00Z", check=0)
    ws.run("tick", "--as-of", "2026-01-09T12:00:00Z", check=0)
    assert len(server.messages()) == 1
    report = status(ws)
    assert (report["failed"], report["pending"]) == (0, 0)
