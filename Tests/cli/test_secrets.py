"""The spec's "Secrets": a relative password_file is a credential name, looked up in
$CREDENTIALS_DIRECTORY (inside the systemd service) else beside the config; a password file
that others may read is refused (78) without its content ever being printed."""
import pytest

from conftest import run_overdue
from test_config_shipped import local_copy


def _config_check(path, env=None):
    return run_overdue("config", "check", "--config", path, env=env)


def test_relative_password_file_is_read_beside_the_config_from_a_shell(tmp_path):
    path = local_copy(tmp_path)
    result = _config_check(path, env={"CREDENTIALS_DIRECTORY": ""})
    assert result.returncode == 0, result.stderr


def test_relative_password_file_is_read_from_the_credentials_directory_when_set(tmp_path):
    path = local_copy(tmp_path)
    (tmp_path / "smtp-password").unlink()
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    result = _config_check(path, env={"CREDENTIALS_DIRECTORY": str(credentials)})
    assert result.returncode == 78
    assert f"{credentials}/smtp-password" in result.stderr
    (credentials / "smtp-password").write_text("from-systemd\n")
    (credentials / "smtp-password").chmod(0o600)
    result = _config_check(path, env={"CREDENTIALS_DIRECTORY": str(credentials)})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_a_password_file_others_may_read_is_refused_and_not_shown(tmp_path, mode):
    path = local_copy(tmp_path)
    (tmp_path / "smtp-password").chmod(mode)
    result = _config_check(path, env={"CREDENTIALS_DIRECTORY": ""})
    assert result.returncode == 78
    assert f"{tmp_path}/smtp-password" in result.stderr and "chmod 600" in result.stderr
    assert "not-a-real-password" not in result.stderr + result.stdout


def test_version_is_printed():
    result = run_overdue("--version")
    assert result.returncode == 0
    assert result.stdout.strip().split(".")[0].isdigit() and result.stdout.count(".") == 2, result.stdout
