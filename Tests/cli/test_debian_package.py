"""The Debian package on a bare Debian 12 under a real systemd 252, used as an admin would.

Builds the package (`make deb`: the release binary with its Swift runtime linked in), boots a
minimal Debian 12 root with `systemd-nspawn -b` (no Swift toolchain inside, no network), and
runs debian/scenario.sh there as a oneshot unit that powers the container off when it ends:
`apt install ./overdue.deb`, the README's configuration steps, `systemctl start`, a tick
delivering to Postfix's smtp-sink inside the container, reloads, the journal, the ledger's
owner and modes, `systemd-analyze security`, stop, remove and purge. The tests below check what
it recorded. The container boots once for the whole module.

The root comes from `debootstrap` (the packages overdue needs, and postfix for smtp-sink) and
is cached in /var/cache/overdue-tests (OVERDUE_TEST_CACHE), keyed by its package list; each
run boots an overlay of it, so the cached root is never changed.
"""
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
import uuid

import pytest

from conftest import ROOT

CACHE = os.environ.get("OVERDUE_TEST_CACHE", "/var/cache/overdue-tests")
MIRROR = "http://deb.debian.org/debian"
INCLUDE = ["systemd", "systemd-sysv", "libcurl4", "libsqlite3-0", "libpq5", "ca-certificates", "tzdata", "postfix"]
SCENARIO = ROOT / "Tests" / "cli" / "debian" / "scenario.sh"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(tool) for tool in ["debootstrap", "systemd-nspawn", "dpkg-deb"]),
    reason="needs root, debootstrap, systemd-container and dpkg-dev (scripts/setup.sh installs them)")


def base_root():
    """A debootstrapped Debian 12 root, made once and reused."""
    key = hashlib.sha256(f"bookworm minbase {','.join(INCLUDE)}".encode()).hexdigest()[:12]
    root = os.path.join(CACHE, f"bookworm-{key}")
    if os.path.exists(os.path.join(root, ".complete")):
        return root
    partial = root + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(CACHE, exist_ok=True)
    result = subprocess.run(["debootstrap", "--variant=minbase", f"--include={','.join(INCLUDE)}", "bookworm", partial, MIRROR],
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # smtp-sink is all the test wants of Postfix; its MTA would only slow the boot.
    subprocess.run(["systemctl", f"--root={partial}", "mask", "postfix.service"], check=True, capture_output=True)
    shutil.rmtree(root, ignore_errors=True)
    os.rename(partial, root)
    open(os.path.join(root, ".complete"), "w").close()
    return root


def build_deb():
    result = subprocess.run(["make", "-C", str(ROOT), "--no-print-directory", "deb"], capture_output=True, text=True, timeout=3600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    built = re.search(r"built (\S+\.deb)", result.stdout)
    assert built, result.stdout
    return ROOT / built.group(1)


def invoices_csv():
    today = datetime.date.today()
    day = lambda offset: (today + datetime.timedelta(days=offset)).isoformat()
    return ("number,client_id,client_name,client_email,issue_date,due_date,amount,currency\n"
            f"INV-1,acme,Acme GmbH,ap@acme.example,{day(-40)},{day(-10)},1200.00,EUR\n"
            f"INV-2,tanaka,Tanaka Shoji,keiri@tanaka.example,{day(-65)},{day(-35)},180000,JPY\n")


class Recorded:
    def __init__(self, folder, seconds):
        self.folder = folder
        self.seconds = seconds

    def out(self, step):
        with open(os.path.join(self.folder, f"{step}.out"), encoding="utf-8", errors="replace") as f:
            return f.read()

    def rc(self, step):
        with open(os.path.join(self.folder, f"{step}.rc")) as f:
            return int(f.read())

    def file(self, name):
        path = os.path.join(self.folder, name)
        if not os.path.exists(path):
            return ""
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()


@pytest.fixture(scope="module")
def deb():
    return build_deb()


def test_lintian_reports_no_errors(deb):
    if shutil.which("lintian") is None:
        pytest.skip("lintian is not installed (scripts/setup.sh installs it)")
    result = subprocess.run(["lintian", "--tag-display-limit", "0", str(deb)], capture_output=True, text=True, timeout=600)
    errors = [line for line in result.stdout.splitlines() if line.startswith("E:")]
    assert not errors, result.stdout


@pytest.fixture(scope="module")
def container(deb, tmp_path_factory):
    lower = base_root()
    work = tmp_path_factory.mktemp("container")
    upper, scratch, merged = work / "upper", work / "work", work / "root"
    for folder in (upper, scratch, merged):
        folder.mkdir()
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", f"lowerdir={lower},upperdir={upper},workdir={scratch}", str(merged)],
                   check=True)
    try:
        shutil.copy(deb, merged / "root" / "overdue.deb")
        shutil.copy(SCENARIO, merged / "root" / "scenario.sh")
        (merged / "root" / "invoices.csv").write_text(invoices_csv())
        (merged / "etc" / "machine-id").unlink(missing_ok=True)
        (merged / "etc/systemd/system/overdue-scenario.service").write_text(
            "[Unit]\nDescription=overdue package scenario\nAfter=multi-user.target\n"
            "SuccessAction=poweroff-force\nFailureAction=poweroff-force\n"
            "[Service]\nType=oneshot\nExecStart=/bin/bash /root/scenario.sh\nTimeoutStartSec=300\n")
        wants = merged / "etc/systemd/system/multi-user.target.wants"
        wants.mkdir(exist_ok=True)
        (wants / "overdue-scenario.service").symlink_to("/etc/systemd/system/overdue-scenario.service")
        started = time.monotonic()
        boot = subprocess.run(["systemd-nspawn", "--quiet", "-D", str(merged), "--boot", "--register=no", "--keep-unit",
                               "--console=pipe", "--private-network", f"--uuid={uuid.uuid4()}"],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=420)
        seconds = time.monotonic() - started
        results = work / "results"
        shutil.copytree(merged / "root" / "results", results)
    finally:
        subprocess.run(["umount", str(merged)], check=False)
    assert (results / "finished").exists(), f"the scenario did not finish:\n{(results / 'scenario.log').read_text()[-4000:]}\n{boot.stdout[-2000:]}"
    scenario = float((results / "finished").read_text()) - float((results / "started").read_text())
    print(f"\ncontainer boot, scenario and power-off: {seconds:.1f} s (the scenario itself: {scenario:.1f} s)", flush=True)
    return Recorded(str(results), seconds)


def test_package_installs_enabled_but_does_not_start_before_it_is_configured(container):
    assert container.rc("install") == 0, container.out("install")
    assert container.out("is_enabled").strip() == "enabled"
    assert container.out("is_active_unconfigured").strip() == "inactive"
    assert container.out("condition").strip() == "no"
    assert "/etc/overdue/smtp-password" in container.out("install")


def test_binary_needs_only_debian_libraries_no_swift_toolchain(container):
    assert container.out("version").strip().endswith("0.2.0") or "0.2.0" in container.out("version")
    ldd = container.out("ldd")
    assert container.rc("ldd") == 0 and "not found" not in ldd, ldd
    assert "swift" not in ldd.lower() and "Foundation" not in ldd, ldd


def test_state_folder_belongs_to_the_service_account_before_the_first_start(container):
    assert container.out("state_folder").split() == ["/var/lib/overdue", "overdue", "overdue", "700"]


def test_import_as_root_before_the_first_start_creates_the_ledger_for_the_service(container):
    assert container.rc("config_check") == 0, container.out("config_check")
    assert container.rc("import") == 0, container.out("import")
    assert container.out("ledger_after_import").split() == ["/var/lib/overdue/overdue.sqlite", "overdue", "overdue", "600"]


def test_service_reaches_ready_and_a_tick_delivers_to_the_smtp_server(container):
    assert container.rc("start") == 0, container.out("start")
    assert container.out("is_active").strip() == "active"
    show = dict(line.split("=", 1) for line in container.out("show").splitlines() if "=" in line)
    assert (show["Type"], show["SubState"], show["User"]) == ("notify", "running", "overdue")
    mail = container.file("sink.mail")
    assert "Subject:" in mail and "ap@acme.example" in mail, container.file("scenario.log")[-3000:]


def test_ledger_wal_and_shm_are_the_services_and_0600_also_after_a_root_shell_payment(container):
    for step in ["ledger_running", "ledger_after_pay"]:
        lines = [line.split() for line in container.out(step).splitlines() if line.startswith("/var/lib/overdue/")]
        assert len(lines) == 3, container.out(step)
        for path, user, group, mode in lines:
            assert (user, group, mode) == ("overdue", "overdue", "600"), f"{step}: {path}"
    assert container.rc("pay") == 0, container.out("pay")


def test_a_negative_payment_is_explained_as_negative(container):
    assert container.rc("pay_negative") == 64
    assert "negative" in container.out("pay_negative")
    assert "Missing expected argument" not in container.out("pay_negative")


def test_reload_rereads_the_config_and_refuses_a_broken_one(container):
    assert container.rc("reload") == 0, container.out("reload")
    assert container.rc("reload_broken") != 0
    assert container.out("is_active_after_broken").strip() == "active"
    assert container.out("is_active_after_hup").strip() == "active"
    journal = container.file("journal.txt")
    assert "config reloaded" in journal and "config reload refused" in journal, journal[-3000:]


def test_journal_carries_the_daemons_priorities_and_only_its_own_lines(container):
    entries = [json.loads(line) for line in container.file("journal.json").splitlines() if line.strip()]
    daemon = [e for e in entries if e.get("SYSLOG_IDENTIFIER") == "overdue"]
    priority = lambda text: {e["PRIORITY"] for e in daemon if text in str(e.get("MESSAGE", ""))}
    assert priority("overdue started") == {"5"}
    assert priority("config reload refused") == {"3"}
    assert not [e for e in entries if "thread priority" in str(e.get("MESSAGE", ""))], "libdispatch noise in the journal"


def test_security_exposure_measured_inside_is_at_most_2(container):
    match = re.search(r"Overall exposure level for overdue\.service: (\d+\.\d)", container.out("security"))
    assert match, container.out("security")
    assert float(match.group(1)) <= 2.0, container.out("security")


def test_stop_is_clean(container):
    assert container.rc("stop") == 0
    show = dict(line.split("=", 1) for line in container.out("show_stopped").splitlines() if "=" in line)
    assert (show["ActiveState"], show["Result"], show["ExecMainStatus"]) == ("inactive", "success", "0")


def test_remove_keeps_config_and_ledger_and_purge_removes_the_config_and_names_the_ledger(container):
    assert container.rc("remove") == 0, container.out("remove")
    assert container.rc("after_remove") == 0, container.out("after_remove")
    assert container.rc("purge") == 0, container.out("purge")
    assert "/var/lib/overdue" in container.out("purge")
    assert container.rc("after_purge_config") != 0
    assert container.rc("after_purge_ledger") == 0
