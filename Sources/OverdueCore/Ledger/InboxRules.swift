import Foundation

/// What recording an inbound message needs of a store, inside the caller's write transaction.
public protocol InboxWriter {
    /// True when a message of this key was recorded before.
    func inboundRecorded(_ key: String) throws -> Bool
    /// Stores the message with what became of it (`kind`: `reply`, `bounce`, ...), received `at`.
    func insertInbound(_ message: InboundRecord, kind: String, client: String?, invoice: String?, note: String?, at: Date) throws
    func invoice(_ number: String) throws -> Invoice?
    func client(_ id: String) throws -> Client?
    /// Puts the invoice on hold with `reason` (`updated_at` the real time `at`).
    func holdInvoice(_ number: String, reason: String, at: Date) throws
    /// Puts every invoice of the client on hold with `reason` (`updated_at` the real time `at`).
    func holdClient(_ id: String, reason: String, at: Date) throws
    /// Records the (lower-cased) address of the client failing since `at` with `status`,
    /// unless it is recorded already.
    func markFailing(client: String, address: String, status: String, at: Date) throws
    /// Forgets that the address failed: mail came from it.
    func forgetFailing(client: String, address: String) throws
    /// The lower-cased addresses of a client that bounced.
    func failingAddresses(client: String) throws -> Set<String>
}

extension InboundRecord {
    /// Records this message and carries out its verdict, with its audit entry, in the caller's
    /// transaction; nil (nothing done) when its key was recorded before. One implementation
    /// for every store:
    /// - a reply holds each open invoice it names that is not held yet (`reply.received` per
    ///   invoice, saying whether it held it) and shows that the sender's address works again;
    /// - a bounce marks the failed addresses; a client left with none is held
    ///   (`reminder.bounced` with the addresses still written to);
    /// - an automatic answer is shown to the owner (`reminder.auto_reply`), holds nothing;
    /// - a delayed report and an ignored message are only recorded.
    public func apply(to writer: some InboxWriter, audit: inout some AuditSink, context: ChangeContext) throws -> InboundEffect? {
        guard try !writer.inboundRecorded(key) else { return nil }
        let now = context.at
        func insert(_ kind: String, client: String?, invoice: String?, note: String?) throws {
            try writer.insertInbound(self, kind: kind, client: client, invoice: invoice, note: note, at: now)
        }
        let mail: [(String, JSONValue)] = [
            ("from", .string(from)), ("date", .optional(date.map(formatTimestamp))),
            ("subject", .string(subject)), ("message_id", .string(key)),
        ]
        var effect = InboundEffect()
        switch verdict {
        case .ignored(let reason):
            try insert("ignored", client: nil, invoice: nil, note: reason)
        case .delayed(let client, let invoice, let addresses, let status):
            try insert("delayed", client: client, invoice: invoice, note: "\(status) \(addresses.joined(separator: ", "))")
        case .autoReply(let client, let invoice):
            try insert("auto_reply", client: client, invoice: invoice, note: nil)
            try audit.append(AuditRecord(.reminderAutoReply, invoice: invoice, client: client,
                                         details: mail + [("excerpt", .strings(excerpt))]))
        case .reply(let client, let invoices, let byThread):
            try insert("reply", client: client, invoice: invoices.first, note: byThread ? "thread" : "invoice number")
            let reason = "client replied on \(day)"
            for number in invoices {
                guard let invoice = try writer.invoice(number) else { continue }
                if invoice.status == .open, !invoice.onHold {
                    try writer.holdInvoice(number, reason: reason, at: now)
                    effect.heldInvoices.append(number)
                }
                try audit.append(AuditRecord(.replyReceived, invoice: number, client: client, details: mail + [
                    ("match", .string(byThread ? "thread" : "invoice number")), ("excerpt", .strings(excerpt)),
                    ("held", .bool(effect.heldInvoices.contains(number))),
                ]))
            }
            // Mail from an address shows that it works again.
            if let sender = InboundMail.address(in: from) {
                try writer.forgetFailing(client: client, address: sender)
            }
        case .bounce(let clientID, let invoice, let addresses, let status, let diagnostic):
            try insert("bounce", client: clientID, invoice: invoice, note: "\(status) \(addresses.joined(separator: ", "))")
            for address in addresses {
                try writer.markFailing(client: clientID, address: address.lowercased(), status: status, at: now)
            }
            guard let client = try writer.client(clientID) else { throw clientNotFound(clientID) }
            let failing = try writer.failingAddresses(client: clientID)
            effect.remainingAddresses = client.emails.filter { !failing.contains($0.lowercased()) }
            if effect.remainingAddresses.isEmpty, !client.onHold {
                try writer.holdClient(clientID, reason: "every address bounced (\(client.emails.joined(separator: ", ")))", at: now)
                effect.clientHeld = true
            }
            try audit.append(AuditRecord(.reminderBounced, invoice: invoice, client: clientID, details: mail + [
                ("addresses", .strings(addresses)), ("status", .string(status)), ("diagnostic", .optional(diagnostic)),
                ("remaining", .strings(effect.remainingAddresses)), ("client_held", .bool(effect.clientHeld)),
            ]))
        }
        return effect
    }
}
