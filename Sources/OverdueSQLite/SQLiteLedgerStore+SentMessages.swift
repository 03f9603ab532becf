import Foundation
import OverdueCore

extension SQLiteLedgerStore {
    public func sentMessages(invoice: String) throws -> [SentMessage] {
        try reading {
            let statement = try db.prepareCursor("""
                SELECT m.message_id, m.data, m.sha256 FROM messages m
                WHERE m.data IS NOT NULL AND m.sha256 IS NOT NULL
                    AND ((m.invoice = ?1 AND m.state = 'sent')
                        OR EXISTS (SELECT 1 FROM dispatches d WHERE d.message = m.id AND d.invoice = ?1 AND d.state = 'sent'))
                ORDER BY m.id
                """)
            try statement.bind(.text(invoice), at: 1)
            var list: [SentMessage] = []
            while try statement.step() {
                list.append(SentMessage(messageID: statement.text(0), data: statement.blob(1), sha256: statement.text(2)))
            }
            return list
        }
    }

    public func demand(invoice: String) throws -> (state: String, at: Date)? {
        try reading {
            let statement = try db.prepare("""
                SELECT state, updated_at FROM messages WHERE invoice = ? AND state != 'failed' ORDER BY id DESC LIMIT 1
                """)
            defer { statement.reset() }
            guard try statement.bind(.text(invoice)).step() else { return nil }
            return (statement.text(0), Date(timeIntervalSince1970: TimeInterval(statement.int(1))))
        }
    }

    public func markDemandSending(invoice: String, messageID: String, recipients: [String], data: [UInt8],
                                  context: ChangeContext) throws {
        try writing(context) { _ in
            guard try scalar("SELECT 1 FROM invoices WHERE number = ?", .text(invoice)) != nil else {
                throw OverdueError.data("invoice \(invoice): not found")
            }
            let now = storedSeconds(context.at)
            try db.prepare("""
                INSERT INTO messages (message_id, recipients, state, attempts, created_at, updated_at, data, sha256, invoice)
                VALUES (?, ?, 'sending', 1, ?, ?, ?, ?, ?)
                """).bind(.text(messageID), .text(joinAddresses(recipients)), .int(now), .int(now), .blob(data),
                          .text(sha256Hex(data)), .text(invoice)).run()
        }
    }

    public func recordDemand(invoice: String, messageID: String, delivered: Bool, reply: String, context: ChangeContext) throws {
        try writing(context, persist: true) { audit in
            let row = try db.prepare("""
                SELECT m.recipients, m.sha256, i.client_id FROM messages m JOIN invoices i ON i.number = m.invoice
                WHERE m.message_id = ? AND m.invoice = ?
                """)
            guard try row.bind(.text(messageID), .text(invoice)).step() else {
                row.reset()
                throw OverdueError.data("invoice \(invoice): no demand \(messageID) was marked for sending")
            }
            let recipients = splitAddresses(row.text(0)), sha256 = row.text(1), clientID = row.text(2)
            row.reset()
            try db.prepare("UPDATE messages SET state = ?, last_reply = ?, updated_at = ? WHERE message_id = ?")
                .bind(.text(delivered ? "sent" : "failed"), .text(reply), .int(storedSeconds(context.at)), .text(messageID)).run()
            guard delivered else { return }
            try audit.append(AuditRecord(.demandSent, invoice: invoice, client: clientID, details: [
                ("recipients", .strings(recipients)), ("message_id", .string(messageID)), ("reply", .string(reply)),
                ("sha256", .string(sha256)),
            ]))
        }
    }
}
