"""The shipped config/overdue.toml and its templates: valid, complete, and rendering for every stage.

The shipped file points at machine paths (/var/lib/overdue, /run/credentials/...); each test
works on a copy whose database, templates and password_file lines point into a temp folder.
"""
import email
import email.policy
import re
import shutil
import tomllib

import pytest

from conftest import ROOT, run_overdue

SHIPPED = ROOT / "config" / "overdue.toml"
TEMPLATES = ROOT / "config" / "templates"
EMAIL_STAGES = ["courtesy", "friendly-reminder", "reminder", "firm-reminder", "final-notice"]
SPEC_KEYS = {
    "daemon": ["interval", "timezone", "database", "templates"],
    "send_window": ["days", "start", "end", "holidays"],
    "business": ["name", "from", "reply_to", "owner", "payment_url", "small_claims_limit", "locale",
                 "payment_instructions", "signature"],
    "smtp": ["url", "starttls", "username", "password_file", "password_env", "ca_file", "ehlo_name", "timeout"],
    "delivery": ["retry", "give_up_after", "min_days_between", "final_notice_days"],
    "stage": ["name", "days", "action", "template", "subject", "cc", "bcc", "fee", "notify"],
}


def local_copy(tmp_path, edit=None):
    """The shipped config and templates copied into tmp_path, machine paths redirected there."""
    shutil.copytree(TEMPLATES, tmp_path / "templates")
    (tmp_path / "smtp-password").write_text("not-a-real-password\n")
    (tmp_path / "smtp-password").chmod(0o600)   # password_file = "smtp-password": beside the config
    text = SHIPPED.read_text()
    replacements = {
        r'^database = .*$': f'database = "{tmp_path / "overdue.sqlite"}"',
    }
    for pattern, line in replacements.items():
        text, count = re.subn(pattern, line, text, flags=re.M)
        assert count == 1, pattern
    if edit:
        text = edit(text)
    path = tmp_path / "overdue.toml"
    path.write_text(text)
    return path


def test_shipped_config_passes_config_check(tmp_path):
    path = local_copy(tmp_path)
    result = run_overdue("config", "check", "--config", path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"{path}: ok"
    assert "6 stages" in result.stdout


def test_shipped_config_keeps_the_production_paths():
    config = tomllib.loads(SHIPPED.read_text())
    assert config["daemon"]["database"] == "/var/lib/overdue/overdue.sqlite"
    assert config["smtp"]["url"] == "smtp://smtp.example.com:587"
    assert config["smtp"]["starttls"] == "required"
    assert config["smtp"]["password_file"] == "smtp-password"


def test_shipped_ladder_is_the_default_escalation():
    stages = tomllib.loads(SHIPPED.read_text())["stage"]
    assert [(s["name"], s["days"], s.get("action", "email")) for s in stages] == [
        ("courtesy", -3, "email"), ("friendly-reminder", 0, "email"), ("reminder", 7, "email"),
        ("firm-reminder", 30, "email"), ("final-notice", 60, "email"), ("hand-off", 90, "escalate")]
    assert stages[4]["cc"] == ["owner"]
    assert stages[5]["notify"] == "owner"
    assert not any("fee" in s for s in stages), "late fees are opt-in"
    assert re.search(r'^# fee = \["\d+\.\d\d [A-Z]{3}"', SHIPPED.read_text(), flags=re.M), "an optional fee line per currency, commented out"


def test_every_key_is_documented_in_the_shipped_config():
    text = SHIPPED.read_text()
    for section, keys in SPEC_KEYS.items():
        for key in keys:
            assert re.search(rf"^#?\s*{key}\s*(=|\s)", text, flags=re.M), f"{section}.{key} is not in config/overdue.toml"


def test_every_email_stage_has_text_and_html_templates_using_only_known_variables():
    known = {"business.name", "business.payment_url", "business.payment_instructions", "business.signature",
             "client.id", "client.name", "invoice.number", "invoice.currency", "invoice.has_fees",
             "days_overdue", "overdue", "due_today", "sent_late", "first_contact", "reminders", "stage.name",
             "hand_off", "hand_off.days", "hand_off.action", "hand_off.escalate", "hand_off.write_off", "pay_by"}
    for name in ["invoice.issue_date", "invoice.due_date", "invoice.amount", "invoice.paid", "invoice.fees",
                 "invoice.amount_due", "stage.fee", "hand_off.date", "pay_by.date"]:
        known |= {name, name + "_text"}
    known |= {"stage", "date", "date_text", "subject"}  # inside {{#reminders}}
    for stage in EMAIL_STAGES:
        for ext in ["txt", "html"]:
            text = (TEMPLATES / f"{stage}.{ext}").read_text()
            used = set(re.findall(r"\{\{\{?[#^/]?\s*([\w.]+)\s*\}?\}\}", text))
            assert used and used <= known, f"{stage}.{ext}: unknown {used - known}"
            assert "{{{" not in text, f"{stage}.{ext}: nothing is left unescaped"


def test_the_html_templates_share_one_page_head_written_once_as_partials():
    for stage in [*EMAIL_STAGES, "demand"]:
        lines = (TEMPLATES / f"{stage}.html").read_text().splitlines()
        assert lines[0] == "{{> page-head}}" and lines[1].startswith("<title>") and lines[2] == "{{> page-body}}", stage
        assert lines[-1] == "{{> page-end}}", stage
        assert "<style" not in "\n".join(lines) and "<body" not in "\n".join(lines), stage


def sample_ledger(tmp_path, path, amount="1200.00", currency="EUR"):
    csv = tmp_path / "invoices.csv"
    csv.write_text("number,client_id,client_name,client_email,issue_date,due_date,amount,currency,paid\r\n"
                   f"INV-7,acme,Acme & Sons,ap@acme.example,2026-01-02,2026-02-01,{amount},{currency},200.00\r\n")
    result = run_overdue("import", csv, "--config", path)
    assert result.returncode == 0, result.stderr


def preview(path, stage):
    result = run_overdue("preview", "INV-7", "--stage", stage, "--config", path)
    assert result.returncode == 0, f"preview --stage {stage}: {result.stderr}"
    message = email.message_from_string(result.stdout, policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",))
    return message, text, html.get_content() if html else None


@pytest.mark.parametrize("stage", EMAIL_STAGES)
def test_shipped_templates_render_for_a_sample_invoice(tmp_path, stage):
    path = local_copy(tmp_path)
    sample_ledger(tmp_path, path)
    message, text, html = preview(path, stage)
    assert message["To"] == "Acme & Sons <ap@acme.example>"
    assert "INV-7" in message["Subject"] and "Jane Doe Design" in message["Subject"] and "€1,000.00" in message["Subject"]
    assert "Acme & Sons" in text and "&amp;" not in text, "plain text is never escaped"
    assert "Acme &amp; Sons" in html and "Acme & Sons" not in html, "HTML escapes every value"
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")
    assert "<title>" in html and "<body style=" in html and html.endswith("</div>\n</body>\n</html>\n")
    for body in [text, html]:
        assert "INV-7" in body and "€1,000.00" in body and "{{" not in body
        assert "1 February 2026" in body and "2026-02-01" not in body, "dates for people"
        assert "https://pay.example/INV-7" in body
        assert "Jane Doe Design" in body


def test_the_ladder_names_its_consequences_with_the_configured_days_never_a_fixed_90(tmp_path):
    path = local_copy(tmp_path, edit=lambda t: t.replace("days = 90", "days = 75"))
    sample_ledger(tmp_path, path)
    for stage in ["firm-reminder", "final-notice"]:
        message, text, html = preview(path, stage)
        assert "collections agency" in text and "75 days after their due date" in text, stage
        assert "75 days after their due date" in html
        assert "90" not in text and "90" not in html
    assert message["Cc"] == "jane@janedoe.example"
    _, reminder, _ = preview(path, "reminder")
    assert "collections" not in reminder, "a plain reminder threatens nothing"


def test_templates_show_no_payment_link_when_none_is_configured(tmp_path):
    path = local_copy(tmp_path, edit=lambda t: re.sub(r"^payment_url = .*\n", "", t, flags=re.M))
    sample_ledger(tmp_path, path)
    for stage in EMAIL_STAGES:
        _, text, html = preview(path, stage)
        assert "Pay online" not in text and "pay.example" not in text
        assert "pay.example" not in html and "<a href" not in html


def test_uncommented_fee_line_adds_the_fee_to_the_notice(tmp_path):
    path = local_copy(tmp_path, edit=lambda t: t.replace('# fee = ["40.00 EUR"', 'fee = ["40.00 EUR"'))
    sample_ledger(tmp_path, path)
    _, text, html = preview(path, "final-notice")
    assert "A late payment fee of €40.00" in text and "Outstanding             €1,040.00" in text
    assert "€1,040.00" in html
    _, firm, _ = preview(path, "firm-reminder")
    assert "late payment fee" not in firm
