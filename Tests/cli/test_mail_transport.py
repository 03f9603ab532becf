"""`overdue send-test` against real servers on 127.0.0.1: the exit code says how a send ended
(0 delivered, 75 temporary, 69 permanent, 77 authentication refused, 78 configuration), and the
password never appears in anything printed."""
import os
import time

from smtp_servers import PASSWORD, USER, certs, password_file, servers, smtp_config, free_port  # noqa: F401


def send_test(ws, to="Bob Example <bob@example.com>", env=None, timeout=60):
    result = ws.run("send-test", "--to", to, env=env, timeout=timeout)
    assert PASSWORD not in result.stdout + result.stderr
    return result


def test_delivered_over_starttls_with_auth(ws, servers, certs, password_file):
    server = servers.aiosmtpd("starttls")
    ws.write_config(smtp=smtp_config(server.port, password_file=password_file, ca_file=certs["ca"]))
    result = send_test(ws)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("delivered: 250 2.0.0 Ok: queued as TEST1"), result.stdout
    [(envelope, raw)] = server.messages()
    assert envelope == {"mail_from": "billing@janedoe.example", "rcpt_tos": ["bob@example.com"], "tls": True}
    assert b"\r\nTo: Bob Example <bob@example.com>\r\n" in raw


def test_delivered_over_implicit_tls_with_the_test_ca(ws, servers, certs, password_file):
    server = servers.aiosmtpd("implicit")
    ws.write_config(smtp=smtp_config(server.port, scheme="smtps", password_file=password_file, ca_file=certs["ca"]))
    result = send_test(ws)
    assert result.returncode == 0, result.stderr
    assert "queued as TEST1" in result.stdout
    assert len(server.messages()) == 1


def test_password_from_environment_variable(ws, servers, certs):
    server = servers.aiosmtpd("starttls")
    ws.write_config(smtp=smtp_config(server.port, password_env="OVERDUE_TEST_SMTP_PASSWORD", ca_file=certs["ca"]))
    result = send_test(ws, env={"OVERDUE_TEST_SMTP_PASSWORD": PASSWORD})
    assert result.returncode == 0, result.stderr


def test_wrong_password_is_authentication_refused(ws, servers, certs, tmp_path):
    server = servers.aiosmtpd("starttls")
    wrong = tmp_path / "wrong-password"
    wrong.write_text("not-" + PASSWORD)
    wrong.chmod(0o600)
    ws.write_config(smtp=smtp_config(server.port, password_file=wrong, ca_file=certs["ca"]))
    result = send_test(ws)
    assert result.returncode == 77, result.stderr
    assert "535" in result.stderr and "not-" + PASSWORD not in result.stderr
    assert server.messages() == []


def test_untrusted_certificate_is_a_permanent_failure(ws, servers, certs, password_file):
    server = servers.aiosmtpd("starttls")
    ws.write_config(smtp=smtp_config(server.port, password_file=password_file))  # system CAs only
    result = send_test(ws)
    assert result.returncode == 69, result.stderr
    assert "certificate" in result.stderr.lower()
    assert server.messages() == []


def test_certificate_from_another_ca_is_refused_over_implicit_tls(ws, servers, certs, password_file):
    server = servers.aiosmtpd("implicit")
    ws.write_config(smtp=smtp_config(server.port, scheme="smtps", password_file=password_file, ca_file=certs["other_ca"]))
    assert send_test(ws).returncode == 69
    assert server.messages() == []


def test_server_without_starttls_is_refused_when_starttls_is_required(ws, servers):
    sink = servers.sink()
    ws.write_config(smtp=smtp_config(sink.port, username=None))
    result = send_test(ws)
    assert result.returncode == 69, result.stderr
    assert "STARTTLS" in result.stderr


def sink_result(ws, servers, *options, timeout="5s"):
    sink = servers.sink(*options)
    ws.write_config(smtp=smtp_config(sink.port, starttls="none", username=None, timeout=timeout))
    return send_test(ws)


def test_plain_sink_on_loopback_delivers(ws, servers):
    result = sink_result(ws, servers)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("delivered: 250")


def test_450_to_rcpt_is_temporary(ws, servers):
    result = sink_result(ws, servers, "-r", "RCPT", "-b", "450 4.2.0 Mailbox busy, try later")
    assert result.returncode == 75, result.stderr
    assert "450 4.2.0 Mailbox busy" in result.stderr


def test_421_is_temporary(ws, servers):
    result = sink_result(ws, servers, "-Q", "MAIL")
    assert result.returncode == 75, result.stderr
    assert "421" in result.stderr


def test_550_is_permanent(ws, servers):
    result = sink_result(ws, servers, "-f", "RCPT", "-B", "550 5.1.1 No such user")
    assert result.returncode == 69, result.stderr
    assert "550 5.1.1 No such user" in result.stderr


def test_550_after_the_message_data_is_permanent(ws, servers):
    result = sink_result(ws, servers, "-f", ".", "-B", "550 5.7.1 Message rejected")
    assert result.returncode == 69, result.stderr
    assert "550 5.7.1 Message rejected" in result.stderr


def test_dropped_connection_is_temporary(ws, servers):
    for command in ["EHLO", "DATA"]:
        result = sink_result(ws, servers, "-q", command)
        assert result.returncode == 75, (command, result.stderr)


def test_connection_dropped_after_the_final_dot_is_an_unknown_outcome_not_a_failure(ws, servers):
    result = sink_result(ws, servers, "-q", ".")
    assert result.returncode == 75, result.stderr
    assert "outcome unknown" in result.stderr and "may have arrived" in result.stderr


def test_server_that_never_greets_times_out_as_temporary(ws, servers):
    silent = servers.silent()
    ws.write_config(smtp=smtp_config(silent.port, starttls="none", username=None, timeout="2s"))
    started = time.monotonic()
    result = send_test(ws)
    elapsed = time.monotonic() - started
    assert result.returncode == 75, result.stderr
    assert 1.5 <= elapsed < 6, elapsed
    assert "timed out" in result.stderr.lower()


def test_connection_refused_is_temporary(ws):
    ws.write_config(smtp=smtp_config(free_port(), starttls="none", username=None))
    result = send_test(ws)
    assert result.returncode == 75, result.stderr
    assert "connect" in result.stderr.lower()


def test_missing_password_file_is_a_config_error_naming_the_file(ws, tmp_path):
    missing = tmp_path / "no-such-secret"
    ws.write_config(smtp=smtp_config(free_port(), password_file=missing))
    for args in [("send-test", "--to", "bob@example.com"), ("config", "check")]:
        result = ws.run(*args)
        assert result.returncode == 78, result.stderr
        assert str(missing) in result.stderr


def test_unreadable_password_file_is_a_config_error_and_never_printed(ws, password_file):
    if os.geteuid() == 0:
        # root reads any file; make it a folder instead, which no one can read as a secret
        password_file.unlink()
        password_file.mkdir()
    else:
        password_file.chmod(0)
    ws.write_config(smtp=smtp_config(free_port(), password_file=password_file))
    result = ws.run("config", "check")
    assert result.returncode == 78
    assert str(password_file) in result.stderr and PASSWORD not in result.stderr


def test_unset_password_env_is_a_config_error_naming_the_variable(ws):
    ws.write_config(smtp=smtp_config(free_port(), password_env="OVERDUE_TEST_UNSET_VARIABLE"))
    result = ws.run("send-test", "--to", "bob@example.com")
    assert result.returncode == 78
    assert "OVERDUE_TEST_UNSET_VARIABLE" in result.stderr


def test_config_check_reads_the_secret_but_never_prints_it(ws, password_file, certs):
    ws.write_config(smtp=smtp_config(free_port(), password_file=password_file, ca_file=certs["ca"]))
    result = ws.run("config", "check")
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr


def test_bad_recipient_is_a_usage_error(ws):
    result = ws.run("send-test", "--to", "bob@example.com\r\nRCPT TO:<evil@example.com>")
    assert result.returncode == 64
    assert "\n" not in result.stderr.strip()
