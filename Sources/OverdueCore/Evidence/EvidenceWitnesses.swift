import Foundation

/// The audit witnesses (`AuditWitness`) in an evidence packet: for each audit entry of the
/// invoice, the first witness message that dates it. The witness entries themselves go into
/// `audit.jsonl` beside the invoice's entries, hashes included, so the manifest covers them and
/// `evidence verify` re-hashes them like any other entry.
public enum EvidenceWitnesses {
    /// The invoice's entries with, in `seq` order among them, each witness entry that is the
    /// first to cover one of them.
    public static func auditPart(_ audit: [AuditEntry], witnessEntries: [AuditEntry]) -> [AuditEntry] {
        let records = witnessEntries.compactMap(AuditWitness.Record.init)
        let covering = Set(audit.compactMap { AuditWitness.firstCovering($0.seq, in: records)?.seq })
        return (audit + witnessEntries.filter { covering.contains($0.seq) }).sorted { $0.seq < $1.seq }
    }

    /// The statement's section: each entry of the invoice, then the witness that covers it.
    static func statementSection(_ audit: [AuditEntry], witnesses: [AuditWitness.Record]) -> String {
        let e = htmlEscaped
        var html = """
            <h2>Audit trail and its witnesses</h2>
            <p>Each entry of this invoice in overdue's hash-chained audit trail, and below it the first witness message \
            that mailed the owner a chain head at or after it: the owner's mailbox dates that message, so the entry \
            existed no later than its arrival there.</p>
            <table><tr><th style="width:9%">Seq</th><th style="width:22%">Recorded (UTC)</th><th style="width:20%">Event</th>\
            <th style="width:49%">Hash</th></tr>

            """
        for entry in audit where entry.event != AuditEvent.auditWitnessed.rawValue {
            html += "<tr><td>\(entry.seq)</td><td>\(formatTimestamp(entry.asOf ?? entry.at))</td><td>\(e(entry.event))</td>"
                + "<td class=\"mono\">\(e(entry.hash))</td></tr>\n"
            if let witness = AuditWitness.firstCovering(entry.seq, in: witnesses) {
                html += "<tr><td></td><td colspan=\"3\">witnessed \(formatTimestamp(witness.at)) (head seq \(witness.headSeq)): "
                    + "<span class=\"mono\">\(e(witness.messageID))</span></td></tr>\n"
            } else {
                html += "<tr><td></td><td colspan=\"3\">not yet witnessed</td></tr>\n"
            }
        }
        return html + "</table>\n"
    }
}
