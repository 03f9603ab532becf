"""Proof of notice: `overdue evidence` packs an invoice's statement, the messages exactly as the
mail server accepted them, its audit entries and a signed manifest; `evidence verify` checks the
packet offline and names the file and reason of any edited byte. Real SMTP server on 127.0.0.1."""
import hashlib
import json
import os
import stat
import zipfile

from conftest import invoice_row, run_overdue
from smtp_servers import certs, password_file, servers, smtp_config  # noqa: F401

LADDER_TICKS = ["2026-02-26T10:00:00Z", "2026-03-01T10:00:00Z", "2026-03-08T10:00:00Z",
                "2026-03-31T10:00:00Z", "2026-04-30T10:00:00Z", "2026-06-01T10:00:00Z"]


def through_the_ladder(ws, server, password_file, certs):
    ws.write_config(smtp=smtp_config(server.port, password_file=password_file, ca_file=certs["ca"]))
    ws.run("import", ws.write_csv("invoices.csv", [invoice_row("INV-7", due="2026-03-01")]), check=0)
    for at in LADDER_TICKS:
        ws.run("tick", "--as-of", at, check=0)
    ws.run("invoice", "pay", "INV-7", "200.00", "--on", "2026-06-02", check=0)
    packet = ws.dir / "INV-7.zip"
    ws.run("evidence", "INV-7", "--out", packet, check=0)
    return packet


def entries(packet):
    with zipfile.ZipFile(packet) as z:
        return {name: z.read(name) for name in z.namelist()}


def rewrite(packet, target, edit):
    """A copy of the packet with `edit` applied to one file's bytes."""
    files = entries(packet)
    files[target] = edit(files[target])
    out = packet.with_name("tampered.zip")
    with zipfile.ZipFile(out, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out


def flip(data, at=None):
    at = len(data) // 2 if at is None else at
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def test_a_packet_holds_every_message_byte_for_byte_as_the_server_accepted_it_and_verifies_offline(
        ws, servers, certs, password_file):
    server = servers.aiosmtpd("starttls")
    packet = through_the_ladder(ws, server, password_file, certs)
    files = entries(packet)
    emls = sorted(name for name in files if name.startswith("messages/"))
    assert [name.split("-", 1)[1] for name in emls] == [
        "courtesy.eml", "friendly.eml", "reminder-7.eml", "reminder-30.eml", "final-notice.eml", "hand-off.eml"]
    accepted = [raw for _, raw in server.messages()]
    assert [files[name] for name in emls] == accepted

    # Each reminder.sent entry carries the SHA-256 of the exact bytes, and the packet's audit
    # file holds exactly the invoice's entries with their hashes.
    audit = [json.loads(line) for line in files["audit.jsonl"].decode().splitlines()]
    sent = [e for e in audit if e["event"] == "reminder.sent"]
    assert [e["details"]["sha256"] for e in sent] == [hashlib.sha256(raw).hexdigest() for raw in accepted]
    ledger_audit = [json.loads(line) for line in ws.run("audit", "--invoice", "INV-7", "--format", "json",
                                                         check=0).stdout.splitlines()]
    assert [e["hash"] for e in audit] == [e["hash"] for e in ledger_audit if e["event"] != "evidence.exported"]

    manifest = json.loads(files["manifest.json"])
    assert {f["name"]: f["sha256"] for f in manifest["files"]} == {
        name: hashlib.sha256(data).hexdigest() for name, data in files.items() if not name.startswith("manifest.")}
    statement = files["statement.html"].decode()
    assert "hand-off (decision notice to the owner, not to the client)" in statement
    for text in ["INV-7", "Acme Ltd", "Jane Doe Design", "200.00 EUR", "1000.00 EUR", *(e["details"]["message_id"].replace("<", "&lt;").replace(">", "&gt;") for e in sent)]:
        assert text in statement

    # The key: created beside the ledger, owner-only, printed by `evidence key`, named in the manifest.
    key_file = ws.db_path.parent / "evidence-signing-key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    public = ws.run("evidence", "key", check=0).stdout.strip()
    assert manifest["public_key"] == public

    # Offline: no config, no ledger.
    os.remove(ws.db_path)
    checked = run_overdue("evidence", "verify", packet, "--key", public)
    assert checked.returncode == 0, checked.stderr
    assert "OK" in checked.stdout and "6 messages" in checked.stdout


def test_the_export_is_audited(ws, servers, certs, password_file):
    server = servers.aiosmtpd("starttls")
    packet = through_the_ladder(ws, server, password_file, certs)
    exported = [json.loads(line) for line in ws.run("audit", "--event", "evidence.exported", "--format", "json",
                                                     check=0).stdout.splitlines()]
    assert len(exported) == 1 and exported[0]["invoice"] == "INV-7"
    assert exported[0]["details"]["manifest_sha256"] == hashlib.sha256(entries(packet)["manifest.json"]).hexdigest()


def test_an_edited_byte_in_any_file_of_the_packet_fails_verification_naming_the_file(ws, servers, certs, password_file):
    server = servers.aiosmtpd("starttls")
    packet = through_the_ladder(ws, server, password_file, certs)
    eml = sorted(name for name in entries(packet) if name.startswith("messages/"))[2]

    def in_body(data):
        return flip(data, data.index(b"\r\n\r\n") + 10)

    cases = {
        "statement.html": flip,
        eml: in_body,
        "audit.jsonl": lambda d: d.replace(b'"stage":"reminder-7"', b'"stage":"reminder-8"', 1),
        "manifest.json": lambda d: d.replace(b'"invoice":"INV-7"', b'"invoice":"INV-8"'),
        "manifest.sig": lambda d: flip(d, 5),
    }
    for target, edit in cases.items():
        tampered = rewrite(packet, target, edit)
        assert entries(tampered)[target] != entries(packet)[target]
        result = run_overdue("evidence", "verify", tampered)
        assert result.returncode == 65, (target, result.stdout, result.stderr)
        assert f"{target}:" in result.stderr or (target == "manifest.json" and "manifest.sig:" in result.stderr), (target, result.stderr)
    # The edited message also disagrees with the digest its audit entry recorded when it was sent.
    result = run_overdue("evidence", "verify", rewrite(packet, eml, in_body))
    assert "recorded when it was sent" in result.stderr

    # A file added to the packet, or one taken out, fails too.
    extra = packet.with_name("extra.zip")
    with zipfile.ZipFile(extra, "w") as z:
        for name, data in entries(packet).items():
            z.writestr(name, data)
        z.writestr("messages/99-forged.eml", b"Message-ID: <forged@x>\r\n\r\nhello\r\n")
    result = run_overdue("evidence", "verify", extra)
    assert result.returncode == 65 and "messages/99-forged.eml:" in result.stderr
    missing = packet.with_name("missing.zip")
    with zipfile.ZipFile(missing, "w") as z:
        for name, data in entries(packet).items():
            if name != eml:
                z.writestr(name, data)
    result = run_overdue("evidence", "verify", missing)
    assert result.returncode == 65 and f"{eml}: listed in the manifest but missing" in result.stderr


def test_a_packet_signed_by_another_key_fails_against_the_owners_key(ws, servers, certs, password_file, tmp_path):
    server = servers.aiosmtpd("starttls")
    packet = through_the_ladder(ws, server, password_file, certs)
    other = tmp_path / "other"
    other.mkdir()
    (other / "overdue.toml").write_text(ws.config_path.read_text().replace(str(ws.db_path), str(other / "overdue.sqlite")))
    other_key = run_overdue("evidence", "key", "--config", other / "overdue.toml").stdout.strip()
    assert other_key and other_key != ws.run("evidence", "key", check=0).stdout.strip()
    result = run_overdue("evidence", "verify", packet, "--key", other_key)
    assert result.returncode == 65 and "manifest.sig:" in result.stderr


def test_the_letter_before_action_goes_to_the_client_once_by_the_owners_decision_and_is_in_the_packet(
        ws, servers, certs, password_file):
    import email
    import email.policy
    import shutil
    from conftest import ROOT
    for name in ["demand.txt", "demand.html", "page-head.partial.html", "page-body.partial.html", "page-end.partial.html"]:
        shutil.copy(ROOT / "config" / "templates" / name, ws.templates / name)
    server = servers.aiosmtpd("starttls")
    through_the_ladder(ws, server, password_file, certs)
    ladder = server.messages()
    # The decision notice (to the owner) offers the demand and says the amount is within the limit.
    notice = email.message_from_bytes(ladder[-1][1])
    body = " ".join(next(p for p in notice.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode().split())
    assert "within your limit of 12500.00 EUR" in body and "overdue invoice demand INV-7 --send" in body

    preview = ws.run("invoice", "demand", "INV-7", "--preview", "--as-of", "2026-06-03T10:00:00Z", check=0).stdout
    assert "LETTER BEFORE ACTION" in preview and "within 30 days" in preview
    assert len(server.messages()) == len(ladder)
    assert ws.run("audit", "--event", "demand.sent", "--format", "json", check=0).stdout == ""

    sent = ws.run("invoice", "demand", "INV-7", "--send", "--as-of", "2026-06-03T10:00:00Z", check=0)
    assert "sent the letter before action" in sent.stdout
    envelope, raw = server.messages()[-1]
    assert envelope["rcpt_tos"] == ["ap@acme.example"]
    letter = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(letter["Subject"]).startswith("Letter before action: invoice INV-7")
    text = next(p for p in letter.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "1,000.00" in text and "3 June 2026" in text   # the balance after the 200.00 payment; the letter's date
    [entry] = [json.loads(line) for line in ws.run("audit", "--event", "demand.sent", "--format", "json", check=0).stdout.splitlines()]
    assert entry["invoice"] == "INV-7" and entry["details"]["sha256"] == hashlib.sha256(raw).hexdigest()
    assert entry["details"]["message_id"] == letter["Message-ID"]

    again = ws.run("invoice", "demand", "INV-7", "--send")
    assert again.returncode == 65 and "sent already" in again.stderr
    assert len(server.messages()) == len(ladder) + 1

    packet = ws.dir / "after-demand.zip"
    ws.run("evidence", "INV-7", "--out", packet, check=0)
    files = entries(packet)
    assert files["messages/07-demand.eml"] == raw
    assert "demand.sent" in files["audit.jsonl"].decode()
    assert "letter before action" in files["statement.html"].decode()
    assert run_overdue("evidence", "verify", packet).returncode == 0


def test_verify_refuses_what_is_not_a_packet_and_export_an_unknown_invoice(ws, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    result = run_overdue("evidence", "verify", junk)
    assert result.returncode == 65 and "not a zip archive" in result.stderr
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("statement.html", b"<p>hello</p>")
    result = run_overdue("evidence", "verify", empty)
    assert result.returncode == 65 and "manifest.json: missing" in result.stderr
    ws.run("import", ws.write_csv("invoices.csv", [invoice_row("INV-1")]), check=0)
    result = ws.run("evidence", "NOPE", "--out", tmp_path / "x.zip")
    assert result.returncode == 65 and "NOPE" in result.stderr and not (tmp_path / "x.zip").exists()
