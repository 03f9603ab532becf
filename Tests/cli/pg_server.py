"""A real PostgreSQL 15 (Debian's) for the end-to-end tests, started and torn down by them.

`PostgresServer` makes a cluster with `initdb` in a fresh folder under /tmp (owned by the
unprivileged `postgres` system user: the server refuses to run as root), listening on a free
port on one address (127.0.0.1, or an address inside a network namespace) and on a Unix socket
in that folder. Nothing of the machine's own cluster (/etc/postgresql, /var/lib/postgresql,
port 5432) is read or touched.

* fsync, full_page_writes and synchronous_commit stay on: durability is what the tests test.
* Role `overdue` (not a superuser) logs in over TCP with scram-sha-256 only; its password is in
  `password_file` (0600, the spec's secret rules) and in a libpq `pgpass` file (`PGPASSFILE`).
  The test itself administers the cluster as `postgres` over the Unix socket (trust), which
  works from any network namespace because a Unix socket is a file.
* Dead clients are dropped within seconds, so a daemon whose host vanished releases its
  session-level advisory lock quickly: TCP keepalive after 1 s idle, then a probe a second,
  dropped after 3 unanswered (`tcp_keepalives_*`), unacknowledged data given up after 3 s
  (`tcp_user_timeout`), and a running query checks its client every second
  (`client_connection_check_interval`). Bound: about 1 + 3 x 1 = 4 s for an idle session,
  3 s for a session with data in flight. (overdue sets each session's server-side keepalive
  from its libpq keepalive options, so a test that needs this bound passes them in the URL.)
* `fresh_database()` gives each test its own database (owned by `overdue`) in the one cluster a
  test module shares; `restart()` is `pg_ctl restart -m fast`; `kill()` SIGKILLs the postmaster
  and every backend (a crash: the next `start()` runs crash recovery).
"""
import os
import pathlib
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PG_BIN = pathlib.Path("/usr/lib/postgresql/15/bin")
PG_USER = "postgres"            # Debian's unprivileged system user for the server
ROLE = "overdue"
# A password with characters that must never be pasted into a URL or conninfo unquoted.
PASSWORD = "Pg-s3cret@overdue/1"

KEEPALIVE_SETTINGS = {
    "tcp_keepalives_idle": "1",
    "tcp_keepalives_interval": "1",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "3000",
    "client_connection_check_interval": "1000",
}


def available():
    """None when a test server can be started here, else the reason it cannot."""
    if not (PG_BIN / "postgres").exists():
        return f"PostgreSQL 15 is not installed ({PG_BIN}/postgres missing; run scripts/setup.sh)"
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        return f"no unprivileged '{PG_USER}' system user to run the server as"
    if os.geteuid() != 0:
        # Without root the server runs as the current (unprivileged) user instead.
        return None
    return None


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder. `netns`: a network namespace name the
    server runs in (its address `host` is then an address of that namespace)."""

    def __init__(self, host="127.0.0.1", port=None, netns=None, settings=None, disk_mb=None, initdb_args=()):
        self.host = host
        self.port = port or free_port()
        self.netns = netns
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="overdue-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.log = self.root / "server.log"
        self.secrets = pathlib.Path(tempfile.mkdtemp(prefix="overdue-pg-secrets-"))
        self.password_file = self.secrets / "pg-password"
        self.pgpass = self.secrets / "pgpass"
        self.settings = dict(KEEPALIVE_SETTINGS, **(settings or {}))
        self._databases = 0
        self.as_root = os.geteuid() == 0
        if self.as_root:
            entry = pwd.getpwnam(PG_USER)
            self.uid, self.gid = entry.pw_uid, entry.pw_gid
            os.chown(self.root, self.uid, self.gid)
        self.sockets.mkdir()
        if self.as_root:
            os.chown(self.sockets, self.uid, self.gid)
        self.initdb_args = [str(a) for a in initdb_args]
        # `disk_mb`: the cluster lives on a tmpfs of that size of its own, a disk the test can fill.
        self.disk = None
        if disk_mb:
            self.data.mkdir(mode=0o700)
            owner = f",uid={self.uid},gid={self.gid}" if self.as_root else ""
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={disk_mb}m,mode=0700{owner}", "tmpfs", str(self.data)],
                           check=True, capture_output=True)
            self.disk = self.data

    # -- processes ---------------------------------------------------------------------

    def _server_cmd(self, *cmd):
        """cmd run as the server's user, inside the namespace when there is one."""
        prefix = []
        if self.netns:
            prefix += ["ip", "netns", "exec", self.netns]
        if self.as_root:
            prefix += ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups", "--"]
        return prefix + [str(c) for c in cmd]

    def _run(self, *cmd, check=True, timeout=120):
        result = subprocess.run(self._server_cmd(*cmd), capture_output=True, text=True, timeout=timeout,
                                cwd=self.root, env=dict(os.environ, LC_ALL="C.UTF-8"))
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n"
                               f"{self.log.read_text() if self.log.exists() else ''}")
        return result

    def init(self):
        superuser_pw = self.root / "initdb-pw"
        superuser_pw.write_text("unused-superuser-password\n")
        if self.as_root:
            os.chown(superuser_pw, self.uid, self.gid)
        superuser_pw.chmod(0o600)
        self._run(PG_BIN / "initdb", "-D", self.data, "-U", PG_USER, "--pwfile", superuser_pw,
                  "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
                  "--no-instructions", *self.initdb_args)
        superuser_pw.unlink()
        conf = {
            "listen_addresses": f"'{self.host}'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.sockets}'",
            "fsync": "on",
            "synchronous_commit": "on",
            "full_page_writes": "on",
            "password_encryption": "'scram-sha-256'",
            "max_connections": "60",
            "shared_buffers": "64MB",
            "log_connections": "on",
            "log_disconnections": "on",
            "log_line_prefix": "'%m [%p] %u@%d '",
            **self.settings,
        }
        with open(self.data / "postgresql.conf", "a") as f:
            f.write("\n# overdue tests\n")
            for key, value in conf.items():
                f.write(f"{key} = {value}\n")
        # TCP: only the overdue role, only with its password; the superuser only over the socket.
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\n"
            f"host all {ROLE} 0.0.0.0/0 scram-sha-256\n"
            "host all all 0.0.0.0/0 reject\n")
        self.password_file.write_text(PASSWORD + "\n")
        self.password_file.chmod(0o600)
        escaped = PASSWORD.replace("\\", "\\\\").replace(":", "\\:")
        self.pgpass.write_text(f"*:{self.port}:*:{ROLE}:{escaped}\n")
        self.pgpass.chmod(0o600)
        return self

    def start(self):
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "start")
        if not getattr(self, "_role_made", False):
            quoted = PASSWORD.replace("'", "''")
            self.psql(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{quoted}'", db="postgres")
            self._role_made = True
        return self

    def stop(self, mode="fast"):
        if self.running():
            self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop", check=False)

    def restart(self, mode="fast"):
        """`pg_ctl restart -m fast`: every session is cut, the server is back when this returns."""
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-m", mode, "-w", "-t", "60", "restart")

    def postmaster_pid(self):
        try:
            return int((self.data / "postmaster.pid").read_text().splitlines()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None

    def running(self):
        pid = self.postmaster_pid()
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False

    def kill(self):
        """SIGKILL the postmaster and all its children at once (a crash of the database host)."""
        pid = self.postmaster_pid()
        if pid is None:
            return
        children = []
        for entry in pathlib.Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == pid:
                    children.append(int(entry.name))
        for victim in [pid, *children]:
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(pathlib.Path(f"/proc/{p}").exists() for p in [pid, *children]):
            time.sleep(0.05)

    def destroy(self):
        try:
            if self.running():
                self.stop("immediate")
        finally:
            if self.disk:
                subprocess.run(["umount", "-l", str(self.disk)], capture_output=True)
            shutil.rmtree(self.root, ignore_errors=True)
            shutil.rmtree(self.secrets, ignore_errors=True)

    # -- administration ----------------------------------------------------------------

    def psql(self, sql, db=None, user=PG_USER, check=True):
        """Runs SQL as the superuser over the Unix socket; returns rows as lists of strings."""
        db = db or getattr(self, "database", "postgres")
        cmd = [PG_BIN / "psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
               "-h", self.sockets, "-p", self.port, "-U", user, "-d", db, "-c", sql]
        result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise RuntimeError(f"psql {sql!r} failed: {result.stderr}")
        return [line.split("\t") for line in result.stdout.splitlines() if line]

    def fresh_database(self, name=None):
        """A new empty database owned by the overdue role; returns its name."""
        self._databases += 1
        name = name or f"overdue_{self._databases}"
        self.psql(f"CREATE DATABASE {name} OWNER {ROLE}", db="postgres")
        return name

    def url(self, database, host=None):
        """The `daemon.database` URL for `database` (no password in it: that comes from a file)."""
        return f"postgresql://{ROLE}@{host or self.host}:{self.port}/{database}"

    def client_env(self):
        """Environment for a libpq client that finds the password the libpq way."""
        return {"PGPASSFILE": str(self.pgpass)}

    def sessions(self, database):
        """[(pid, application_name, client_addr, state)] of the overdue role's sessions in `database`."""
        return self.psql("SELECT pid, application_name, coalesce(host(client_addr), ''), coalesce(state, '') "
                         f"FROM pg_stat_activity WHERE usename = '{ROLE}' AND datname = '{database}'")


try:
    import pytest

    @pytest.fixture(scope="module")
    def pg_server():
        """One cluster on 127.0.0.1 per test module, torn down after it."""
        reason = available()
        if reason:
            pytest.skip(reason)
        server = PostgresServer().init().start()
        yield server
        server.destroy()
except ImportError:
    pass


def main(argv):
    """`python3 Tests/cli/pg_server.py CMD ARGS...`: runs CMD with a throwaway server and an empty
    database, OVERDUE_TEST_POSTGRES_URL and PGPASSFILE set (the Swift store tests' contract),
    then tears the server down and exits with CMD's status."""
    if not argv:
        print("usage: pg_server.py CMD [ARGS...]   (runs CMD with OVERDUE_TEST_POSTGRES_URL set)", file=sys.stderr)
        return 64
    reason = available()
    if reason:
        print(f"pg_server.py: {reason}", file=sys.stderr)
        return 69
    server = PostgresServer().init().start()
    try:
        database = server.fresh_database()
        env = dict(os.environ, OVERDUE_TEST_POSTGRES_URL=server.url(database),
                   OVERDUE_TEST_POSTGRES_PASSWORD_FILE=str(server.password_file), **server.client_env())
        print(f"pg_server.py: {server.url(database)} (PGPASSFILE={server.pgpass})", file=sys.stderr, flush=True)
        return subprocess.run(argv, env=env).returncode
    finally:
        server.destroy()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
