"""Help that reads well in an 80-column terminal, and amounts that look like options."""
import re

from conftest import run_overdue


def subcommands(path):
    """The subcommands listed in `overdue PATH --help`, recursively, as argument lists."""
    text = run_overdue(*path, "--help", env={"COLUMNS": "80"}).stdout
    section = text.split("SUBCOMMANDS:", 1)
    if len(section) == 1:
        return []
    names = [m.group(1) for m in re.finditer(r"^  ([a-z][a-z-]*)\b", section[1], flags=re.M) if m.group(1) != "help"]
    found = []
    for name in names:
        found.append([*path, name])
        found.extend(subcommands([*path, name]))
    return found


def test_every_help_page_fits_80_columns_and_describes_every_argument():
    commands = [[]] + subcommands([])
    assert ["invoice", "pay"] in commands and ["client", "block"] in commands
    for command in commands:
        result = run_overdue(*command, "--help", env={"COLUMNS": "80"})
        assert result.returncode == 0, command
        lines = result.stdout.splitlines()
        too_long = [line for line in lines if len(line) > 80]
        assert not too_long, f"overdue {' '.join(command)} --help: {too_long}"
        if "ARGUMENTS:" in result.stdout:
            arguments = result.stdout.split("ARGUMENTS:", 1)[1].split("\n\n", 1)[0].splitlines()
            for index, line in enumerate(arguments):
                if re.match(r"^  <[^>]+>", line):
                    described = line.strip() != re.match(r"^  (<[^>]+>)", line).group(1) or (
                        index + 1 < len(arguments) and arguments[index + 1].startswith("    "))
                    assert described, f"overdue {' '.join(command)}: {line.strip()} has no description"


def test_a_negative_payment_is_explained_as_negative_not_as_a_missing_argument(ws):
    result = ws.run("invoice", "pay", "INV-1", "-5")
    assert result.returncode == 64
    assert "-5 is negative" in result.stderr
    assert "Missing expected argument" not in result.stderr


def test_a_payment_without_an_amount_or_with_an_unknown_option_is_still_a_usage_error(ws):
    missing = ws.run("invoice", "pay", "INV-1")
    assert missing.returncode == 64 and "Missing expected argument '<amount>'" in missing.stderr
    unknown = ws.run("invoice", "pay", "INV-1", "10.00", "--bogus")
    assert unknown.returncode == 64 and "--bogus" in unknown.stderr


def test_a_negative_invoice_amount_reaches_the_amount_check(ws):
    result = ws.run("invoice", "add", "INV-9", "--client", "acme", "--client-name", "Acme", "--client-email",
                    "ap@acme.example", "--issued", "2026-01-01", "--due", "2026-02-01", "--amount", "-5",
                    "--currency", "EUR")
    assert result.returncode == 65, result.stderr
    assert "amount" in result.stderr and "Missing value" not in result.stderr
