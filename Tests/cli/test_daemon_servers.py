"""`overdue tick` against the mail tests' servers: STARTTLS with AUTH, and a server that
accepts connections but never speaks (a timeout, not a refusal)."""
import json

from conftest import invoice_row
from smtp_servers import PASSWORD, USER, certs, password_file, servers, smtp_config  # noqa: F401
from test_daemon import MARKER_TEMPLATE, audit, status


def use_marker_templates(ws):
    for name in ["courtesy", "friendly", "reminder-7", "reminder-30", "final-notice"]:
        (ws.templates / f"{name}.txt").write_text(MARKER_TEMPLATE)


def test_tick_delivers_over_starttls_with_auth_and_no_secret_reaches_log_or_audit(ws, servers, certs, password_file):
    server = servers.aiosmtpd("starttls")
    use_marker_templates(ws)
    ws.write_config(smtp=smtp_config(server.port, password_file=password_file, ca_file=certs["ca"]))
    ws.run("import", ws.write_csv("two.csv", [invoice_row("INV-1", due="2026-01-01"),
                                              invoice_row("INV-2", client="bolt", due="2026-01-01")]), check=0)
    result = ws.run("tick", "--as-of", "2026-01-09T10:00:00Z", "--log-level", "debug", check=0)
    received = server.messages()
    assert len(received) == 2
    assert all(envelope["tls"] for envelope, _ in received)
    assert sorted(envelope["rcpt_tos"][0] for envelope, _ in received) == ["ap@acme.example", "ap@bolt.example"]
    sent = audit(ws, "reminder.sent")
    assert len(sent) == 2 and all(e["details"]["reply"].startswith("250") for e in sent)
    trail = ws.run("audit", "--format", "json", check=0).stdout
    for text in (result.stderr, result.stdout, trail):
        assert PASSWORD not in text


def test_a_server_that_never_answers_costs_one_timeout_and_the_rest_wait_for_the_next_tick(ws, servers):
    silent = servers.silent()
    use_marker_templates(ws)
    ws.write_config(smtp=smtp_config(silent.port, starttls="none", username=None, timeout="2s"))
    rows = [invoice_row(f"INV-{i}", client=f"c{i}", due="2026-01-01") for i in range(5)]
    ws.run("import", ws.write_csv("five.csv", rows), check=0)
    result = ws.run("tick", "--as-of", "2026-01-09T10:00:00Z", check=0, timeout=60)
    assert "deferred 1" in result.stdout and "left 4" in result.stdout
    report = status(ws)
    assert (report["retrying"], report["pending"], report["failed"]) == (1, 4, 0)
    assert "<3>mail server problem, sending stopped for this tick: 4 more deliveries wait for the next tick" in result.stderr
    assert "timed out" in report["server_problem"]["error"]
