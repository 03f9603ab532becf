"""Shared fixtures for the end-to-end tests: the real `overdue` binary on real files.

`ws` is a fresh workspace per test: a config (file outbox by default), its templates folder,
a SQLite path and helpers to write CSVs and run the binary with `--config`.
"""
import csv
import io
import os
import pathlib
import subprocess
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
OVERDUE_BIN = os.environ.get("OVERDUE_BIN", str(ROOT / ".build" / "debug" / "overdue"))

CSV_COLUMNS = ["number", "client_id", "client_name", "client_email", "issue_date",
               "due_date", "amount", "currency", "paid", "status"]

DEFAULT_STAGES = """
[[stage]]
name = "courtesy"
days = -3
template = "courtesy"
subject = "Invoice {{invoice.number}} is due on {{invoice.due_date}}"

[[stage]]
name = "friendly"
days = 0
template = "friendly"
subject = "Invoice {{invoice.number}} is due today"

[[stage]]
name = "reminder-7"
days = 7
template = "reminder-7"
subject = "Reminder: invoice {{invoice.number}} is {{days_overdue}} days overdue"

[[stage]]
name = "reminder-30"
days = 30
template = "reminder-30"
subject = "Invoice {{invoice.number}} is {{days_overdue}} days overdue"

[[stage]]
name = "final-notice"
days = 60
template = "final-notice"
subject = "Final notice: invoice {{invoice.number}}, {{days_overdue}} days overdue"
cc = ["owner"]

[[stage]]
name = "hand-off"
days = 90
action = "escalate"
notify = "owner"
"""

TEMPLATE_TEXT = textwrap.dedent("""\
    Dear {{client.name}},

    invoice {{invoice.number}} of {{invoice.issue_date}} over {{invoice.amount}} {{invoice.currency}}
    was due on {{invoice.due_date}} ({{days_overdue}} days). Paid so far: {{invoice.paid}}.
    Amount due: {{invoice.amount_due}} {{invoice.currency}}.
    {{#business.payment_url}}Pay here: {{business.payment_url}}{{/business.payment_url}}

    {{business.name}} ({{stage.name}})
    """)


def run_overdue(*args, input=None, env=None, timeout=60, cwd=None):
    """Runs the binary; returns CompletedProcess with text stdout/stderr."""
    full_env = dict(os.environ)
    full_env.pop("OVERDUE_CONFIG", None)
    if env:
        full_env.update(env)
    return subprocess.run([OVERDUE_BIN, *map(str, args)], input=input, capture_output=True,
                          text=True, env=full_env, timeout=timeout, cwd=cwd)


class Workspace:
    def __init__(self, root: pathlib.Path):
        self.dir = root
        self.config_path = root / "overdue.toml"
        self.db_path = root / "overdue.sqlite"
        self.outbox = root / "outbox"
        self.templates = root / "templates"
        self.templates.mkdir()
        for name in ["courtesy", "friendly", "reminder-7", "reminder-30", "final-notice"]:
            (self.templates / f"{name}.txt").write_text(TEMPLATE_TEXT)

    def config_text(self, **overrides):
        """The default test config; keyword overrides replace whole sections by name
        (daemon=..., send_window=..., business=..., smtp=..., delivery=..., stages=...)."""
        sections = {
            "daemon": f'interval = "15m"\ntimezone = "Europe/Berlin"\ndatabase = "{self.db_path}"\n',
            "send_window": None,
            "business": ('name = "Jane Doe Design"\nfrom = "Jane Doe Design <billing@janedoe.example>"\n'
                         'reply_to = "jane@janedoe.example"\nowner = "jane@janedoe.example"\n'
                         'payment_url = "https://pay.example/{invoice}"\nsmall_claims_limit = "12500.00 EUR"\n'),
            "smtp": f'url = "file://{self.outbox}"\ntimeout = "10s"\n',
            "delivery": 'retry = ["5m", "30m", "2h", "8h"]\ngive_up_after = "3d"\nmin_days_between = 3\n',
        }
        stages = overrides.pop("stages", DEFAULT_STAGES)
        sections.update(overrides)
        out = []
        for name in ["daemon", "send_window", "business", "smtp", "delivery"]:
            body = sections.get(name)
            if body is not None:
                out.append(f"[{name}]\n{textwrap.dedent(body).strip()}\n")
        return "\n".join(out) + "\n" + textwrap.dedent(stages)

    def write_config(self, text=None, **overrides):
        self.config_path.write_text(text if text is not None else self.config_text(**overrides))
        return self.config_path

    def write_csv(self, name, rows, columns=None):
        """Writes rows (dicts) as CSV with the given (or default) columns; returns the path."""
        columns = columns or [c for c in CSV_COLUMNS if any(c in r for r in rows)] or CSV_COLUMNS
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\r\n", extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
        path = self.dir / name
        path.write_text(buf.getvalue(), encoding="utf-8", newline="")
        return path

    def run(self, *args, input=None, env=None, check=None, timeout=60):
        """Runs `overdue ARGS --config CONFIG`; `check=N` asserts the exit code (stderr shown on failure)."""
        if not self.config_path.exists():
            self.write_config()
        result = run_overdue(*args, "--config", self.config_path, input=input, env=env, timeout=timeout)
        if check is not None:
            assert result.returncode == check, (
                f"overdue {' '.join(map(str, args))}: exit {result.returncode}, expected {check}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}")
        return result


def invoice_row(number, client="acme", due="2026-03-01", amount="1200.00", currency="EUR", **extra):
    """A valid CSV row dict with sensible defaults."""
    row = {
        "number": number, "client_id": client, "client_name": f"{client.title()} Ltd",
        "client_email": f"ap@{client}.example", "issue_date": "2025-11-01", "due_date": due,
        "amount": amount, "currency": currency, "paid": "0", "status": "open",
    }
    row.update(extra)
    return row


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(tmp_path)
    workspace.write_config()
    return workspace
