import Foundation
import OverdueCore

/// The audit witness (`[audit] witness`, `AuditWitness`): at the end of a tick, when the last
/// witness is older than the interval, the chain's head goes to the owner.
extension TickRunner {
    /// Mails the head to the owner and records `audit.witnessed` only once the server accepted
    /// the message: a refused or unanswered witness is logged and tried again at the next tick,
    /// never recorded as witnessed (a second copy in the owner's mailbox harms nothing; a
    /// recorded witness that never arrived would claim a date nobody can show).
    func witnessIfDue() throws {
        guard let interval = config.auditWitness, !shouldStop() else { return }
        let last = try store.lastAuditEntry(AuditFilter(event: AuditEvent.auditWitnessed.rawValue))
        guard AuditWitness.isDue(lastWitnessedAt: last.map { $0.asOf ?? $0.at }, now: now, every: interval),
              let head = try store.lastAuditEntry(AuditFilter()) else { return }
        let notice = OwnerNotices.witness(head: head, business: config.business.name, ledger: config.daemon.database)
        let message: OutgoingMessage
        do {
            message = try composer.ownerNotice(notice, messageID: nil, at: now)
        } catch {
            log.error("audit witness not rendered, tried again next tick: \(error)")
            return
        }
        let result = transport.send(message)
        guard result.isDelivered else {
            log.error("audit witness not accepted by the mail server, tried again next tick: \(result.reply)")
            return
        }
        try store.appendAudit([AuditRecord(.auditWitnessed, details: AuditWitness.details(
            head: head, to: config.business.owner.address, messageID: message.messageID, reply: result.reply))], context: change)
        log.notice("audit witness sent to the owner: seq \(head.seq) hash \(head.hash) \(message.messageID)")
    }
}

extension OwnerNotices {
    /// The witness of the audit trail: the head to keep, and the command that checks it later.
    static func witness(head: AuditEntry, business: String, ledger: String) -> OwnerNotice {
        var text = NoticeText()
        text.paragraph("This message witnesses the audit trail overdue keeps for \(business). Keep it: the Received "
            + "headers your mail provider added to it date it, so the trail up to the entry below existed no later "
            + "than that, and those entries cannot be rewritten since without this hash ceasing to match.")
        text.blank()
        text.field("Entry (seq):", "\(head.seq)")
        text.field("Hash:", head.hash)
        text.field("Recorded at:", formatTimestamp(head.at))
        text.field("Ledger:", ledger)
        text.blank()
        text.paragraph("To check that the ledger still holds this entry with this hash, and that the whole chain links:")
        text.command("overdue audit verify --witness \(head.seq):\(head.hash)")
        text.blank()
        text.paragraph("It does not show that the entries are true, and says nothing of entries after \(head.seq).")
        return OwnerNotice(kind: .witness, invoice: "", stage: "",
                           subject: "overdue audit witness: entry \(head.seq), \(head.hash.prefix(16))", body: text.text)
    }
}
