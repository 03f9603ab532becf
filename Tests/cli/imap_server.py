"""A real Dovecot IMAP server on 127.0.0.1 for the inbox tests, started and stopped by the tests.

`DovecotServer(folder, certs)` writes its own dovecot.conf in `folder` (nothing of /etc/dovecot
is read: `dovecot -F -c CONF`), a passwd-file user (`USER` / `PASSWORD`), a maildir under
`folder/mail`, TLS with the test CA's leaf certificate (smtp_servers.certificates), and listens on
two free ports of 127.0.0.1: `port` (IMAP, STARTTLS) and `tls_port` (implicit TLS). Messages are
fed by writing maildir files (`deliver`), as an MDA would; `flags()` reads back what the server
holds for each message (maildir info suffix), so a test can prove nothing was flagged.
"""
import itertools
import os
import pathlib
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

from smtp_servers import certificates, free_port, wait_for_port

DOVECOT = "/usr/sbin/dovecot"
USER = "billing@janedoe.example"
PASSWORD = "imap-s3cret"


class DovecotServer:
    def __init__(self, folder, certs):
        # Dovecot will not run a mail process as root, nor may its users enter root's 0700 test
        # folders: as root the server lives in a folder of its own under /tmp, as Debian's
        # `dovecot` user (whose uid then owns the maildir).
        self.owned = os.getuid() == 0
        self.uid, self.gid = (pwd.getpwnam("dovecot").pw_uid, pwd.getpwnam("dovecot").pw_gid) if self.owned \
            else (os.getuid(), os.getgid())
        self.folder = pathlib.Path(tempfile.mkdtemp(prefix="overdue-dovecot-")) if self.owned else pathlib.Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o755)
        self.port = free_port()
        self.tls_port = free_port()
        self.maildir = self.folder / "mail" / USER
        for sub in ["cur", "new", "tmp"]:
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        (self.folder / "home").mkdir(exist_ok=True)
        for path in [self.folder / "mail", self.maildir, self.folder / "home",
                     *(self.maildir / sub for sub in ["cur", "new", "tmp"])]:
            os.chown(path, self.uid, self.gid)
        me = pwd.getpwuid(os.getuid()).pw_name
        # Dovecot refuses to run its login processes as root; Debian's package made these users.
        login, internal = ("dovenull", "dovecot") if os.getuid() == 0 else (me, me)
        passwd = self.folder / "passwd"
        passwd.write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{self.uid}:{self.gid}::{self.folder}/home::\n")
        (self.folder / "run").mkdir(exist_ok=True)
        (self.folder / "state").mkdir(exist_ok=True)
        self.conf = self.folder / "dovecot.conf"
        self.conf.write_text(f"""
base_dir = {self.folder}/run
state_dir = {self.folder}/state
log_path = {self.folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{certs["cert"]}
ssl_key = <{certs["key"]}
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 0
mail_location = maildir:{self.folder}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={self.folder}/home
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
service auth {{
  user = {me}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
""")
        self.counter = itertools.count(1)
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(self.conf)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        wait_for_port(self.tls_port, proc=self.proc)
        wait_for_port(self.port, proc=self.proc)

    def url(self, tls=True, mailbox="INBOX"):
        return f"imaps://127.0.0.1:{self.tls_port}/{mailbox}" if tls else f"imap://127.0.0.1:{self.port}/{mailbox}"

    def deliver(self, raw: bytes):
        """Puts one message into INBOX/new as an MDA would (tmp, then rename); returns its file name."""
        name = f"{int(time.time())}.M{next(self.counter)}P{os.getpid()}.overdue-test"
        tmp = self.maildir / "tmp" / name
        tmp.write_bytes(raw)
        os.chown(tmp, self.uid, self.gid)
        os.rename(tmp, self.maildir / "new" / name)
        return name

    def flags(self):
        """{base name: info flags} for every message; a message still in new/ has no flags at all."""
        out = {}
        for sub in ["new", "cur"]:
            for path in (self.maildir / sub).iterdir():
                base, _, info = path.name.partition(":2,")
                out[base] = info
        return out

    def clear(self):
        """Removes every message (between tests sharing one server); UIDs keep counting up."""
        for sub in ["new", "cur"]:
            for path in (self.maildir / sub).iterdir():
                path.unlink()

    def log(self):
        path = self.folder / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.owned:
            shutil.rmtree(self.folder, ignore_errors=True)


if __name__ == "__main__":
    import sys
    import tempfile
    folder = tempfile.mkdtemp()
    server = DovecotServer(folder, certificates(pathlib.Path(folder) / "certs"))
    print(server.url(), server.url(tls=False), folder, flush=True)
    try:
        server.proc.wait() if len(sys.argv) > 1 else time.sleep(1)
    finally:
        print(server.log())
        server.stop()
        if len(sys.argv) == 1:
            shutil.rmtree(folder)
