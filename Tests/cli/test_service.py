"""Installing overdue as a systemd service: `make install`/`uninstall` and the unit's quality.

The unit must pass `systemd-analyze verify` with no output at all and rate an exposure of at
most 2.0 in `systemd-analyze security --offline=yes`. verify insists that ExecStart names an
existing executable, so the unit is checked as `make install` writes it into a temp prefix
(ExecStart rewritten to that prefix's bin/overdue).

The built debug binary is installed (BIN=...) rather than a release build, to keep the test fast.
"""
import os
import re
import shutil
import stat
import subprocess

import pytest

from conftest import OVERDUE_BIN, ROOT

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def make(*args):
    result = subprocess.run(["make", "-C", str(ROOT), "--no-print-directory", *args, f"BIN={OVERDUE_BIN}"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"make {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


def installed_files(dest, prefix="/usr"):
    root = f"{dest}{prefix}"
    return {
        "binary": f"{root}/bin/overdue",
        "unit": f"{root}/lib/systemd/system/overdue.service",
        "man": f"{root}/share/man/man1/overdue.1",
        "bash": f"{root}/share/bash-completion/completions/overdue",
        "zsh": f"{root}/share/zsh/site-functions/_overdue",
        "fish": f"{root}/share/fish/vendor_completions.d/overdue.fish",
    }


def shipped_config_files():
    templates = sorted(p.name for p in (ROOT / "config" / "templates").iterdir())
    return ["overdue.toml"] + [f"templates/{name}" for name in templates]


@pytest.fixture
def analyzable_unit(tmp_path):
    """The unit as installed with PREFIX and SYSCONFDIR in tmp_path, so its ExecStart exists."""
    if SYSTEMD_ANALYZE is None or subprocess.run([SYSTEMD_ANALYZE, "--version"], capture_output=True).returncode != 0:
        pytest.skip("systemd-analyze cannot run here (apt-get install systemd)")
    make("install", f"PREFIX={tmp_path}/usr", f"SYSCONFDIR={tmp_path}/etc")
    unit = tmp_path / "usr/lib/systemd/system/overdue.service"
    assert f"ExecStart={tmp_path}/usr/bin/overdue run --config {tmp_path}/etc/overdue/overdue.toml" in unit.read_text()
    return unit


def test_unit_passes_systemd_analyze_verify_silently(analyzable_unit):
    result = subprocess.run([SYSTEMD_ANALYZE, "verify", str(analyzable_unit)], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_unit_exposure_is_at_most_2(analyzable_unit):
    result = subprocess.run([SYSTEMD_ANALYZE, "security", "--offline=yes", "--no-pager", str(analyzable_unit)],
                            capture_output=True, text=True, timeout=60)
    match = re.search(r"Overall exposure level for overdue\.service: (\d+\.\d)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= 2.0, result.stdout


def test_unit_declares_the_service_contract():
    unit = (ROOT / "systemd" / "overdue.service").read_text()
    settings = dict(re.findall(r"^(\w+)=(.*)$", unit, flags=re.M))
    assert settings["Type"] == "notify"
    assert settings["ExecStart"] == "/usr/local/bin/overdue run --config /etc/overdue/overdue.toml"
    # A minimal Debian has no /bin/kill: the config is checked, then the shell's kill builtin signals.
    reloads = re.findall(r"^ExecReload=(.*)$", unit, flags=re.M)
    assert reloads == ["+/usr/bin/env -u CREDENTIALS_DIRECTORY /usr/local/bin/overdue config check --config /etc/overdue/overdue.toml",
                       "/bin/sh -c 'kill -HUP \"$MAINPID\"'"]
    assert settings["Restart"] == "on-failure"
    assert (settings["User"], settings["Group"]) == ("overdue", "overdue") and "DynamicUser" not in settings
    assert settings["ConditionPathExists"] == "/etc/overdue/smtp-password"
    assert settings["StateDirectory"] == "overdue"
    assert settings["ConfigurationDirectory"] == "overdue"
    assert settings["LoadCredential"] == "smtp-password:/etc/overdue/smtp-password"
    assert settings["CapabilityBoundingSet"] == ""
    assert "StartLimitBurst" in settings and "StartLimitIntervalSec" in settings
    # The shipped config names the credential: $CREDENTIALS_DIRECTORY/smtp-password in the service.
    assert 'password_file = "smtp-password"' in (ROOT / "config/overdue.toml").read_text()


def test_make_install_lays_out_every_file(tmp_path):
    dest = tmp_path / "dest"
    make("install", f"DESTDIR={dest}", "PREFIX=/usr")
    files = installed_files(dest)
    for name, path in files.items():
        assert os.path.isfile(path), f"{name}: {path} missing"
    assert os.stat(files["binary"]).st_mode & stat.S_IXOTH
    unit = open(files["unit"]).read()
    assert "ExecStart=/usr/bin/overdue run --config /etc/overdue/overdue.toml\n" in unit
    assert "overdue" in open(files["bash"]).read() and "#compdef overdue" in open(files["zsh"]).read()
    assert "complete -c 'overdue'" in open(files["fish"]).read()
    assert ".TH OVERDUE 1" in open(files["man"]).read()
    for name in shipped_config_files():
        installed = dest / "etc/overdue" / name
        assert installed.read_bytes() == (ROOT / "config" / name).read_bytes(), name
    assert (dest / "etc/overdue/overdue.toml").stat().st_mode & 0o777 == 0o644
    version = subprocess.run([files["binary"], "--help"], capture_output=True, text=True)
    assert version.returncode == 0 and "config" in version.stdout


def test_reinstall_never_overwrites_an_edited_config_or_template(tmp_path):
    dest = tmp_path / "dest"
    make("install", f"DESTDIR={dest}", "PREFIX=/usr")
    config = dest / "etc/overdue/overdue.toml"
    template = dest / "etc/overdue/templates/reminder.txt"
    config.write_text(config.read_text().replace("Jane Doe Design", "My Studio"))
    template.write_text("Edited by the owner.\n")
    (dest / "etc/overdue/templates/courtesy.html").unlink()

    result = make("install", f"DESTDIR={dest}", "PREFIX=/usr")
    assert "My Studio" in config.read_text()
    assert template.read_text() == "Edited by the owner.\n"
    assert f"kept {config}" in result.stdout
    restored = dest / "etc/overdue/templates/courtesy.html"
    assert restored.read_bytes() == (ROOT / "config/templates/courtesy.html").read_bytes(), "a missing file is installed"


def test_uninstall_removes_what_install_put_but_keeps_config(tmp_path):
    dest = tmp_path / "dest"
    make("install", f"DESTDIR={dest}", "PREFIX=/usr")
    make("uninstall", f"DESTDIR={dest}", "PREFIX=/usr")
    for name, path in installed_files(dest).items():
        assert not os.path.exists(path), f"{name}: {path} still there"
    for name in shipped_config_files():
        assert (dest / "etc/overdue" / name).is_file(), f"{name} must survive uninstall"


def test_default_prefix_is_usr_local(tmp_path):
    dest = tmp_path / "dest"
    make("install", f"DESTDIR={dest}")
    files = installed_files(dest, prefix="/usr/local")
    assert all(os.path.isfile(p) for p in files.values())
    assert "ExecStart=/usr/local/bin/overdue run" in open(files["unit"]).read()
