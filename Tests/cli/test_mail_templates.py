"""Templates are checked by `overdue config check` (and before any send): unknown variables and
missing templates are config errors (78) naming the file and line; text is never HTML-escaped."""


def test_unknown_variable_in_a_template_names_file_and_line(ws):
    (ws.templates / "reminder-7.txt").write_text("Dear {{client.name}},\n\n{{invoice.amount_owed}}\n")
    result = ws.run("config", "check")
    assert result.returncode == 78
    assert f"{ws.templates / 'reminder-7.txt'}:3: unknown template variable \"invoice.amount_owed\"" in result.stderr


def test_unknown_variable_in_a_subject_names_the_config_line(ws):
    text = ws.config_text().replace("Invoice {{invoice.number}} is due today", "Invoice {{invoice.nmber}} is due today")
    ws.write_config(text=text)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "invoice.nmber" in l)
    result = ws.run("config", "check")
    assert result.returncode == 78
    assert f"{ws.config_path}:{line}: stage[2].subject: unknown template variable \"invoice.nmber\"" in result.stderr


def test_missing_text_template_is_a_config_error(ws):
    (ws.templates / "final-notice.txt").unlink()
    result = ws.run("config", "check")
    assert result.returncode == 78
    assert "final-notice.txt does not exist" in result.stderr


def test_mustache_syntax_error_names_the_line(ws):
    (ws.templates / "courtesy.txt").write_text("Hello\n{{#client}}unclosed\n")
    result = ws.run("config", "check")
    assert result.returncode == 78
    assert str(ws.templates / "courtesy.txt") in result.stderr


def test_optional_html_template_is_checked_too(ws):
    (ws.templates / "courtesy.html").write_text("<p>{{client.nmae}}</p>\n")
    result = ws.run("config", "check")
    assert result.returncode == 78
    assert f"{ws.templates / 'courtesy.html'}:1:" in result.stderr


# ---------------------------------------------------------------------------------------------
# What the shipped templates say is true when sent: ticks of the built binary at chosen instants,
# delivered to a real SMTP server (aiosmtpd over STARTTLS with AUTH), read back as the client would.

import decimal  # noqa: E402
import email  # noqa: E402
import email.policy  # noqa: E402
import re  # noqa: E402

from conftest import invoice_row, run_overdue  # noqa: E402
from smtp_servers import PASSWORD, certs, password_file, servers  # noqa: E402,F401
from test_config_shipped import local_copy  # noqa: E402


def shipped(tmp_path, servers, certs, edit=None):
    """The shipped config and templates, sending to a fresh aiosmtpd; returns (config path, server)."""
    server = servers.aiosmtpd("starttls")

    def redirect(text):
        text = text.replace('url = "smtp://smtp.example.com:587"', f'url = "smtp://127.0.0.1:{server.port}"')
        text = text.replace('# ca_file = "/etc/ssl/certs/ca-certificates.crt"', f'ca_file = "{certs["ca"]}"')
        return edit(text) if edit else text

    path = local_copy(tmp_path, edit=redirect)
    secret = tmp_path / "smtp-password"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o600)
    return path, server


def import_invoices(tmp_path, path, *rows):
    csv = tmp_path / "invoices.csv"
    lines = ["number,client_id,client_name,client_email,issue_date,due_date,amount,currency,paid"]
    lines += [",".join(row) for row in rows]
    csv.write_text("\r\n".join(lines) + "\r\n")
    result = run_overdue("import", csv, "--config", path)
    assert result.returncode == 0, result.stderr


def tick(path, at):
    result = run_overdue("tick", "--as-of", at, "--config", path)
    assert result.returncode == 0, result.stderr


def received(server):
    """[(subject, text, html)] of every message the server accepted, in arrival order."""
    out = []
    for _, raw in server.messages():
        message = email.message_from_bytes(raw, policy=email.policy.default)
        html = message.get_body(("html",))
        out.append((message["Subject"], message.get_body(("plain",)).get_content().replace("\r\n", "\n"),
                    html.get_content().replace("\r\n", "\n") if html else None))
    return out


def test_a_saturday_due_date_sent_on_monday_says_it_was_due_not_due_today(tmp_path, servers, certs):
    path, server = shipped(tmp_path, servers, certs)
    import_invoices(tmp_path, path, ["INV-1", "acme", "Acme Ltd", "ap@acme.example", "2026-11-05", "2026-12-05", "1200.00", "EUR", "0"])
    tick(path, "2026-12-02T10:00:00+01:00")   # Wednesday: the courtesy note, 3 days ahead
    tick(path, "2026-12-05T10:00:00+01:00")   # Saturday: outside the send window
    tick(path, "2026-12-07T10:00:00+01:00")   # Monday: the day-0 reminder goes out, 2 days late
    (courtesy_subject, courtesy, _), (subject, text, html) = received(server)
    assert courtesy_subject == "Jane Doe Design: invoice INV-1 for €1,200.00 is due on 5 December 2026"
    assert "which is due on 5 December 2026" in courtesy
    assert subject == "Jane Doe Design: invoice INV-1 for €1,200.00 was due on 5 December 2026"
    for body in [subject, text, html]:
        assert "due today" not in body and "due <strong>today" not in body
    assert "was due on 5 December 2026" in text
    assert "5 December 2026" in html and "2026-12-05" not in text + html


def test_a_first_contact_at_the_30_day_stage_mentions_no_earlier_reminders(tmp_path, servers, certs):
    path, server = shipped(tmp_path, servers, certs)
    import_invoices(tmp_path, path, ["INV-2", "acme", "Acme Ltd", "ap@acme.example", "2026-09-30", "2026-10-30", "800.00", "EUR", "0"])
    tick(path, "2026-12-01T10:00:00+01:00")   # 32 days overdue: imported late, the firm reminder first
    tick(path, "2026-12-30T10:00:00+01:00")   # 61 days: the final notice
    (firm_subject, firm, firm_html), (_, final, final_html) = received(server)
    assert firm_subject == "Jane Doe Design: invoice INV-2, €800.00, is 32 days overdue"
    for body in [firm, firm_html]:
        assert "earlier reminders" not in body and "earlier messages" not in body
    assert "We have not yet received payment" in firm
    assert "despite our earlier reminders" in final and "despite our earlier reminders" in final_html
    assert f"  - 1 December 2026: {firm_subject}\n" in final, "the earlier email, with its date and subject"


def test_hand_off_days_and_date_come_from_the_ladder_and_the_notice_period(tmp_path, servers, certs):
    path, server = shipped(tmp_path, servers, certs, edit=lambda t: t.replace("days = 90", "days = 75")
                           .replace("final_notice_days = 14", "final_notice_days = 20"))
    import_invoices(tmp_path, path,
                    ["INV-3", "acme", "Acme Ltd", "ap@acme.example", "2026-08-01", "2026-09-01", "500.00", "EUR", "0"],
                    ["INV-4", "beta", "Beta Ltd", "ap@beta.example", "2026-09-01", "2026-10-01", "500.00", "EUR", "0"])
    tick(path, "2026-11-02T10:00:00+01:00")   # INV-3 62 days overdue, INV-4 32
    messages = {subject.split(",")[0].split()[-1]: text for subject, text, _ in received(server)}
    final, firm = messages["INV-3"], messages["INV-4"]
    # Final notice sent 2 November: due + 75 = 15 November, but 20 days' notice runs to 22 November,
    # a Sunday, outside the shipped send window (mon-fri): the planner hands off on Monday 23rd.
    assert "Invoices still unpaid 75 days after their due date are referred for recovery." in final
    assert "If this one is still unpaid on 23 November 2026," in final
    assert "Please pay the outstanding €500.00 by 22 November 2026." in final
    # Firm reminder: the next stage (final notice, 60 days) can come on 30 November, so payment is
    # asked by the day before; the hand-off is not due + 75 = 15 December, since the final notice
    # starts 20 days' notice: 20 December, a Sunday, so Monday 21 December, as the planner will act.
    assert "If this one is still unpaid on 21 December 2026," in firm
    assert "Please pay the outstanding €500.00 by 29 November 2026," in firm
    for text in [final, firm]:
        assert "90" not in text


def amounts(text):
    """The table rows of a shipped text template, label -> Decimal."""
    rows = {}
    for line in text.splitlines():
        match = re.fullmatch(r"  (Invoice amount|Paid so far|Late fees charged|Late fee \(this notice\)|Outstanding) +€([\d,]+\.\d\d)", line)
        if match:
            rows[match[1]] = decimal.Decimal(match[2].replace(",", ""))
    return rows


def test_the_table_adds_up_with_a_fee_and_html_keeps_values_unbroken(tmp_path, servers, certs):
    path, server = shipped(tmp_path, servers, certs, edit=lambda t: t.replace('# fee = ["40.00 EUR"', 'fee = ["40.00 EUR"'))
    import_invoices(tmp_path, path, ["INV-2026-0103", "acme", "Acme & Sons", "ap@acme.example", "2026-08-01", "2026-09-01", "4850.00", "EUR", "850.00"])
    tick(path, "2026-11-02T10:00:00+01:00")   # 62 days: the final notice, with its fee
    [(subject, text, html)] = received(server)
    rows = amounts(text)
    assert rows == {"Invoice amount": 4850, "Paid so far": 850, "Late fee (this notice)": 40, "Outstanding": 4040}
    assert rows["Invoice amount"] - rows["Paid so far"] + rows["Late fee (this notice)"] == rows["Outstanding"]
    assert "€4,040.00" in subject
    plan = run_overdue("plan", "--all", "--format", "json", "--as-of", "2026-11-02T10:00:00+01:00", "--config", path)
    assert '"amount_due":"4040.00"' in plan.stdout, "the message states the balance the ledger holds"
    assert "Acme &amp; Sons" in html and "Acme & Sons" not in html
    body = html[html.index("<body"):]
    for value in ["€4,850.00", "€850.00", "€40.00", "€4,040.00", "INV-2026-0103", "1 September 2026"]:
        assert value in body
        for at in [m.start() for m in re.finditer(re.escape(value), body)]:
            opening = body.rfind("<", 0, at)
            if body.rfind(">", 0, at) < opening:
                continue  # inside a tag: an attribute (the payment link), not text
            assert "white-space:nowrap" in body[opening:at], f"{value} can wrap: {body[opening:at + len(value)]}"


MINIMAL = """\
{{#first_contact}}first contact{{/first_contact}}{{^first_contact}}earlier:{{#reminders}} [{{stage}} {{date}} {{subject}}]{{/reminders}}{{/first_contact}}
due {{invoice.due_date}} / {{invoice.due_date_text}}; owed {{invoice.amount_due}} / {{invoice.amount_due_text}}
{{#sent_late}}late{{/sent_late}}{{^sent_late}}on time{{/sent_late}}; {{#hand_off}}{{hand_off.action}} after {{hand_off.days}} days, not before {{hand_off.date}}{{/hand_off}}
"""


def test_minimal_templates_see_the_same_facts_in_another_locale(ws, servers, certs, password_file):
    from smtp_servers import smtp_config
    server = servers.aiosmtpd("starttls")
    for name in ["courtesy", "friendly", "reminder-7", "reminder-30", "final-notice"]:
        (ws.templates / f"{name}.txt").write_text(MINIMAL)
    business = ws.config_text().split("[business]\n")[1].split("\n\n")[0] + '\nlocale = "de-DE"\n'
    ws.write_config(business=business, smtp=smtp_config(server.port, password_file=password_file, ca_file=certs["ca"]),
                    delivery='min_days_between = 3\nfinal_notice_days = 14\n')
    ws.run("import", ws.write_csv("i.csv", [invoice_row("INV-9", due="2026-01-31", amount="1234.50")]), check=0)
    ws.run("tick", "--as-of", "2026-03-03T10:00:00+01:00", check=0)   # 31 days: reminder-30
    ws.run("tick", "--as-of", "2026-04-02T10:00:00+02:00", check=0)   # 61 days: final-notice
    (first_subject, first, _), (_, second, _) = received(server)
    assert first == ("first contact\ndue 2026-01-31 / 31. Januar 2026; owed 1234.50 / 1.234,50 €\n"
                     "late; escalate after 90 days, not before 2026-05-01\n")
    assert second == (f"earlier: [reminder-30 2026-03-03 {first_subject}]\n"
                      "due 2026-01-31 / 31. Januar 2026; owed 1234.50 / 1.234,50 €\n"
                      "late; escalate after 90 days, not before 2026-05-01\n")
