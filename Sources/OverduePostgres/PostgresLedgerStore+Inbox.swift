import Foundation
import OverdueCore

// The inbox's records, as `SQLiteLedgerStore+Inbox` (the same verdicts, the same audit entries).
extension PostgresLedgerStore {
    public func inboxFacts(messageIDs: [String], addresses: [String]) throws -> InboxFacts {
        try reading {
            var facts = InboxFacts()
            for id in messageIDs.prefix(100) {
                // A reminder's Message-ID is made from its dispatch's id; the letter before action's
                // from a nonce not kept, so only the ledger vouches for it.
                let rows = try db.query("""
                    SELECT m.message_id, d.invoice, d.stage, d.id, i.client_id, c.emails
                    FROM messages m JOIN dispatches d ON d.message = m.id JOIN invoices i ON i.number = d.invoice
                        JOIN clients c ON c.id = i.client_id
                    WHERE m.message_id = $1
                    UNION ALL
                    SELECT m.message_id, m.invoice, 'demand', NULL, i.client_id, c.emails
                    FROM messages m JOIN invoices i ON i.number = m.invoice JOIN clients c ON c.id = i.client_id
                    WHERE m.message_id = $1 AND m.invoice IS NOT NULL
                    """, [.text(id)])
                for row in 0..<rows.count {
                    facts.sent.append(SentReference(messageID: rows.text(row, 0), invoice: rows.text(row, 1), stage: rows.text(row, 2),
                                                    nonce: rows.optionalInt(row, 3).map { String($0) }, clientID: rows.text(row, 4),
                                                    clientEmails: splitAddresses(rows.text(row, 5))))
                }
            }
            for address in addresses.prefix(100) {
                let owner = try db.query("""
                    SELECT id, emails FROM clients
                    WHERE position(E'\\n' || lower($1) || E'\\n' IN E'\\n' || lower(emails) || E'\\n') > 0 ORDER BY id LIMIT 1
                    """, [.text(address)])
                guard owner.count > 0 else { continue }
                let (id, emails) = (owner.text(0, 0), splitAddresses(owner.text(0, 1)))
                let open = try db.query("SELECT number FROM invoices WHERE client_id = $1 AND status = 'open' ORDER BY number",
                                        [.text(id)])
                facts.clients[address.lowercased()] = ClientMail(clientID: id, emails: emails,
                                                                 openInvoices: (0..<open.count).map { open.text($0, 0) })
            }
            return facts
        }
    }

    public func inboundRecorded(_ key: String) throws -> Bool {
        try reading { try db.query("SELECT 1 FROM inbound WHERE key = $1", [.text(key)]).count > 0 }
    }

    public func recordInbound(_ message: InboundRecord, context: ChangeContext) throws -> InboundEffect? {
        try writing(context) { audit in try message.apply(to: primitives, audit: &audit, context: context) }
    }

    /// The lower-cased addresses of a client that bounced.
    func failingAddresses(client: String) throws -> Set<String> {
        let rows = try db.query("SELECT address FROM failing_addresses WHERE client_id = $1", [.text(client)])
        return Set((0..<rows.count).map { rows.text($0, 0) })
    }

    /// Every client's failing addresses, for planning (the table holds only bounced addresses: small).
    func allFailingAddresses() throws -> [String: Set<String>] {
        let rows = try db.query("SELECT client_id, address FROM failing_addresses")
        var map: [String: Set<String>] = [:]
        for row in 0..<rows.count { map[rows.text(row, 0), default: []].insert(rows.text(row, 1)) }
        return map
    }
}

extension PostgresLedgerStore.Primitives: InboxWriter {
    func inboundRecorded(_ key: String) throws -> Bool {
        try db.query("SELECT 1 FROM inbound WHERE key = $1", [.text(key)]).count > 0
    }

    func insertInbound(_ message: InboundRecord, kind: String, client: String?, invoice: String?, note: String?, at: Date) throws {
        try db.query("""
            INSERT INTO inbound (key, uid_validity, uid, kind, client, invoice, note, received_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """, [.text(message.key), .int(Int64(message.uidValidity)), .int(Int64(message.uid)), .text(kind),
                  .optional(client), .optional(invoice), .optional(note), .int(storedSeconds(at))])
    }

    func holdInvoice(_ number: String, reason: String, at: Date) throws {
        try db.query("UPDATE invoices SET hold = 1, hold_reason = $1, updated_at = $2 WHERE number = $3",
                     [.text(reason), .int(storedSeconds(at)), .text(number)])
    }

    func holdClient(_ id: String, reason: String, at: Date) throws {
        try db.query("UPDATE clients SET hold = 1, hold_reason = $1, updated_at = $2 WHERE id = $3",
                     [.text(reason), .int(storedSeconds(at)), .text(id)])
    }

    func markFailing(client: String, address: String, status: String, at: Date) throws {
        try db.query("""
            INSERT INTO failing_addresses (client_id, address, status, since) VALUES ($1, $2, $3, $4)
            ON CONFLICT DO NOTHING
            """, [.text(client), .text(address), .text(status), .int(storedSeconds(at))])
    }

    func forgetFailing(client: String, address: String) throws {
        try db.query("DELETE FROM failing_addresses WHERE client_id = $1 AND address = $2", [.text(client), .text(address)])
    }

    func failingAddresses(client: String) throws -> Set<String> { try store.failingAddresses(client: client) }
}
