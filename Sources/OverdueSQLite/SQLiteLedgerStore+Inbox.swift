import Foundation
import OverdueCore

extension SQLiteLedgerStore {
    public func inboxFacts(messageIDs: [String], addresses: [String]) throws -> InboxFacts {
        try reading {
            var facts = InboxFacts()
            // A reminder's Message-ID is made from its dispatch's id; the letter before action's
            // from a nonce not kept, so only the ledger vouches for it.
            let sent = try db.prepare("""
                SELECT m.message_id, d.invoice, d.stage, d.id, i.client_id, c.emails
                FROM messages m JOIN dispatches d ON d.message = m.id JOIN invoices i ON i.number = d.invoice
                    JOIN clients c ON c.id = i.client_id
                WHERE m.message_id = ?1
                UNION ALL
                SELECT m.message_id, m.invoice, 'demand', NULL, i.client_id, c.emails
                FROM messages m JOIN invoices i ON i.number = m.invoice JOIN clients c ON c.id = i.client_id
                WHERE m.message_id = ?1 AND m.invoice IS NOT NULL
                """)
            for id in messageIDs.prefix(100) {
                try sent.bind(.text(id))
                while try sent.step() {
                    facts.sent.append(SentReference(messageID: sent.text(0), invoice: sent.text(1), stage: sent.text(2),
                                                    nonce: sent.optionalInt(3).map { String($0) }, clientID: sent.text(4),
                                                    clientEmails: splitAddresses(sent.text(5))))
                }
                sent.reset()
            }
            let owner = try db.prepare("""
                SELECT id, emails FROM clients
                WHERE instr(lower(char(10) || emails || char(10)), char(10) || lower(?) || char(10)) > 0 ORDER BY id LIMIT 1
                """)
            let open = try db.prepare("SELECT number FROM invoices WHERE client_id = ? AND status = 'open' ORDER BY number")
            for address in addresses.prefix(100) {
                try owner.bind(.text(address))
                guard try owner.step() else { owner.reset(); continue }
                let (id, emails) = (owner.text(0), splitAddresses(owner.text(1)))
                owner.reset()
                try open.bind(.text(id))
                var numbers: [String] = []
                while try open.step() { numbers.append(open.text(0)) }
                open.reset()
                facts.clients[address.lowercased()] = ClientMail(clientID: id, emails: emails, openInvoices: numbers)
            }
            return facts
        }
    }

    public func inboundRecorded(_ key: String) throws -> Bool {
        try reading { try scalar("SELECT 1 FROM inbound WHERE key = ?", .text(key)) != nil }
    }

    /// `InboundRecord.apply`, in one transaction.
    public func recordInbound(_ message: InboundRecord, context: ChangeContext) throws -> InboundEffect? {
        try writing(context) { audit in try message.apply(to: primitives, audit: &audit, context: context) }
    }

    /// The lower-cased addresses of a client that bounced.
    func failingAddresses(client: String) throws -> Set<String> {
        let statement = try db.prepare("SELECT address FROM failing_addresses WHERE client_id = ?")
        defer { statement.reset() }
        try statement.bind(.text(client))
        var set = Set<String>()
        while try statement.step() { set.insert(statement.text(0)) }
        return set
    }

    /// Every client's failing addresses, for planning (the table holds only bounced addresses: small).
    func allFailingAddresses() throws -> [String: Set<String>] {
        let statement = try db.prepare("SELECT client_id, address FROM failing_addresses")
        defer { statement.reset() }
        var map: [String: Set<String>] = [:]
        while try statement.step() { map[statement.text(0), default: []].insert(statement.text(1)) }
        return map
    }
}

extension SQLiteLedgerStore.Primitives: InboxWriter {
    func inboundRecorded(_ key: String) throws -> Bool { try store.scalar("SELECT 1 FROM inbound WHERE key = ?", .text(key)) != nil }

    func insertInbound(_ message: InboundRecord, kind: String, client: String?, invoice: String?, note: String?, at: Date) throws {
        try db.prepare("""
            INSERT INTO inbound (key, uid_validity, uid, kind, client, invoice, note, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).bind(.text(message.key), .int(Int64(message.uidValidity)), .int(Int64(message.uid)), .text(kind),
                      .optional(client), .optional(invoice), .optional(note), .int(storedSeconds(at))).run()
    }

    func holdInvoice(_ number: String, reason: String, at: Date) throws {
        try db.prepare("UPDATE invoices SET hold = 1, hold_reason = ?, updated_at = ? WHERE number = ?")
            .bind(.text(reason), .int(storedSeconds(at)), .text(number)).run()
    }

    func holdClient(_ id: String, reason: String, at: Date) throws {
        try db.prepare("UPDATE clients SET hold = 1, hold_reason = ?, updated_at = ? WHERE id = ?")
            .bind(.text(reason), .int(storedSeconds(at)), .text(id)).run()
    }

    func markFailing(client: String, address: String, status: String, at: Date) throws {
        try db.prepare("INSERT OR IGNORE INTO failing_addresses (client_id, address, status, since) VALUES (?, ?, ?, ?)")
            .bind(.text(client), .text(address), .text(status), .int(storedSeconds(at))).run()
    }

    func forgetFailing(client: String, address: String) throws {
        try db.prepare("DELETE FROM failing_addresses WHERE client_id = ? AND address = ?").bind(.text(client), .text(address)).run()
    }

    func failingAddresses(client: String) throws -> Set<String> { try store.failingAddresses(client: client) }
}
