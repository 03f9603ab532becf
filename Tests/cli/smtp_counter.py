"""An SMTP server that counts what it accepted, for the several-daemons tests.

Run as a script under /usr/bin/python3 (the Python that has Debian's aiosmtpd), possibly inside
a network namespace, it listens on HOST:PORT; with `--cert/--key` it requires STARTTLS (a host
that is not loopback gets no clear-text SMTP from overdue). `--delay S` makes every message take
S seconds between the final dot and the reply, the slow server the throughput and crash tests
need; sessions are served concurrently, as a real MTA does. Every accepted message is appended
to a JSON-lines log (flushed and fsynced before the 250 reply, as an MTA commits before it
answers) with its Message-ID and the invoice and stage named by the template's marker line
(`OVERDUE-TEST invoice=... stage=...`, see test_daemon.MARKER_TEMPLATE).

Imported, `CountingSMTP` starts it (`argv_prefix` runs it on a namespace host) and
`received()` / `counts()` read the log; `certificates_for(folder, address)` makes a CA and a
leaf certificate for an IP address with openssl.
"""
import argparse
import collections
import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

SYSTEM_PYTHON = "/usr/bin/python3"


def certificates_for(folder, address):
    """CA + leaf certificate (SAN IP:address, 127.0.0.1, localhost) in folder; dict of paths."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {k: str(folder / f"{k}.pem") for k in ["ca", "ca_key", "cert", "key"]}
    quiet = dict(check=True, capture_output=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=overdue namespace test CA", "-keyout", paths["ca_key"], "-out", paths["ca"],
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign"], **quiet)
    csr = str(folder / "leaf.csr")
    ext = folder / "leaf.ext"
    ext.write_text(f"subjectAltName=IP:{address},IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                   "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={address}",
                    "-keyout", paths["key"], "-out", csr], **quiet)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", paths["ca"], "-CAkey", paths["ca_key"],
                    "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", paths["cert"]], **quiet)
    return paths


class CountingSMTP:
    def __init__(self, folder, host="127.0.0.1", port=2525, delay=0.0, certs=None, argv_prefix=()):
        self.folder = pathlib.Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.log = self.folder / "received.jsonl"
        self.host, self.port, self.delay, self.certs = host, port, delay, certs
        argv = [*argv_prefix, SYSTEM_PYTHON, __file__, "--host", host, "--port", str(port),
                "--delay", str(delay), "--log", str(self.log)]
        if certs:
            argv += ["--cert", certs["cert"], "--key", certs["key"]]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=open(self.folder / "server.err", "ab"),
                                     text=True)
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"SMTP server did not start: {(self.folder / 'server.err').read_text()}")

    def smtp_section(self, timeout="10s"):
        """The [smtp] section body for this server."""
        lines = [f'url = "smtp://{self.host}:{self.port}"', f'timeout = "{timeout}"']
        if self.certs:
            lines += ['starttls = "required"', f'ca_file = "{self.certs["ca"]}"']
        else:
            lines.append('starttls = "none"')
        return "\n".join(lines) + "\n"

    def received(self):
        """Every accepted message, in arrival order: dicts with message_id, invoice, stage, to."""
        if not self.log.exists():
            return []
        out = []
        for line in self.log.read_text().splitlines():
            if line.endswith("}"):
                out.append(json.loads(line))
        return out

    def counts(self):
        """Counter of (invoice, stage) over every accepted message."""
        return collections.Counter((m["invoice"], m["stage"]) for m in self.received())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def serve(args):
    import asyncio
    import email
    import email.policy
    import ssl
    from aiosmtpd.controller import Controller

    log = open(args.log, "a", encoding="utf-8")
    lock = threading.Lock()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            if args.delay:
                await asyncio.sleep(args.delay)
            raw = envelope.original_content or envelope.content
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            marker = {}
            try:
                body = msg.get_body(preferencelist=("plain",)).get_content()
            except Exception:
                body = ""
            for text in body.splitlines():
                if text.startswith("OVERDUE-TEST "):
                    marker = dict(item.split("=", 1) for item in text.split()[1:] if "=" in item)
            record = {"message_id": str(msg["Message-ID"] or ""), "invoice": marker.get("invoice"),
                      "stage": marker.get("stage"), "subject": str(msg["Subject"] or ""),
                      "to": list(envelope.rcpt_tos), "peer": session.peer[0] if session.peer else "",
                      "at": time.time()}
            with lock:
                log.write(json.dumps(record) + "\n")
                log.flush()
                os.fsync(log.fileno())
            return "250 2.0.0 Ok: queued"

    kwargs = dict(hostname=args.host, port=args.port, decode_data=False)
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        kwargs.update(tls_context=context, require_starttls=True)
    controller = Controller(Handler(), **kwargs)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--log", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    serve(parser.parse_args())
    sys.exit(0)
