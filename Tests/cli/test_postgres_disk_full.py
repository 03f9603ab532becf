"""A full disk under the PostgreSQL server while daemons send.

The cluster lives on a tmpfs of its own (`PostgresServer(disk_mb=...)`), WAL in 1 MiB segments so
a new one is needed soon. Mid-send the test fills that disk to the last byte. Whatever the server
then refuses (a commit, a new WAL segment, a checkpoint), the promise is the one of every other
fault: no reminder goes out twice, none is lost silently, the audit chain verifies, and once the
space is back the daemons finish the queue by themselves.
"""
import errno
import os
import subprocess
import time

import pytest

import pg_server
from pg_lab import lab_for_tests, wait_for
from test_postgres_daemons import check_once_and_nothing_lost, due_invoices, wait_drained

pytestmark = pytest.mark.skipif(pg_server.available() is not None or os.geteuid() != 0,
                                reason=pg_server.available() or "mounting a tmpfs needs root")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    try:
        yield from lab_for_tests(tmp_path_factory, "pgdisk", use_netns=False, disk_mb=160,
                                 initdb_args=["--wal-segsize=1"])
    except subprocess.CalledProcessError as error:
        pytest.skip(f"cannot mount a tmpfs for the server here: {error.stderr.decode(errors='replace').strip()}")


def fill(folder):
    """Writes a file in `folder` until the disk says ENOSPC; returns its path."""
    filler = folder / "filler"
    block = b"\0" * (1 << 20)
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(block)
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
    return filler


def test_a_full_disk_under_postgresql_mid_send_loses_nothing_and_sends_nothing_twice(lab, tmp_path):
    database = lab.pg.fresh_database("diskfull")
    smtp = lab.smtp(tmp_path / "smtp", delay=0.05)
    ws = lab.workspace(tmp_path / "ws", database, smtp)
    expected = due_invoices(lab, ws, 400)
    daemons = [lab.start_daemon(ws, host) for host in lab.hosts[:2]]
    try:
        wait_for(lambda: len(smtp.received()) >= 40, timeout=60, what="sending to be under way")
        filler = fill(lab.pg.disk)
        at_full = len(smtp.received())
        # The server refuses to write: the queue stops short of the end while the disk is full.
        wait_for(lambda: "No space left on device" in lab.pg.log.read_text(errors="replace"), timeout=60,
                 what="the server to report the full disk")
        # What was claimed before may still finish; after that nothing goes out that could not be
        # recorded first.
        time.sleep(3)
        stalled = len(smtp.received())
        time.sleep(5)
        assert len(smtp.received()) == stalled, "reminders went out while the ledger could record nothing"
        assert stalled < len(expected)
        filler.unlink()
        if not lab.pg.running():
            lab.pg.start()
        wait_drained(lab, ws, smtp, expected, timeout=240, what="the rest to go out once the disk has room")
        assert all(d.alive() for d in daemons), " | ".join(d.log()[-1500:] for d in daemons if not d.alive())
        assert lab.stop_daemons() == [0, 0]
        counts, ambiguous = check_once_and_nothing_lost(lab, ws, smtp, expected)
        print(f"disk full after {at_full} received, {stalled} when the server refused; "
              f"delivered={len(counts)} ambiguous={len(ambiguous)}")
    finally:
        lab.stop_daemons()
