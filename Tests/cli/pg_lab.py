"""The several-hosts setting for the PostgreSQL tests and benchmark, built from real parts.

`Lab` puts a real PostgreSQL 15 (pg_server.PostgresServer) and a counting SMTP server
(smtp_counter.CountingSMTP) on host `db` (10.77.0.1) and lets the test run `overdue run` on
hosts `h1`, `h2`, `h3` (10.77.0.11-13), each a network namespace linked to one switch
(netns.Network). Across namespaces SMTP is STARTTLS with a test CA (overdue sends clear text only
to a loopback host). Commands the test itself runs (`status`, `audit`, `plan`) run on `db`, as
an operator would on the database host.

Where namespaces cannot be made (no CAP_NET_ADMIN), `Lab(...)` falls back to one host: everything
on 127.0.0.1, `lab.partition_reason` says why, and the tests that cut a link skip with it.
"""
import json
import os
import pathlib
import signal
import subprocess
import textwrap
import time

import netns
import pg_server
import smtp_counter
from conftest import OVERDUE_BIN, Workspace

# A marker line names the invoice and stage of every received message (see test_daemon.py).
MARKER_TEMPLATE = textwrap.dedent("""\
    Dear {{client.name}},

    invoice {{invoice.number}} is {{days_overdue}} days overdue; {{invoice.amount_due}} {{invoice.currency}} is due.
    OVERDUE-TEST invoice={{invoice.number}} stage={{stage.name}} amount_due={{invoice.amount_due}} days={{days_overdue}}
    """)

# Two email stages: an invoice 10 days late gets exactly one reminder (reminder-7; friendly is
# superseded), so N invoices are N messages.
TWO_STAGES = """
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
"""


class LocalHost:
    """The fallback: one machine, no namespaces."""

    def __init__(self, name, address="127.0.0.1"):
        self.name, self.address, self.ns = name, address, None

    def cmd(self, argv):
        return [str(a) for a in argv]


class Daemon:
    def __init__(self, lab, ws, host, log_level, env):
        self.host = host
        self.log_path = ws.dir / f"daemon-{host.name}-{time.monotonic_ns()}.log"
        full_env = dict(os.environ)
        full_env.pop("OVERDUE_CONFIG", None)
        full_env.pop("NOTIFY_SOCKET", None)
        full_env.update(env or {})
        with open(self.log_path, "ab") as log:
            # `ip netns exec` execs the command itself, so proc.pid is the daemon's pid.
            self.proc = subprocess.Popen(host.cmd([OVERDUE_BIN, "run", "--config", ws.config_path,
                                                   "--log-level", log_level]),
                                         stdout=subprocess.DEVNULL, stderr=log, env=full_env)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout=30):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"daemon on {self.host.name} did not stop on SIGTERM within {timeout}s")
        return self.proc.returncode

    def log(self):
        return self.log_path.read_text(errors="replace")


class Lab:
    def __init__(self, root, use_netns=True, **server_options):
        self.root = pathlib.Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.network = None
        self.partition_reason = netns.unavailable() if use_netns else "network namespaces not asked for"
        self.daemons = []
        self.smtp_servers = []
        self._smtp_port = 2525
        if self.partition_reason is None:
            self.network = netns.Network()
            self.db = self.network.add_host("db", 1)
            self.hosts = [self.network.add_host(f"h{i}", 10 + i) for i in (1, 2, 3)]
            self.certs = smtp_counter.certificates_for(self.root / "certs", self.db.address)
            self.pg = pg_server.PostgresServer(host=self.db.address, netns=self.db.ns, **server_options)
        else:
            self.db = LocalHost("db")
            self.hosts = [LocalHost(f"h{i}") for i in (1, 2, 3)]
            self.certs = None
            self.pg = pg_server.PostgresServer(**server_options)
        try:
            self.pg.init().start()
        except BaseException:
            self.destroy()
            raise

    @property
    def partitionable(self):
        return self.partition_reason is None

    def smtp(self, folder, delay=0.0):
        """A counting SMTP server on the database host (fresh port each time)."""
        if self.partitionable:
            self._smtp_port += 1
            port = self._smtp_port
        else:
            port = pg_server.free_port()
        server = smtp_counter.CountingSMTP(folder, host=self.db.address, port=port, delay=delay, certs=self.certs,
                                           argv_prefix=self.db.cmd([]))
        self.smtp_servers.append(server)
        return server

    def workspace(self, folder, database, smtp=None, interval="1s", stages=TWO_STAGES, sqlite=False, url_options="",
                  **sections):
        """A config folder whose ledger is `database` on the test server (a fresh one per test),
        or with `sqlite=True` a SQLite file in the folder (`ws.db_path`). `url_options`: libpq
        URI parameters (`keepalives_idle=1&...`) appended to the URL."""
        folder = pathlib.Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        ws = Workspace(folder)
        for name in ["courtesy", "friendly", "reminder-7", "reminder-30", "final-notice"]:
            (ws.templates / f"{name}.txt").write_text(MARKER_TEMPLATE)
        ws.database = database
        ws.url = self.pg.url(database) + (f"?{url_options}" if url_options else "")
        location = f'database = "{ws.db_path}"\n' if sqlite else \
            f'database = "{ws.url}"\npassword_file = "{self.pg.password_file}"\n'
        overrides = dict(
            daemon=f'interval = "{interval}"\ntimezone = "Europe/Berlin"\n{location}',
            delivery='retry = ["1s", "2s", "5s"]\ngive_up_after = "1h"\nmin_days_between = 3\n')
        if smtp is not None:
            overrides["smtp"] = smtp.smtp_section()
        overrides.update(sections)
        ws.write_config(stages=stages, **overrides)
        return ws

    def overdue(self, ws, *args, check=None, timeout=120, host=None, env=None, config=True):
        """`overdue ARGS --config CONFIG` run on the database host (or `host`); `config=False`
        leaves out --config (for commands that take none, as `ledger copy`)."""
        full_env = dict(os.environ)
        full_env.pop("OVERDUE_CONFIG", None)
        full_env.update(env or {})
        argv = (host or self.db).cmd([OVERDUE_BIN, *args, *(["--config", ws.config_path] if config else [])])
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=full_env, cwd=ws.dir)
        if check is not None:
            assert result.returncode == check, (
                f"overdue {' '.join(map(str, args))}: exit {result.returncode}, expected {check}\n"
                f"stdout: {result.stdout[-3000:]}\nstderr: {result.stderr[-3000:]}")
        return result

    def json_lines(self, ws, *args):
        out = self.overdue(ws, *args, check=0).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def status(self, ws, check=0):
        """`status --format json`; with check=None, {} while there is no ledger yet."""
        result = self.overdue(ws, "status", "--format", "json", check=check)
        return json.loads(result.stdout) if result.returncode == 0 else {}

    def audit(self, ws, event=None):
        return self.json_lines(ws, "audit", "--format", "json", *(["--event", event] if event else []))

    def start_daemon(self, ws, host, log_level="notice", env=None):
        daemon = Daemon(self, ws, host, log_level, env)
        self.daemons.append(daemon)
        return daemon

    def stop_daemons(self):
        codes = []
        for daemon in self.daemons:
            if daemon.alive():
                daemon.proc.send_signal(signal.SIGTERM)
        for daemon in self.daemons:
            try:
                codes.append(daemon.proc.wait(timeout=30))
            except subprocess.TimeoutExpired:
                daemon.kill()
                codes.append(None)
        self.daemons = []
        return codes

    def destroy(self):
        for daemon in self.daemons:
            daemon.kill()
        self.daemons = []
        for server in self.smtp_servers:
            server.stop()
        self.smtp_servers = []
        try:
            self.pg.destroy()
        finally:
            if self.network:
                self.network.destroy()


def wait_for(predicate, timeout=60, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def binary_refuses_postgres(folder):
    """The reason the built binary's `config check` refuses a PostgreSQL `daemon.database`, or
    None; asked before a server is started, so an old binary skips at once."""
    folder = pathlib.Path(folder)
    ws = Workspace(folder)
    secret = folder / "pg-password"
    secret.write_text("x\n")
    secret.chmod(0o600)
    ws.write_config(daemon='timezone = "Europe/Berlin"\ndatabase = "postgresql://overdue@127.0.0.1:1/overdue"\n'
                           f'password_file = "{secret}"\n')
    result = subprocess.run([OVERDUE_BIN, "config", "check", "--config", ws.config_path], capture_output=True,
                            text=True, timeout=60)
    # A binary with the store checks the connection (refused here: port 1); one without it
    # refuses the key or takes the URL for a file name.
    tried_to_connect = "connect" in result.stderr
    if (result.returncode != 0 and not tried_to_connect) or "postgresql:/" in result.stdout.replace("postgresql://", ""):
        line = (result.stderr.strip() or result.stdout.strip()).splitlines()[0]
        return f"the built overdue does not take a PostgreSQL database yet (`overdue config check`: {line})"
    return None


def postgres_support(lab, folder):
    """None when the built overdue keeps a ledger on PostgreSQL, else the reason it does not
    (so the tests can merge before the store lands, and skip saying why)."""
    database = lab.pg.fresh_database("overdue_probe")
    ws = lab.workspace(folder, database)
    result = lab.overdue(ws, "init")
    tables = lab.pg.psql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
                         db=database)[0][0]
    if result.returncode != 0 or tables == "0":
        line = (result.stderr.strip().splitlines() or ["no error, but no tables were created"])[0]
        return f"the built overdue does not keep a ledger on PostgreSQL yet (`overdue init`: {line})"
    return None


def lab_for_tests(tmp_path_factory, name, **lab_options):
    """A pytest fixture's body: a `Lab` for a test module, skipping (with the reason) where the
    built overdue has no PostgreSQL store, destroyed when the module is done."""
    import pytest
    refused = binary_refuses_postgres(tmp_path_factory.mktemp("precheck"))
    if refused:
        pytest.skip(refused)
    made = Lab(tmp_path_factory.mktemp(name), **lab_options)
    try:
        reason = postgres_support(made, tmp_path_factory.mktemp("probe"))
        if reason:
            pytest.skip(reason)
        yield made
    finally:
        made.destroy()
