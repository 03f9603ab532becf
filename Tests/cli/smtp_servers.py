"""Real SMTP servers on 127.0.0.1 for the mail tests, started and stopped by the tests.

* `certificates(folder)`: a CA and a leaf certificate for 127.0.0.1/localhost, made with
  `openssl req -x509` at test time.
* `AiosmtpdServer`: aiosmtpd (Debian's python3-aiosmtpd, importable only from /usr/bin/python3,
  hence a subprocess running this very file) with STARTTLS required + AUTH PLAIN/LOGIN, or
  implicit TLS; every accepted message is written to a folder as `N.eml` (+ `N.json` envelope,
  `N.ehlo` the name the client greeted with).
* `AiosmtpdServer(mode="plain", fault=...)`: the same without TLS or AUTH, with a fault after the
  message's final dot: `drop-after-dot` (store the message, close without a reply), `late:S`
  (answer after S seconds), `slow-after:N:S` (the first N messages at once, then S seconds each).
* `SmtpSink`: Postfix's `smtp-sink` for fault injection (450/421/550 replies, dropped connections).
* `SilentServer`: accepts connections and never greets.

Run as a script (`/usr/bin/python3 smtp_servers.py --port P --mode starttls ...`) it is the
aiosmtpd server itself; imported, it only needs the standard library (pytest fixtures are
defined when pytest is importable).
"""
import argparse
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import threading
import time

USER = "billing@janedoe.example"
PASSWORD = "s3cret-pässword"
SYSTEM_PYTHON = "/usr/bin/python3"
SMTP_SINK = "/usr/sbin/smtp-sink"
SMTP_SOURCE = "/usr/sbin/smtp-source"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=10.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def certificates(folder):
    """CA + leaf (SAN 127.0.0.1, localhost) in `folder`; returns dict of paths."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {k: str(folder / f"{k}.pem") for k in ["ca", "ca_key", "cert", "key", "other_ca", "other_ca_key"]}
    quiet = dict(check=True, capture_output=True)
    for ca, key, cn in [("ca", "ca_key", "overdue test CA"), ("other_ca", "other_ca_key", "unrelated CA")]:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", f"/CN={cn}", "-keyout", paths[key], "-out", paths[ca],
                        "-addext", "basicConstraints=critical,CA:TRUE",
                        "-addext", "keyUsage=critical,keyCertSign,cRLSign"], **quiet)
    csr = str(folder / "leaf.csr")
    ext = folder / "leaf.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                   "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-keyout", paths["key"], "-out", csr], **quiet)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", paths["ca"], "-CAkey", paths["ca_key"],
                    "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", paths["cert"]], **quiet)
    return paths


class AiosmtpdServer:
    """aiosmtpd in a /usr/bin/python3 subprocess; `messages()` reads what it accepted."""

    def __init__(self, folder, certs, mode="starttls", user=USER, password=PASSWORD, fault=""):
        self.port = free_port()
        self.store = pathlib.Path(folder) / f"received-{self.port}"
        self.store.mkdir(parents=True)
        self.proc = subprocess.Popen(
            [SYSTEM_PYTHON, __file__, "--port", str(self.port), "--mode", mode, "--cert", certs["cert"],
             "--key", certs["key"], "--user", user, "--password", password, "--store", str(self.store),
             "--fault", fault],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for_port(self.port, proc=self.proc)

    def messages(self):
        """[(envelope dict, raw bytes)] in arrival order."""
        out = []
        for meta in sorted(self.store.glob("*.json"), key=lambda p: int(p.stem)):
            out.append((json.loads(meta.read_text()), meta.with_suffix(".eml").read_bytes()))
        return out

    def greetings(self):
        """The EHLO (or HELO) name the client gave in each accepted message's session, in arrival order."""
        return [path.read_text() for path in sorted(self.store.glob("*.ehlo"), key=lambda p: int(p.stem))]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class SmtpSink:
    """`smtp-sink -u nobody OPTIONS 127.0.0.1:PORT 64`: a fast sink with injectable faults."""

    def __init__(self, *options):
        self.port = free_port()
        self.proc = subprocess.Popen([SMTP_SINK, "-u", "nobody", *options, f"127.0.0.1:{self.port}", "64"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_for_port(self.port, proc=self.proc)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class SilentServer:
    """Accepts TCP connections and never says a word (a server that never greets)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def stop(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


def smtp_config(port, scheme="smtp", starttls="required", username=USER, password_file=None,
                password_env=None, ca_file=None, timeout="5s"):
    """The [smtp] section body for `ws.write_config(smtp=...)`."""
    lines = [f'url = "{scheme}://127.0.0.1:{port}"', f'starttls = "{starttls}"', f'timeout = "{timeout}"']
    if username:
        lines.append(f'username = "{username}"')
    if password_file:
        lines.append(f'password_file = "{password_file}"')
    if password_env:
        lines.append(f'password_env = "{password_env}"')
    if ca_file:
        lines.append(f'ca_file = "{ca_file}"')
    return "\n".join(lines) + "\n"


try:
    import pytest

    @pytest.fixture(scope="session")
    def certs(tmp_path_factory):
        return certificates(tmp_path_factory.mktemp("certs"))

    @pytest.fixture
    def password_file(tmp_path):
        path = tmp_path / "smtp-password"
        path.write_text(PASSWORD + "\n", encoding="utf-8")
        path.chmod(0o600)
        return path

    @pytest.fixture
    def servers(tmp_path, certs):
        """Factory: servers.aiosmtpd(mode), servers.sink(*options), servers.silent(); all stopped after the test."""
        started = []

        class Factory:
            def aiosmtpd(self, mode="starttls", **kw):
                server = AiosmtpdServer(tmp_path, certs, mode=mode, **kw)
                started.append(server)
                return server

            def faulty(self, fault):
                """Plain text on 127.0.0.1, no AUTH, misbehaving after the final dot as `fault` says."""
                return self.aiosmtpd("plain", fault=fault)

            def sink(self, *options):
                server = SmtpSink(*options)
                started.append(server)
                return server

            def silent(self):
                server = SilentServer()
                started.append(server)
                return server

        yield Factory()
        for server in started:
            server.stop()
except ImportError:  # running as the server under /usr/bin/python3, which has no pytest
    pass


def serve(args):
    """The aiosmtpd server process (STARTTLS required + AUTH, or implicit TLS + AUTH)."""
    import asyncio
    import ssl
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    store = pathlib.Path(args.store)
    counter = {"n": 0}

    fault = args.fault.split(":") if args.fault else [""]
    seen = {"n": 0}

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            seen["n"] += 1
            if fault[0] == "late":
                await asyncio.sleep(float(fault[1]))
            elif fault[0] == "slow-after" and seen["n"] > int(fault[1]):
                await asyncio.sleep(float(fault[2]))
            counter["n"] += 1
            n = counter["n"]
            (store / f"{n}.eml").write_bytes(envelope.original_content or envelope.content)
            (store / f"{n}.json").write_text(json.dumps({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                                                         "tls": args.mode == "implicit" or session.ssl is not None}))
            (store / f"{n}.ehlo").write_text(session.host_name or "")
            if fault[0] == "drop-after-dot":
                server.transport.abort()
                return "421 never seen: the connection is gone"
            return f"250 2.0.0 Ok: queued as TEST{n}"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == args.user
              and auth_data.password.decode("utf-8") == args.password)
        return AuthResult(success=ok, handled=False)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    common = dict(hostname="127.0.0.1", port=args.port, authenticator=authenticator, auth_required=True,
                  auth_exclude_mechanism=["CRAM-MD5"], decode_data=False)
    if args.mode == "plain":
        controller = Controller(Handler(), hostname="127.0.0.1", port=args.port, decode_data=False)
    elif args.mode == "starttls":
        controller = Controller(Handler(), tls_context=context, require_starttls=True, auth_require_tls=True, **common)
    else:
        controller = Controller(Handler(), ssl_context=context, auth_require_tls=False, **common)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    for name in ["port", "mode", "cert", "key", "user", "password", "store"]:
        parser.add_argument(f"--{name}", required=True, type=int if name == "port" else str)
    parser.add_argument("--fault", default="")
    serve(parser.parse_args())
