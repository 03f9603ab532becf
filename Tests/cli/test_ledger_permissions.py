"""The ledger holds client data: it, its -wal and its -shm are 0600 whatever the umask, and a
ledger made by root (the owner's `overdue import` before the service's first start) belongs to
the owner of its folder, the service's account, so the service can open it."""
import os
import signal
import stat
import subprocess

import pytest

from conftest import OVERDUE_BIN, invoice_row
from test_daemon_run import wait_for


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def run_with_umask(ws, umask, *args):
    return subprocess.run([OVERDUE_BIN, *map(str, args), "--config", str(ws.config_path)], capture_output=True, text=True,
                          preexec_fn=lambda: os.umask(umask), timeout=60)


def daemon_with_umask(ws, umask):
    env = {k: v for k, v in os.environ.items() if k not in ("OVERDUE_CONFIG", "NOTIFY_SOCKET")}
    return subprocess.Popen([OVERDUE_BIN, "run", "--config", str(ws.config_path)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env, preexec_fn=lambda: os.umask(umask))


def test_a_ledger_made_under_a_root_shells_umask_is_0600_not_0644(ws):
    result = run_with_umask(ws, 0o022, "import", ws.write_csv("a.csv", [invoice_row("INV-1")]))
    assert result.returncode == 0, result.stderr
    assert mode(ws.db_path) == 0o600


def test_wal_and_shm_take_the_ledgers_0600_while_the_daemon_runs(ws):
    assert run_with_umask(ws, 0o022, "init").returncode == 0
    daemon = daemon_with_umask(ws, 0o022)
    try:
        wal, shm = f"{ws.db_path}-wal", f"{ws.db_path}-shm"
        wait_for(lambda: os.path.exists(wal) and os.path.exists(shm), what="-wal and -shm")
        assert (mode(ws.db_path), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file away")
def test_root_makes_the_ledger_for_the_owner_of_its_folder_and_sqlite_gives_wal_and_shm_to_it(ws):
    folder = ws.dir / "state"
    folder.mkdir(mode=0o700)
    os.chown(folder, 65534, 65534)
    ws.db_path = folder / "overdue.sqlite"
    ws.write_config()
    result = run_with_umask(ws, 0o022, "import", ws.write_csv("a.csv", [invoice_row("INV-1")]))
    assert result.returncode == 0, result.stderr
    info = os.stat(ws.db_path)
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o600)
    daemon = daemon_with_umask(ws, 0o022)   # as root too: what a root shell's command does
    try:
        companions = [f"{ws.db_path}-wal", f"{ws.db_path}-shm"]
        wait_for(lambda: all(os.path.exists(p) for p in companions), what="-wal and -shm")
        for path in companions:
            info = os.stat(path)
            assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o600), path
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
