import Foundation
import OverdueCore

/// Reading the inbox before planning: a reply holds its invoice and a bounce takes the address
/// out before this very tick would write to them.
extension TickRunner {
    /// At most this many messages are read per tick; the rest wait for the next one.
    static let inboxBatch = 200

    /// Reads what arrived since the last tick and records each message (`InboxStore`). Returns
    /// false when the inbox could not be read: that is logged and shown by `overdue status`,
    /// and the tick goes on (a mail server outage must not stop reminders) unless
    /// `inbox.required` says otherwise. A ledger failure is thrown, as everywhere in the tick.
    func readInbox() throws -> Bool {
        guard let settings = config.inbox, let (reader, inboxStore, messageIDs) = inbox else { return true }
        let cursor = try store.meta(MetaKey.inboxCursor).flatMap(InboxCursor.init(text:))
        let position: InboxCursor
        var read = 0
        do {
            position = try reader.read(after: cursor, limit: TickRunner.inboxBatch) { validity, item in
                read += 1
                try take(item, uidValidity: validity, into: inboxStore, messageIDs: messageIDs)
            }
        } catch let error as OverdueError where error.exitCode == .unavailable {
            let since = (try store.meta(MetaKey.inboxUnreachable)).flatMap { $0.split(separator: "\t").first.map(String.init) }
            try store.setMeta(MetaKey.inboxUnreachable, "\(since ?? formatTimestamp(clock.now()))\t\(error.message)")
            log.error("inbox: \(error.message); " + (settings.required
                ? "nothing is sent until it is read (inbox.required)" : "reminders go on without it"))
            return false
        }
        if read > 0 { log.info("inbox: \(read) new message(s) read") }
        if cursor != position {
            if cursor?.uidValidity != position.uidValidity, cursor != nil {
                log.notice("inbox: UIDVALIDITY changed (\(cursor!.uidValidity) -> \(position.uidValidity)); the mailbox was read again")
            }
            try store.setMeta(MetaKey.inboxCursor, position.text)
        }
        if !(try store.meta(MetaKey.inboxUnreachable) ?? "").isEmpty { try store.setMeta(MetaKey.inboxUnreachable, "") }
        return true
    }

    private func take(_ item: InboxItem, uidValidity: UInt32, into inboxStore: any InboxStore, messageIDs: MessageIDGenerator) throws {
        let today = LocalDateTime(now, in: config.daemon.timezone).date
        switch item {
        case .tooLarge(let uid, let size):
            let key = "uid:\(uidValidity):\(uid)"
            guard !(try inboxStore.inboundRecorded(key)) else { return }
            let reason = "\(size) bytes, larger than overdue reads; left unread on the server"
            _ = try inboxStore.recordInbound(InboundRecord(key: key, uidValidity: uidValidity, uid: uid, verdict: .ignored(reason),
                                                           from: "", subject: "", date: nil, day: today, excerpt: []), context: change)
            log.warning("inbox: message UID \(uid): \(reason)")
        case .message(let uid, let bytes):
            let mail = InboundMail(bytes)
            let key = mail.messageID ?? InboundMail.digestKey(bytes)
            guard !(try inboxStore.inboundRecorded(key)) else { return }
            let (ids, addresses) = InboxClassifier.questions(mail)
            let facts = try inboxStore.inboxFacts(messageIDs: ids, addresses: addresses)
            let own = Set([config.business.from.address, config.business.owner.address].map { $0.lowercased() })
            let verdict = InboxClassifier.classify(mail, facts: facts, ids: messageIDs, ownDomain: config.business.from.domain,
                                                   ownAddresses: own)
            let day = mail.date.map { LocalDateTime($0, in: config.daemon.timezone).date } ?? today
            let record = InboundRecord(key: key, uidValidity: uidValidity, uid: uid, verdict: verdict, from: mail.from.escapingControls(),
                                       subject: mail.subject.escapingControls(), date: mail.date, day: day, excerpt: mail.excerpt())
            guard let effect = try inboxStore.recordInbound(record, context: change) else { return }
            report(record, effect)
        }
    }

    private func report(_ record: InboundRecord, _ effect: InboundEffect) {
        switch record.verdict {
        case .ignored(let reason):
            log.info("inbox: UID \(record.uid) \(record.key): ignored: \(reason)")
        case .delayed(let client, _, let addresses, let status):
            log.notice("inbox: delivery to \(addresses.joined(separator: ", ")) (client \(client)) delayed (\(status)); the server is still trying")
        case .reply(let client, let invoices, let byThread):
            log.notice("inbox: client \(client) replied (\(byThread ? "to a reminder" : "naming the invoice")): "
                + "invoice(s) \(invoices.joined(separator: ", ")) " + (effect.heldInvoices.isEmpty ? "already held or closed" : "held"))
            sendOwnerNotice(OwnerNotices.reply(record, client: client, invoices: invoices, held: effect.heldInvoices, byThread: byThread))
        case .bounce(let client, let invoice, let addresses, let status, let diagnostic):
            log.warning("inbox: \(addresses.joined(separator: ", ")) of client \(client) bounced (\(status)); "
                + (effect.clientHeld ? "no address left, the client is held" : "reminders go to \(effect.remainingAddresses.joined(separator: ", "))"))
            sendOwnerNotice(OwnerNotices.bounce(client: client, invoice: invoice, addresses: addresses, status: status,
                                                diagnostic: diagnostic, effect: effect))
        case .autoReply(let client, let invoice):
            log.notice("inbox: automatic answer from client \(client): \(record.subject)")
            sendOwnerNotice(OwnerNotices.autoReply(record, client: client, invoice: invoice))
        }
    }
}

extension OwnerNotices {
    /// A client answered: the invoice is held until the owner releases it.
    static func reply(_ record: InboundRecord, client: String, invoices: [String], held: [String], byThread: Bool) -> OwnerNotice {
        var text = NoticeText()
        let list = invoices.joined(separator: ", ")
        text.paragraph(byThread ? "Client \(client) answered a reminder about invoice \(list)."
            : "Client \(client) wrote from its address about invoice \(list) (found by the invoice number, a heuristic).")
        text.blank()
        excerpt(record, into: &text)
        text.blank()
        if held.isEmpty {
            text.paragraph("The invoice was already on hold or is closed; nothing changed.")
        } else {
            text.paragraph("overdue sends no more reminders for \(held.joined(separator: ", ")) until you release it:")
            for number in held { text.command("overdue invoice release \(shellQuoted(number))") }
        }
        return OwnerNotice(kind: .reply, invoice: invoices.first ?? "", stage: "",
                           subject: "Reply from client \(client) about invoice \(list)", body: text.text)
    }

    /// A client's address bounced.
    static func bounce(client: String, invoice: String?, addresses: [String], status: String, diagnostic: String?,
                       effect: InboundEffect) -> OwnerNotice {
        var text = NoticeText()
        text.paragraph("Mail to \(addresses.joined(separator: ", ")) (client \(client)) bounced: \(status)"
            + (diagnostic.map { " \($0)" } ?? "") + ".")
        text.blank()
        if effect.clientHeld {
            text.paragraph("The client has no other address, so its reminders are held. Correct the address (import the client again), then:")
            text.command("overdue client release \(shellQuoted(client))")
        } else {
            text.paragraph("Reminders now go to \(effect.remainingAddresses.joined(separator: ", ")) only.")
        }
        return OwnerNotice(kind: .bounce, invoice: invoice ?? "", stage: "",
                           subject: "Bounce: \(addresses.joined(separator: ", ")) (client \(client))", body: text.text)
    }

    /// An out-of-office or other automatic answer; nothing is held.
    static func autoReply(_ record: InboundRecord, client: String, invoice: String?) -> OwnerNotice {
        var text = NoticeText()
        text.paragraph("An automatic answer came from client \(client)" + (invoice.map { " to the reminder about invoice \($0)" } ?? "")
            + ". Nothing was held; reminders go on.")
        text.blank()
        excerpt(record, into: &text)
        return OwnerNotice(kind: .autoReply, invoice: invoice ?? "", stage: "",
                           subject: "Automatic answer from client \(client): \(record.subject.prefix(60))", body: text.text)
    }

    private static func excerpt(_ record: InboundRecord, into text: inout NoticeText) {
        text.field("From:", record.from)
        text.field("Date:", record.date.map(formatTimestamp) ?? "(none)")
        text.field("Subject:", record.subject)
        text.blank()
        for line in record.excerpt { text.paragraph(line, indent: "  > ", hanging: "  > ") }
    }
}
