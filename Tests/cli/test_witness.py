"""The audit witness: with `[audit] witness`, a tick mails the audit chain's head to the owner
once per interval and records `audit.witnessed` only after the server accepted it; the
evidence packet lists the witness that covers each entry and still verifies. Real SMTP servers
on 127.0.0.1; time is faked with --as-of."""
import datetime
import email
import hashlib
import json
import re
import sqlite3
import zipfile

from conftest import invoice_row, run_overdue
from smtp_servers import certs, password_file, servers, smtp_config  # noqa: F401


def plain(server):
    return smtp_config(server.port, starttls="none", username=None, timeout="2s")


def configure(ws, server, witness='"1d"'):
    ws.write_config(ws.config_text(smtp=plain(server)) + f"\n[audit]\nwitness = {witness}\n")


def witnessed(ws):
    out = ws.run("audit", "--event", "audit.witnessed", "--format", "json", check=0).stdout
    return [json.loads(line) for line in out.splitlines()]


def witness_mails(server):
    return [email.message_from_bytes(raw) for _, raw in server.messages()
            if b"overdue audit witness" in raw.split(b"\r\n\r\n", 1)[0]]


def test_a_tick_mails_the_chain_head_to_the_owner_once_per_interval(ws, servers):
    server = servers.faulty("")
    configure(ws, server)
    ws.run("import", ws.write_csv("invoices.csv", [invoice_row("INV-7", due="2026-03-01")]), check=0)
    ws.run("tick", "--as-of", "2026-02-26T10:00:00Z", check=0)
    [first] = witnessed(ws)
    [mail] = witness_mails(server)
    assert mail["To"] == "jane@janedoe.example" and mail["Auto-Submitted"] == "auto-generated"
    body = mail.get_payload(decode=True).decode() if not mail.is_multipart() else mail.get_payload(0).get_payload(decode=True).decode()
    head_seq, head_hash = first["details"]["head_seq"], first["details"]["head_hash"]
    assert f"overdue audit verify --witness {head_seq}:{head_hash}" in body
    assert first["details"]["message_id"] == mail["Message-ID"]
    assert first["details"]["reply"].startswith("250")
    # The head it names is the entry just before the witness entry itself: the tick's last one.
    head = [json.loads(line) for line in ws.run("audit", "--format", "json", check=0).stdout.splitlines()][head_seq - 1]
    assert (head["hash"], head["event"], first["seq"]) == (head_hash, "tick.finished", head_seq + 1)

    ws.run("tick", "--as-of", "2026-02-26T22:00:00Z", check=0)
    ws.run("tick", "--as-of", "2026-02-27T09:59:59Z", check=0)
    assert len(witnessed(ws)) == 1 and len(witness_mails(server)) == 1, "less than a day since the last witness"
    ws.run("tick", "--as-of", "2026-02-27T10:00:00Z", check=0)
    assert len(witnessed(ws)) == 2 and len(witness_mails(server)) == 2

    ws.run("audit", "verify", "--witness", f"{head_seq}:{head_hash}", check=0)
    wrong = ws.run("audit", "verify", "--witness", f"{head_seq}:{'0' * 64}", check=65)
    assert f"audit entry {head_seq} has hash {head_hash}, not the witnessed" in wrong.stderr
    assert ws.run("audit", "verify", "--witness", "12:abc").returncode == 64


def test_without_the_key_no_witness_is_sent(ws, servers):
    server = servers.faulty("")
    ws.write_config(smtp=plain(server))
    ws.run("init", check=0)
    ws.run("tick", "--as-of", "2026-02-26T10:00:00Z", check=0)
    assert witnessed(ws) == [] and witness_mails(server) == []


def test_a_refused_witness_is_not_recorded_and_goes_out_at_the_next_tick(ws, servers):
    for refusing in [servers.sink("-f", ".", "-B", "554 5.7.1 Message rejected"),
                     servers.sink("-r", ".", "-b", "451 4.3.0 Try again later")]:
        configure(ws, refusing)
        if not ws.db_path.exists():
            ws.run("init", check=0)
        ws.run("tick", "--as-of", "2026-02-20T10:00:00Z", check=0)
        assert witnessed(ws) == []
    working = servers.faulty("")
    configure(ws, working)
    ws.run("tick", "--as-of", "2026-02-20T10:15:00Z", check=0)
    assert len(witnessed(ws)) == 1 and len(witness_mails(working)) == 1


def test_the_packet_lists_the_witness_covering_each_entry_and_verifies(ws, servers):
    server = servers.faulty("")
    configure(ws, server)
    ws.run("import", ws.write_csv("invoices.csv", [invoice_row("INV-7", due="2026-03-01")]), check=0)
    for at in ["2026-02-26T10:00:00Z", "2026-03-01T10:00:00Z", "2026-03-08T10:00:00Z"]:
        ws.run("tick", "--as-of", at, check=0)
    ws.run("invoice", "pay", "INV-7", "200.00", "--on", "2026-03-09", check=0)   # after the last witness
    packet = ws.dir / "INV-7.zip"
    ws.run("evidence", "INV-7", "--out", packet, check=0)
    with zipfile.ZipFile(packet) as z:
        files = {name: z.read(name) for name in z.namelist()}
    audit = [json.loads(line) for line in files["audit.jsonl"].decode().splitlines()]
    witnesses = [e for e in audit if e["event"] == "audit.witnessed"]
    invoice_entries = [e for e in audit if e["event"] != "audit.witnessed"]
    assert [e["seq"] for e in audit] == sorted(e["seq"] for e in audit)
    assert len(witnesses) == 3 and all(e["invoice"] is None for e in witnesses)
    for entry in invoice_entries:
        covering = [w for w in witnesses if w["details"]["head_seq"] >= entry["seq"]]
        assert covering or entry["event"] == "invoice.paid"
    statement = files["statement.html"].decode()
    assert "Audit trail and its witnesses" in statement
    for w in witnesses:
        assert w["details"]["message_id"].replace("<", "&lt;").replace(">", "&gt;") in statement
    assert statement.count("not yet witnessed") == 1, "only the payment came after the last witness"
    rows = re.findall(r"<tr><td>(\d+)</td>", statement)
    assert [int(seq) for seq in rows] == [e["seq"] for e in invoice_entries]

    verified = run_overdue("evidence", "verify", packet)
    assert verified.returncode == 0, verified.stderr
    assert f"{len(audit)} audit entries" in verified.stdout
    # The witness entries are covered: editing one fails the manifest and the entry's own hash.
    text = files["audit.jsonl"].decode().replace(witnesses[0]["details"]["message_id"], "<forged@example>")
    tampered = packet.with_name("tampered.zip")
    with zipfile.ZipFile(tampered, "w") as z:
        for name, data in files.items():
            z.writestr(name, text.encode() if name == "audit.jsonl" else data)
    failed = run_overdue("evidence", "verify", tampered)
    assert failed.returncode == 65
    assert "audit.jsonl" in failed.stderr and "content does not match its hash" in failed.stderr


def test_a_bad_witness_interval_is_a_config_error_naming_file_line_and_key(ws, servers):
    server = servers.faulty("")
    for value, problem in [('"0d"', "is not a duration"), ('"2y"', "is not a duration"), ('"400d"', "longer than the maximum")]:
        configure(ws, server, witness=value)
        result = ws.run("config", "check")
        assert result.returncode == 78, result.stderr
        lines = ws.config_path.read_text().splitlines()
        line = lines.index(f"witness = {value}") + 1
        assert f"{ws.config_path}:{line}: audit.witness: " in result.stderr and problem in result.stderr
    ws.write_config(ws.config_text(smtp=plain(server)) + '\n[audit]\nwitnes = "1d"\n')
    result = ws.run("config", "check")
    assert result.returncode == 78 and "audit.witnes" in result.stderr


def canonical(row):
    """The text an entry's hash is taken over (`AuditLine.write` without the hashes)."""
    seq, at, as_of, event, invoice, client, stage, details = row
    stamp = lambda seconds: datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = f'{{"seq":{seq},"at":"{stamp(at)}"' + (f',"as_of":"{stamp(as_of)}"' if as_of is not None else "")
    for name, value in [("event", event), ("invoice", invoice), ("client", client), ("stage", stage)]:
        text += f',"{name}":' + json.dumps(value, ensure_ascii=False)
    return text + f',"details":{details}}}'


def test_a_trail_rewritten_after_the_witness_passes_its_own_check_but_not_the_witnessed_hash(ws, servers):
    server = servers.faulty("")
    configure(ws, server)
    ws.run("import", ws.write_csv("invoices.csv", [invoice_row("INV-7", due="2026-03-01", amount="1200.00")]), check=0)
    ws.run("tick", "--as-of", "2026-02-26T10:00:00Z", check=0)
    [witness] = witnessed(ws)
    head = f'{witness["details"]["head_seq"]}:{witness["details"]["head_hash"]}'

    # Someone with the ledger file lowers the invoice's amount and recomputes every later link.
    con = sqlite3.connect(ws.db_path)
    con.execute("DROP TRIGGER audit_no_update")
    rows = con.execute("SELECT seq, at, as_of, event, invoice, client, stage, details, prev_hash, hash FROM audit ORDER BY seq").fetchall()
    prev = "0" * 64
    for row in rows:
        assert hashlib.sha256(f"{prev}\n{canonical(row[:8])}".encode()).hexdigest() == row[9].hex(), "the test hashes as overdue does"
        prev = row[9].hex()
    prev = "0" * 64
    for row in rows:
        details = row[7].replace("1200.00", "12.00")
        digest = hashlib.sha256(f"{prev}\n{canonical((*row[:7], details))}".encode()).hexdigest()
        con.execute("UPDATE audit SET details = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                    (details, bytes.fromhex(prev), bytes.fromhex(digest), row[0]))
        prev = digest
    con.execute("UPDATE meta SET value = ? WHERE key = 'audit.head'", (f"{rows[-1][0]} {prev}",))
    con.commit()
    con.close()

    ws.run("audit", "verify", check=0)   # the chain links again: its own check cannot tell
    result = ws.run("audit", "verify", "--witness", head, check=65)
    assert "the trail was rewritten after the witness" in result.stderr
