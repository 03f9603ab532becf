"""Several `overdue run` on several hosts sharing one ledger on a real PostgreSQL 15.

The hosts are network namespaces (pg_lab.Lab): PostgreSQL and a counting SMTP server on `db`,
daemons on `h1`..`h3`. Every received message is counted at the SMTP server by (invoice, stage)
from the template's marker line, never taken from the ledger's word, and compared with the
ledger (`status`, `audit`). Without namespaces the hosts fall back to 127.0.0.1 and the link cut
test skips with the reason; without PostgreSQL support in the built binary every test skips.

OVERDUE_PG_KILLS lowers the number of SIGKILLs for local iteration (default and CI: 20);
OVERDUE_PG_HOSTS=loopback runs everything on 127.0.0.1 even where namespaces work.
"""
import collections
import itertools
import json
import os
import pathlib
import random
import sys
import time
from datetime import date, timedelta

import pytest

from conftest import DEFAULT_STAGES, invoice_row
from pg_lab import lab_for_tests, wait_for
from test_daemon import generated_ledger, rng_step

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Benchmarks"))
import ledger_bench  # noqa: E402  (its data generation, shared with the benchmark)

KILLS = int(os.environ.get("OVERDUE_PG_KILLS", "20"))
SLOW = 0.1   # seconds per message at the slow SMTP server
DATABASES = itertools.count(1)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    yield from lab_for_tests(tmp_path_factory, "pglab", use_netns=os.environ.get("OVERDUE_PG_HOSTS") != "loopback")


@pytest.fixture
def fresh(lab, request):
    """A fresh database per test; daemons still running after the test are killed."""
    name = f"t{next(DATABASES)}_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:40]
    database = lab.pg.fresh_database(name)
    yield database
    for daemon in lab.daemons:
        daemon.kill()
    lab.daemons = []
    for host in lab.hosts:
        if not getattr(host, "link_up", True):
            host.restore()
    if not lab.pg.running():
        lab.pg.start()


def due_invoices(lab, ws, count, days_overdue=10):
    """`count` invoices each due for exactly one reminder (reminder-7) by the real clock."""
    due = (date.today() - timedelta(days=days_overdue)).isoformat()
    rows = [invoice_row(f"INV-{i:05d}", client=f"c{i % 50}", due=due) for i in range(count)]
    lab.overdue(ws, "import", ws.write_csv("many.csv", rows), check=0, timeout=300)
    return {(row["number"], "reminder-7") for row in rows}


def drained(lab, ws, smtp, expected):
    """True when every expected reminder was received or is ambiguous and nothing waits."""
    report = lab.status(ws)
    ambiguous = {(d["invoice"], d["stage"]) for d in report["deliveries"]["ambiguous"]}
    waiting = report["pending"] + report["retrying"]
    return waiting == 0 and not (expected - set(smtp.counts()) - ambiguous)


def wait_drained(lab, ws, smtp, expected, timeout=180, what="the rest to go out"):
    """Waits for `drained`; on timeout says what was left, in the ledger's own words."""
    try:
        wait_for(lambda: drained(lab, ws, smtp, expected), timeout=timeout, interval=0.5, what=what)
    except AssertionError as timeout_error:
        states = lab.pg.psql("SELECT state, coalesce(sending_daemon, ''), count(*) FROM dispatches "
                             "WHERE state NOT IN ('sent') GROUP BY 1, 2", db=ws.database)
        daemons = lab.pg.psql("SELECT id, stopped IS NULL FROM daemons", db=ws.database)
        raise AssertionError(f"{timeout_error}: received {len(smtp.counts())} of {len(expected)}; "
                             f"dispatches not sent {states}; daemons {daemons}") from None


def check_once_and_nothing_lost(lab, ws, smtp, expected):
    """Nothing received twice, nothing lost silently, every ambiguous one shown and audited,
    and in the ledger's own table every dispatch ended sent or ambiguous."""
    counts = smtp.counts()
    duplicates = sorted(key for key, n in counts.items() if n > 1)
    assert duplicates == [], f"received more than once: {duplicates[:10]}"
    assert set(counts) <= expected, f"unexpected messages: {sorted(set(counts) - expected)[:10]}"
    report = lab.status(ws)
    ambiguous = {(d["invoice"], d["stage"]) for d in report["deliveries"]["ambiguous"]}
    lost = expected - set(counts) - ambiguous
    assert lost == set(), f"neither delivered nor reported ambiguous: {sorted(lost)[:10]}"
    assert report["pending"] == 0 and report["retrying"] == 0 and report["failed"] == 0, report
    sent = {(e["invoice"], e["stage"]) for e in lab.audit(ws, "reminder.sent")}
    # What the ledger calls sent was received; what was received is sent or ambiguous.
    assert sent <= set(counts), f"recorded sent but never received: {sorted(sent - set(counts))[:10]}"
    assert set(counts) <= sent | ambiguous
    audited = {(e["invoice"], e["stage"]) for e in lab.audit(ws, "reminder.ambiguous")}
    assert ambiguous <= audited, f"ambiguous but not audited: {sorted(ambiguous - audited)[:10]}"
    # An ambiguous dispatch may be settled later by the late reply of the daemon that sent it
    # (a host cut off mid-send, whose server's 250 arrives once the link is back): then it was
    # received once and its last word in the audit trail is reminder.sent.
    late = audited - ambiguous
    if late:
        trail = [e for e in lab.audit(ws) if e["event"].startswith("reminder.")]
        for key in late:
            last = [e["event"] for e in trail if (e["invoice"], e["stage"]) == key][-1]
            assert last == "reminder.sent" and counts[key] == 1, f"{key}: ambiguous, then {last}"
    assert lab.overdue(ws, "audit", "verify").returncode == 0
    states = dict(lab.pg.psql("SELECT state, count(*) FROM dispatches GROUP BY state", db=ws.database))
    assert set(states) <= {"sent", "ambiguous"}, f"dispatches left in other states: {states}"
    assert int(states.get("ambiguous", 0)) == len(ambiguous)
    return counts, ambiguous


def sending_daemons(lab, database):
    """{daemon id: dispatches it marked sending} from the ledger's own table."""
    rows = lab.pg.psql("SELECT coalesce(sending_daemon, ''), count(*) FROM dispatches GROUP BY 1", db=database)
    return {row[0]: int(row[1]) for row in rows}


def test_three_daemons_on_three_hosts_send_every_reminder_exactly_once_and_share_the_work(lab, fresh, tmp_path):
    smtp = lab.smtp(tmp_path / "smtp", delay=SLOW)
    ws = lab.workspace(tmp_path / "ws", fresh, smtp)
    expected = due_invoices(lab, ws, 120)
    started = time.monotonic()
    daemons = [lab.start_daemon(ws, host) for host in lab.hosts]
    wait_drained(lab, ws, smtp, expected, timeout=120, what="every reminder to go out")
    elapsed = time.monotonic() - started

    report = lab.status(ws)
    live = [d for d in report.get("daemons", []) if d.get("alive", True)]
    assert len(live) == 3, f"status lists the three live daemons: {report.get('daemons')}"
    assert len({d["id"] for d in live}) == 3
    assert {d["pid"] for d in live} == {d.pid for d in daemons}
    assert all(d["last_tick"] for d in live)

    assert all(d.alive() for d in daemons), [d.log()[-2000:] for d in daemons if not d.alive()]
    assert lab.stop_daemons() == [0, 0, 0]
    counts, ambiguous = check_once_and_nothing_lost(lab, ws, smtp, expected)
    assert ambiguous == set(), "no daemon died, so nothing is ambiguous"
    assert set(counts) == expected and all(n == 1 for n in counts.values())
    workers = {k: v for k, v in sending_daemons(lab, fresh).items() if k}
    assert len(workers) == 3 and min(workers.values()) >= len(expected) / 6, f"all three share the work: {workers}"
    if lab.partitionable:
        received = smtp.received()
        first, last = min(m["at"] for m in received), max(m["at"] for m in received)
        for host in lab.hosts:
            times = [m["at"] for m in received if m["peer"] == host.address]
            # Side by side, not one after the other: each host sent through most of the run.
            assert times and max(times) - min(times) >= 0.6 * (last - first), f"{host.name} sent only briefly"
    print(f"120 messages in {elapsed:.1f}s by {sorted(workers.values())}")


def test_sigkill_of_a_random_daemon_mid_batch_20_times_loses_nothing_silently_and_sends_nothing_twice(
        lab, fresh, tmp_path):
    smtp = lab.smtp(tmp_path / "smtp", delay=SLOW)
    ws = lab.workspace(tmp_path / "ws", fresh, smtp)
    expected = due_invoices(lab, ws, 400)
    rng = random.Random(14)
    running = {host.name: lab.start_daemon(ws, host) for host in lab.hosts}
    wait_for(lambda: smtp.counts(), timeout=60, what="the first message")
    kills = mid_batch = 0
    while kills < KILLS:
        time.sleep(rng.uniform(0.2, 0.8))
        host = rng.choice(lab.hosts)
        victim = running[host.name]
        victim.kill()
        kills += 1
        # Its claims stay `sending` under its id until a survivor settles them: right after the
        # kill they tell whether it died holding a batch.
        held = lab.pg.psql("SELECT count(*) FROM dispatches WHERE state IN ('sending', 'ambiguous') "
                           f"AND sending_daemon LIKE '%:{victim.pid}:%'", db=fresh)[0][0]
        mid_batch += int(held) > 0
        running[host.name] = lab.start_daemon(ws, host)
    received_during_kills = len(smtp.received())
    wait_drained(lab, ws, smtp, expected)
    assert all(d.alive() for d in running.values())
    lab.stop_daemons()
    counts, ambiguous = check_once_and_nothing_lost(lab, ws, smtp, expected)
    assert len(counts) >= len(expected) - 5 * KILLS, "most reminders should have been delivered"
    assert received_during_kills < len(expected), "the kills landed while there was still work"
    assert mid_batch >= KILLS // 2, f"only {mid_batch} of {kills} kills landed while the daemon held a batch"
    print(f"kills={kills} mid-batch={mid_batch} delivered={len(counts)} ambiguous={len(ambiguous)}")


@pytest.mark.parametrize("how", ["restart-fast", "crash"])
def test_a_postgresql_restart_mid_tick_is_survived_and_nothing_is_sent_twice(lab, fresh, tmp_path, how):
    smtp = lab.smtp(tmp_path / "smtp", delay=SLOW)
    ws = lab.workspace(tmp_path / "ws", fresh, smtp)
    expected = due_invoices(lab, ws, 240)
    daemons = [lab.start_daemon(ws, host) for host in lab.hosts]
    wait_for(lambda: len(smtp.received()) >= 40, timeout=60, what="sending to be under way")
    if how == "restart-fast":
        lab.pg.restart("fast")
    else:
        lab.pg.kill()
        lab.pg.start()
    at_restart = len(smtp.received())
    wait_for(lambda: len(smtp.received()) >= at_restart + 40 or not all(d.alive() for d in daemons), timeout=60,
             what="the daemons to go on sending after the restart")
    assert all(d.alive() for d in daemons), "the daemons survive the database restart: " + " | ".join(
        d.log()[-1500:] for d in daemons if not d.alive())
    wait_drained(lab, ws, smtp, expected)
    assert lab.stop_daemons() == [0, 0, 0]
    # What libpq hears from the server going down ("FATAL: terminating connection ...") is
    # logged like everything else, with its priority prefix, never written raw.
    for daemon in daemons:
        raw = [line for line in daemon.log().splitlines() if line and not line[:1] == "<"]
        assert raw == [], f"log lines without a priority prefix: {raw[:3]}"
    counts, ambiguous = check_once_and_nothing_lost(lab, ws, smtp, expected)
    print(f"{how}: delivered={len(counts)} ambiguous={len(ambiguous)}")


def test_cutting_one_hosts_link_mid_send_makes_its_batch_ambiguous_and_the_others_finish(lab, fresh, tmp_path):
    if not lab.partitionable:
        pytest.skip(f"no separate hosts to cut off: {lab.partition_reason}")
    smtp = lab.smtp(tmp_path / "smtp", delay=SLOW)
    # overdue sets each session's server-side keepalive from the client's (libpq defaults: about
    # 30 s); the URL tightens it so the server drops a silent host's session after 1 + 3 x 1 s.
    ws = lab.workspace(tmp_path / "ws", fresh, smtp,
                       url_options="keepalives_idle=1&keepalives_interval=1&keepalives_count=3&tcp_user_timeout=3000")
    expected = due_invoices(lab, ws, 240)
    daemons = {host.name: lab.start_daemon(ws, host) for host in lab.hosts}
    victim = lab.hosts[1]
    wait_for(lambda: sum(m["peer"] == victim.address for m in smtp.received()) >= 5, timeout=60,
             what=f"{victim.name} to be sending")
    victim_id = lab.pg.psql(f"SELECT id FROM daemons WHERE pid = {daemons['h2'].pid} AND stopped IS NULL",
                            db=fresh)[0][0]

    def claimed_by_victim():
        rows = lab.pg.psql("SELECT invoice, stage FROM dispatches WHERE state = 'sending' AND sending_daemon = "
                           f"'{victim_id}'", db=fresh)
        return {(invoice, stage) for invoice, stage in rows}

    # Cut while it holds a claimed batch: once cut it can change nothing, so what is `sending`
    # under its id right after the cut is its batch. Between batches, let it back and try again.
    batch = set()
    for _attempt in range(20):
        victim.cut()
        cut_at = time.monotonic()
        batch = claimed_by_victim()
        if batch:
            break
        victim.restore()
        time.sleep(0.13)
    assert batch, "the cut host never held a claimed batch"
    from_victim_at_cut = {(m["invoice"], m["stage"]) for m in smtp.received() if m["peer"] == victim.address}

    # Its session is dropped by the server's keepalive (about 4 s), its advisory lock is then
    # free, and a surviving daemon turns its claimed batch ambiguous when it next settles the
    # dead daemons' claims: before its next batch claim, not after the queue it is working on.
    gone = wait_for(lambda: victim.address not in {row[2] for row in lab.pg.sessions(fresh)}, timeout=60,
                    what="the server to drop the cut host's session")
    dropped = time.monotonic() - cut_at
    wait_for(lambda: batch <= {(d["invoice"], d["stage"]) for d in lab.status(ws)["deliveries"]["ambiguous"]},
             timeout=180, interval=0.5, what="the cut host's batch to become ambiguous")
    noticed = time.monotonic() - cut_at
    still_queued = int(lab.pg.psql("SELECT count(*) FROM dispatches WHERE state IN ('queued', 'retrying', 'released')",
                                   db=fresh)[0][0])
    assert still_queued > 0, f"the cut host's batch became ambiguous only once the queue was drained ({noticed:.1f}s)"
    wait_drained(lab, ws, smtp, expected, what="the other daemons to send the rest")
    finished = time.monotonic() - cut_at
    assert daemons["h1"].alive() and daemons["h3"].alive()
    after_cut = [m for m in smtp.received() if m["peer"] == victim.address
                 and (m["invoice"], m["stage"]) not in from_victim_at_cut]
    assert len(after_cut) <= 1, "at most the message on the wire at the cut arrives from the cut host"

    # The host comes back: its daemon must not send what is now ambiguous, nor anything twice.
    victim.restore()
    time.sleep(8)
    lab.stop_daemons()
    counts, ambiguous = check_once_and_nothing_lost(lab, ws, smtp, expected)
    settled_late = batch - ambiguous
    assert all(counts[key] == 1 for key in settled_late), "only a message the server had can be settled sent"
    others = {(m["invoice"], m["stage"]) for m in smtp.received() if m["peer"] != victim.address}
    assert not (ambiguous & others), "an ambiguous reminder was sent again by another daemon"
    assert gone and dropped < 10, f"the server dropped the cut host's session only after {dropped:.1f}s"
    print(f"session dropped after {dropped:.1f}s, batch ambiguous after {noticed:.1f}s ({still_queued} still queued), rest finished {finished:.1f}s after the cut, "
          f"ambiguous={len(ambiguous)}")


def test_three_daemons_starting_together_on_an_empty_database_migrate_it_once(lab, fresh, tmp_path):
    smtp = lab.smtp(tmp_path / "smtp")
    ws = lab.workspace(tmp_path / "ws", fresh, smtp)
    log_mark = lab.pg.log.stat().st_size
    daemons = [lab.start_daemon(ws, host) for host in lab.hosts]
    wait_for(lambda: len([d for d in lab.status(ws, check=None).get("daemons", []) if d.get("alive", True)]) == 3,
             timeout=60, what="three registered daemons")
    wait_for(lambda: len(lab.audit(ws, "tick.finished")) >= 3, timeout=60, what="a tick by each")
    assert all(d.alive() for d in daemons), [d.log()[-2000:] for d in daemons if not d.alive()]
    with open(lab.pg.log, errors="replace") as f:
        f.seek(log_mark)
        server_log = [line for line in f if f"overdue@{fresh} " in line]
    races = [line for line in server_log if "ERROR" in line and
             ("already exists" in line or "duplicate key" in line)]
    assert races == [], "migrations raced: " + "".join(races[:5])
    assert lab.stop_daemons() == [0, 0, 0]
    assert lab.pg.psql("SELECT count(*) FROM overdue_schema", db=fresh) == [["1"]]
    assert len(lab.audit(ws, "daemon.started")) == 3
    assert lab.overdue(ws, "audit", "verify").returncode == 0
    # A second `init` finds the ledger there.
    assert lab.overdue(ws, "init").returncode == 73


# -- the same ledger on SQLite and on PostgreSQL ------------------------------------------

FEE_STAGES = DEFAULT_STAGES.replace('cc = ["owner"]', 'cc = ["owner"]\nfee = ["40.00 EUR", "5.00 USD"]')
WINDOW = 'days = ["mon", "tue", "wed", "thu", "fri"]\nstart = "09:00"\nend = "17:00"\nholidays = ["2026-02-16"]\n'


def generated(seed, count=60):
    def make(lab, ws):
        generated_ledger(_Runner(lab, ws), count, seed=seed)
    return make


def bench_shape(shape, rows=100):
    def make(lab, ws):
        path = ws.dir / f"{shape}.csv"
        ledger_bench.generate(path, rows, shape)
        lab.overdue(ws, "import", path, check=0)
    return make


class _Runner:
    """What test_daemon.generated_ledger needs of a workspace, run through the lab."""

    def __init__(self, lab, ws):
        self.lab, self.ws = lab, ws

    def run(self, *args, check=None):
        return self.lab.overdue(self.ws, *args, check=check)

    def write_csv(self, name, rows):
        return self.ws.write_csv(name, rows)


def plan_all(lab, ws, as_of):
    return lab.overdue(ws, "plan", "--all", "--format", "json", "--as-of", as_of, check=0).stdout


def history(lab, ws, days):
    """The same operations on either ledger: a few holds, payments, a block, then a tick each day."""
    lines = [json.loads(line) for line in plan_all(lab, ws, days[0]).splitlines()]
    for line in lines[3:6]:
        lab.overdue(ws, "invoice", "hold", line["invoice"], "--reason", "disputed", check=0)
    lab.overdue(ws, "client", "block", lines[0]["client"], "--reason", "fraud", check=0)
    payable = [line for line in lines[7:] if line["currency"] in ("EUR", "USD") and line.get("reason") != "closed"]
    for line in payable[:3]:
        lab.overdue(ws, "invoice", "pay", line["invoice"], "1.00", "--on", days[0][:10], check=0)
    for as_of in days:
        lab.overdue(ws, "tick", "--as-of", as_of, check=0)
        yield as_of


LEDGERS = {
    "generated-4": (generated(4), FEE_STAGES, {}),
    "generated-9-window": (generated(9, 80), DEFAULT_STAGES, {"send_window": WINDOW}),
    "late-5": (bench_shape("late-5"), DEFAULT_STAGES, {}),
    "paid-5": (bench_shape("paid-5"), FEE_STAGES, {}),
    "mixed-20": (bench_shape("mixed-20"), DEFAULT_STAGES, {}),
}


def tick_days(name):
    if name.startswith("generated"):
        day, out = date(2026, 1, 5), []
        while day <= date(2026, 5, 20):
            out.append(f"{day.isoformat()}T09:30:00Z")
            day += timedelta(days=rng_step(day) * 4)
        return out
    return [f"2026-{m:02d}-{d:02d}T10:00:00Z" for m, d in [(11, 2), (12, 1), (12, 31)]]


@pytest.mark.parametrize("name", list(LEDGERS))
def test_the_plan_on_postgresql_equals_the_plan_on_sqlite_for_the_same_ledger(lab, fresh, tmp_path, name):
    make, stages, sections = LEDGERS[name]
    on_pg = lab.workspace(tmp_path / "pg", fresh, stages=stages, **sections)
    on_sqlite = lab.workspace(tmp_path / "sqlite", fresh, stages=stages, sqlite=True, **sections)
    lab.overdue(on_sqlite, "init", check=0)
    days = tick_days(name)
    make(lab, on_pg)
    make(lab, on_sqlite)
    compared = 0
    for step_pg, step_sqlite in zip(history(lab, on_pg, days), history(lab, on_sqlite, days)):
        assert step_pg == step_sqlite
        for as_of in (step_pg, days[-1]):
            pg_plan, sqlite_plan = plan_all(lab, on_pg, as_of), plan_all(lab, on_sqlite, as_of)
            assert pg_plan == sqlite_plan, f"{name} at {as_of}: plans differ"
            compared += len(sqlite_plan.splitlines())
    assert compared > 0
    assert lab.overdue(on_pg, "audit", "verify").returncode == 0
    print(f"{name}: {compared} plan lines equal")


def test_ledger_copy_sqlite_to_postgresql_and_back_keeps_every_audit_hash(lab, fresh, tmp_path):
    sqlite_ws = lab.workspace(tmp_path / "sqlite", fresh, stages=FEE_STAGES, sqlite=True)
    lab.overdue(sqlite_ws, "init", check=0)
    generated(4)(lab, sqlite_ws)
    days = tick_days("generated-4")
    for _ in history(lab, sqlite_ws, days):
        pass
    original = lab.audit(sqlite_ws)
    assert any(e["event"] == "reminder.sent" for e in original)

    pg_ws = lab.workspace(tmp_path / "pg", fresh, stages=FEE_STAGES)
    env = lab.pg.client_env()
    lab.overdue(pg_ws, "ledger", "copy", sqlite_ws.db_path, pg_ws.url, check=0, env=env, config=False)
    assert lab.overdue(pg_ws, "audit", "verify").returncode == 0
    on_pg = lab.audit(pg_ws)
    assert [(e["seq"], e["hash"], e["prev"]) for e in on_pg] == [(e["seq"], e["hash"], e["prev"]) for e in original]
    assert on_pg == original

    back_ws = lab.workspace(tmp_path / "back", fresh, stages=FEE_STAGES, sqlite=True)
    lab.overdue(pg_ws, "ledger", "copy", pg_ws.url, back_ws.db_path, check=0, env=env, config=False)
    assert lab.overdue(back_ws, "audit", "verify").returncode == 0
    assert lab.audit(back_ws) == original
    for as_of in (days[-1], "2026-08-01T09:00:00Z"):
        expected = plan_all(lab, sqlite_ws, as_of)
        assert plan_all(lab, pg_ws, as_of) == expected
        assert plan_all(lab, back_ws, as_of) == expected
    for ws in (sqlite_ws, pg_ws, back_ws):
        ws.status = lab.status(ws)
        ws.status.pop("next_tick", None)
    assert pg_ws.status["deliveries"] == sqlite_ws.status["deliveries"] == back_ws.status["deliveries"]

    # A destination that is not empty is refused, and nothing is written into it.
    refused = lab.overdue(pg_ws, "ledger", "copy", sqlite_ws.db_path, pg_ws.url, env=env, config=False)
    assert refused.returncode == 73, refused.stderr
    assert lab.audit(pg_ws) == original
