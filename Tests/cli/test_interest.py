"""Statutory interest and compensation through the binary: `[interest]` in the config,
`invoice show` (table and JSON), `plan --format json` (an `interest` object last, only when
configured), the letter before action stating the claim total, the evidence statement, and a
missing reference rate or a config mistake refused with exit 78."""
import datetime
import email
import email.policy
import json
import shutil
import zipfile
import zoneinfo

from conftest import ROOT, invoice_row


def configure(ws, interest):
    ws.write_config(ws.config_text() + "\n[interest]\n" + interest)


def import_invoice(ws, number="INV-1", amount="1000.00", currency="GBP", due="2015-03-01", **extra):
    issued = (datetime.date.fromisoformat(due) - datetime.timedelta(days=30)).isoformat()
    row = invoice_row(number, amount=amount, currency=currency, due=due, issue_date=issued, **extra)
    ws.run("import", ws.write_csv(f"{number}.csv", [row]), check=0)


def test_invoice_show_states_interest_compensation_and_the_claim_as_of_the_day(ws):
    # The GOV.UK example: £1,000 at 8% + 0.5% Bank Rate, 30 days late: £6.99; £70 for a debt of £1,000.
    configure(ws, 'regime = "uk"\n')
    import_invoice(ws)
    out = ws.run("invoice", "show", "INV-1", "--as-of", "2015-03-31", check=0).stdout
    assert "interest    6.99 GBP as of 2015-03-31 (uk, simple, actual/365)" in out
    assert "2015-03-02  2015-03-31  30    1000.00 GBP  8.50%" in out
    assert "compensation 70.00 GBP" in out
    assert "claim       1076.99 GBP (balance + interest + compensation)" in out
    shown = json.loads(ws.run("invoice", "show", "INV-1", "--as-of", "2015-03-31", "--format", "json", check=0).stdout)
    assert shown["interest"] == {
        "basis": "uk", "as_of": "2015-03-31", "interest": "6.99", "compensation": "70.00", "claim_total": "1076.99",
        "periods": [{"from": "2015-03-02", "through": "2015-03-31", "days": 30, "principal": "1000.00", "rate": "8.50"}]}
    assert list(shown)[-1] == "interest"


def test_without_the_section_show_and_plan_say_nothing_of_interest(ws):
    import_invoice(ws, currency="EUR", due="2026-03-01")
    assert "interest" not in ws.run("invoice", "show", "INV-1", check=0).stdout
    assert "interest" not in json.loads(ws.run("invoice", "show", "INV-1", "--format", "json", check=0).stdout)
    line = ws.run("plan", "--as-of", "2026-03-08", "--format", "json", check=0).stdout
    assert line == ('{"invoice":"INV-1","client":"acme","stage":"reminder-7","action":"email","days_overdue":7,'
                    '"amount_due":"1000.00","currency":"EUR","to":["ap@acme.example"]}\n')


def test_plan_json_adds_the_claim_last_with_payments_by_their_dates(ws):
    # § 288 BGB: 10,000 EUR due 2024-06-15; 2,000 paid on 2024-07-10. As of 2024-08-14:
    # 15 days at 12.62% and 10 days at 12.37% on 10,000, then 35 days at 12.37% on 8,000:
    # (10000 x (1262 x 15 + 1237 x 10) + 8000 x 1237 x 35) / 365 / 10000 = 180.6466 -> 180.65 EUR; + 40 EUR.
    configure(ws, 'regime = "de"\n')
    import_invoice(ws, amount="10000.00", currency="EUR", due="2024-06-15")
    ws.run("invoice", "pay", "INV-1", "2000.00", "--on", "2024-07-10", check=0)
    [line] = ws.run("plan", "--as-of", "2024-08-14", "--format", "json", "--all", check=0).stdout.splitlines()
    parsed = json.loads(line)
    assert list(parsed)[-1] == "interest"
    assert parsed["amount_due"] == "8000.00"
    assert parsed["interest"] == {"interest": "180.65", "compensation": "40.00", "claim_total": "8220.65"}
    assert line.endswith(',"interest":{"interest":"180.65","compensation":"40.00","claim_total":"8220.65"}}')
    # invoice show states the same claim, from the same payments.
    shown = json.loads(ws.run("invoice", "show", "INV-1", "--as-of", "2024-08-14", "--format", "json", check=0).stdout)
    assert (shown["interest"]["interest"], shown["interest"]["claim_total"]) == ("180.65", "8220.65")
    assert [p["principal"] for p in shown["interest"]["periods"]] == ["10000.00", "10000.00", "8000.00"]
    # The table keeps its columns.
    assert "interest" not in ws.run("plan", "--as-of", "2024-08-14", "--all", check=0).stdout


def test_the_letter_before_action_claims_balance_interest_and_compensation(ws):
    # Directive 2011/7/EU per semester: 5,000 EUR due 2023-06-20, as of 2023-07-20: 47.26 EUR + 40 EUR.
    for suffix in ["txt", "html"]:
        shutil.copy(ROOT / "config" / "templates" / f"demand.{suffix}", ws.templates / f"demand.{suffix}")
    configure(ws, 'regime = "eu"\n')
    import_invoice(ws, amount="5000.00", currency="EUR", due="2023-06-20")
    raw = ws.run("invoice", "demand", "INV-1", "--preview", "--as-of", "2023-07-20", check=0).stdout
    message = email.message_from_string(raw, policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    assert "  Balance                 €5,000.00\n" in text
    assert "  Interest to 2023-07-20  €47.26\n" in text
    assert "  Compensation            €40.00\n" in text
    assert "  Amount claimed          €5,087.26\n" in text
    assert "We claim €5,087.26 from you." in text
    assert "Interest continues to run on the unpaid amount until it is paid." in text
    html = message.get_body(("html",)).get_content()
    assert "€5,087.26" in html and "€47.26" in html
    # Without [interest] the letter claims the balance, as before.
    ws.write_config()
    raw = ws.run("invoice", "demand", "INV-1", "--preview", "--as-of", "2023-07-20", check=0).stdout
    text = email.message_from_string(raw, policy=email.policy.default).get_body(("plain",)).get_content()
    assert "  Amount claimed          €5,000.00\n" in text and "Interest" not in text


def test_the_evidence_statement_shows_the_claim_as_of_the_day_it_is_written(ws):
    configure(ws, 'regime = "uk"\n')
    import_invoice(ws, due="2026-01-15")
    packet = ws.dir / "INV-1.zip"
    ws.run("evidence", "INV-1", "--out", packet, check=0)
    with zipfile.ZipFile(packet) as z:
        statement = z.read("statement.html").decode()
    today = datetime.datetime.now(zoneinfo.ZoneInfo("Europe/Berlin")).date()
    days = (today - datetime.date(2026, 1, 15)).days
    # 11.75% (Bank Rate 3.75 on 31 December 2025 + 8) fixed for the debt; rounded once, half up.
    interest = (100000 * 1175 * days + 1825000) // 3650000
    assert f"Interest and compensation (as of {today.isoformat()})" in statement
    assert f"<td>2026-01-16</td><td>{today.isoformat()}</td><td class=\"n\">{days}</td>" in statement
    assert f"{interest // 100}.{interest % 100:02d} GBP" in statement
    assert "Compensation for recovery costs</td><td class=\"n\">70.00 GBP" in statement


def test_a_half_year_without_a_known_rate_is_refused_until_the_config_gives_it(ws):
    configure(ws, 'regime = "eu"\n')
    import_invoice(ws, currency="EUR", due="2026-06-20")
    refused = ws.run("invoice", "show", "INV-1", "--as-of", "2026-07-05", check=78)
    assert refused.stderr.strip() == (
        "invoice INV-1: interest: no ECB main refinancing operations rate is known from 2026-07-01 (the eu table was "
        'checked on 2026-12-02); add it to [interest.rates] as "2026-07-01" = "PERCENT"')
    assert ws.run("plan", "--as-of", "2026-07-05", "--format", "json", check=78).stderr.startswith("invoice INV-1: interest:")
    configure(ws, 'regime = "eu"\n\n[interest.rates]\n"2026-07-01" = "2.15"\n')
    out = ws.run("invoice", "show", "INV-1", "--as-of", "2026-07-05", check=0).stdout
    # 2.15 + 8 in both half-years: one stretch of 15 days.
    assert "2026-06-21  2026-07-05  15    1000.00 EUR  10.15%" in out


def test_config_mistakes_in_the_section_are_refused_with_file_line_and_key(ws):
    configure(ws, 'regime = "fr"\n')
    result = ws.run("plan", check=78)
    lines = ws.config_path.read_text().splitlines()
    line = lines.index('regime = "fr"') + 1
    assert result.stderr.startswith(f'{ws.config_path}:{line}: interest.regime: "fr" is not a regime')
    configure(ws, 'regime = "uk"\n\n[interest.rates]\n"2026-02-01" = "3.75"\n')
    result = ws.run("config", "check", check=78)
    line = ws.config_path.read_text().splitlines().index('"2026-02-01" = "3.75"') + 1
    assert f"{ws.config_path}:{line}: interest.rates.2026-02-01: " in result.stderr
