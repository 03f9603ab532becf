import Foundation

/// A message overdue sent, as the ledger knows it: what a reply or a bounce is matched against.
public struct SentReference: Sendable, Equatable {
    public var messageID: String
    public var invoice: String
    public var stage: String
    /// What the Message-ID was made from besides invoice and stage (the dispatch id); nil for a
    /// message whose nonce is not kept (the letter before action), known from the ledger alone.
    public var nonce: String?
    public var clientID: String
    /// The client's addresses as the ledger holds them now.
    public var clientEmails: [String]

    public init(messageID: String, invoice: String, stage: String, nonce: String?, clientID: String, clientEmails: [String]) {
        self.messageID = messageID
        self.invoice = invoice
        self.stage = stage
        self.nonce = nonce
        self.clientID = clientID
        self.clientEmails = clientEmails
    }
}

/// A client an address belongs to, with its open invoices (for the invoice-number heuristic).
public struct ClientMail: Sendable, Equatable {
    public var clientID: String
    public var emails: [String]
    public var openInvoices: [String]

    public init(clientID: String, emails: [String], openInvoices: [String]) {
        self.clientID = clientID
        self.emails = emails
        self.openInvoices = openInvoices
    }
}

/// What the ledger says about the Message-IDs and addresses a message names
/// (`InboxClassifier.questions`): the classifier's only knowledge of the world.
public struct InboxFacts: Sendable, Equatable {
    /// Messages overdue sent, for the Message-IDs asked about (one per dispatch a message carried).
    public var sent: [SentReference]
    /// Clients by lower-cased address, for the addresses asked about.
    public var clients: [String: ClientMail]

    public init(sent: [SentReference] = [], clients: [String: ClientMail] = [:]) {
        self.sent = sent
        self.clients = clients
    }
}

/// What an incoming message means for the ledger.
public enum InboxVerdict: Sendable, Equatable {
    /// The client answered: hold `invoices`. `byThread`: it answers a message overdue sent
    /// (exact); otherwise it came from the client's address and names the invoices (heuristic).
    case reply(clientID: String, invoices: [String], byThread: Bool)
    /// A delivery report that `addresses` of the client failed for good (5.x.x).
    case bounce(clientID: String, invoice: String?, addresses: [String], status: String, diagnostic: String?)
    /// A delivery report that the server is still trying (4.x.x): recorded, nothing more.
    case delayed(clientID: String, invoice: String?, addresses: [String], status: String)
    /// An out-of-office or other automatic answer from a client: shown to the owner, no hold.
    case autoReply(clientID: String, invoice: String?)
    /// Nothing to do with overdue's reminders, or not to be trusted; the reason says which.
    case ignored(String)
}

/// Tells replies, bounces and automatic answers to overdue's reminders from everything else.
/// Pure: the ledger's answers to `questions` come in as `InboxFacts`.
///
/// Order matters and is this: a delivery report first (a DSN often carries `Auto-Submitted`
/// and quotes the original's Message-ID), then an automatic answer (an out-of-office carries
/// `In-Reply-To` like a reply but must not hold anything), then a reply by its thread
/// headers, then the heuristic of a client's address naming an open invoice number.
///
/// A thread header naming a Message-ID of overdue's own domain that overdue never made (the
/// HMAC does not check out, or no message of the ledger has it) marks a forged or garbled
/// reply: it is ignored whole, the heuristic included, so nobody can hold an invoice by
/// guessing at Message-IDs.
public enum InboxClassifier {
    /// The Message-IDs and addresses whose facts `classify` needs.
    public static func questions(_ mail: InboundMail) -> (messageIDs: [String], addresses: [String]) {
        var ids = mail.threadIDs
        var addresses: [String] = mail.senderAddress.map { [$0] } ?? []
        for part in mail.parts {
            if !part.headers.isEmpty {
                ids += part.headers.filter { $0.name == "message-id" }.flatMap { InboundMail.messageIDs(in: $0.value) }
            }
            if part.type.hasSuffix("delivery-status") {
                let status = DeliveryStatus(part.text)
                if let envelope = status.envelopeID { ids.append(envelope.hasPrefix("<") ? envelope : "<\(envelope)>") }
                addresses += status.recipients.map(\.address)
            }
        }
        var seenIDs = Set<String>(), seenAddresses = Set<String>()
        return (ids.filter { seenIDs.insert($0).inserted }, addresses.filter { seenAddresses.insert($0).inserted })
    }

    public static func classify(_ mail: InboundMail, facts: InboxFacts, ids generator: MessageIDGenerator,
                                ownDomain: String, ownAddresses: Set<String>) -> InboxVerdict {
        func verified(_ id: String) -> SentReference? {
            facts.sent.first { reference in
                reference.messageID == id
                    && (reference.nonce.map { generator.recognises(id, invoice: reference.invoice, stage: reference.stage, nonce: $0) } ?? true)
            }
        }
        if let report = deliveryReport(mail) {
            return classifyReport(mail, report, facts: facts, verified: verified)
        }
        let sender = mail.senderAddress
        if let sender, ownAddresses.contains(sender) { return .ignored("sent from overdue's own address \(sender)") }
        let threadReference = mail.threadIDs.lazy.compactMap(verified).first
        let forged = mail.threadIDs.first { id in
            verified(id) == nil && id.lowercased().hasSuffix("@\(ownDomain.lowercased())>")
        }
        if threadReference == nil, let forged {
            return .ignored("answers Message-ID \(forged), which overdue never made")
        }
        let client = sender.flatMap { facts.clients[$0] }
        if isAutomatic(mail) {
            if let threadReference { return .autoReply(clientID: threadReference.clientID, invoice: threadReference.invoice) }
            if let client { return .autoReply(clientID: client.clientID, invoice: nil) }
            return .ignored("an automatic answer from an address of no client")
        }
        if let threadReference {
            return .reply(clientID: threadReference.clientID, invoices: [threadReference.invoice], byThread: true)
        }
        guard let client else { return .ignored("not a reply to overdue, and the sender is no client's address") }
        let named = namedInvoices(client.openInvoices, in: mail)
        guard !named.isEmpty else { return .ignored("from client \(client.clientID), but names none of its open invoices") }
        return .reply(clientID: client.clientID, invoices: named, byThread: false)
    }

    // MARK: Delivery reports

    static func deliveryReport(_ mail: InboundMail) -> DeliveryStatus? {
        guard let part = mail.parts.first(where: { $0.type == "message/delivery-status" || $0.type == "message/global-delivery-status" })
        else { return nil }
        return DeliveryStatus(part.text)
    }

    private static func classifyReport(_ mail: InboundMail, _ report: DeliveryStatus, facts: InboxFacts,
                                       verified: (String) -> SentReference?) -> InboxVerdict {
        let returnedIDs = mail.parts.flatMap { part in
            part.headers.filter { $0.name == "message-id" }.flatMap { InboundMail.messageIDs(in: $0.value) }
        }
        let envelope = report.envelopeID.map { $0.hasPrefix("<") ? $0 : "<\($0)>" }
        let candidates = returnedIDs + (envelope.map { [$0] } ?? []) + mail.threadIDs
        let reference = candidates.lazy.compactMap(verified).first
        let clientID: String, invoice: String?, clientEmails: Set<String>
        if let reference {
            (clientID, invoice) = (reference.clientID, reference.invoice)
            clientEmails = Set(reference.clientEmails.map { $0.lowercased() })
        } else if candidates.isEmpty, let client = report.recipients.lazy.compactMap({ facts.clients[$0.address] }).first {
            // No headers came back to match: the failed address itself names the client.
            (clientID, invoice, clientEmails) = (client.clientID, nil, Set(client.emails.map { $0.lowercased() }))
        } else {
            return .ignored("a delivery report about a message overdue did not send")
        }
        let ours = report.recipients.filter { clientEmails.contains($0.address) }
        let failed = ours.filter(\.isPermanentFailure)
        if let first = failed.first {
            return .bounce(clientID: clientID, invoice: invoice, addresses: failed.map(\.address), status: first.status,
                           diagnostic: first.diagnostic)
        }
        let delayed = ours.filter(\.isDelay)
        if let first = delayed.first {
            return .delayed(clientID: clientID, invoice: invoice, addresses: delayed.map(\.address), status: first.status)
        }
        return .ignored("a delivery report with no failure for an address of client \(clientID)")
    }

    // MARK: Automatic answers

    /// Common out-of-office subjects, lower-cased prefixes (English, German, French, Dutch, Spanish).
    static let automaticSubjects = [
        "out of office", "automatic reply", "auto:", "autoreply", "auto-reply", "auto reply", "away from the office",
        "on vacation", "vacation reply", "abwesenheitsnotiz", "automatische antwort", "réponse automatique",
        "absence", "afwezig", "automatisch antwoord", "respuesta automática", "fuera de la oficina",
    ]

    /// RFC 3834 `Auto-Submitted` other than `no`, the `X-Autoreply`/`X-Autorespond` markers,
    /// `Precedence: auto_reply`, or a common out-of-office subject.
    public static func isAutomatic(_ mail: InboundMail) -> Bool {
        if let value = mail.header("auto-submitted"),
           value.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) != "no" {
            return true
        }
        if mail.header("x-autoreply") != nil || mail.header("x-autorespond") != nil || mail.header("x-autoresponse") != nil { return true }
        if mail.header("precedence")?.lowercased() == "auto_reply" { return true }
        let subject = mail.subject.lowercased()
        return automaticSubjects.contains { subject.hasPrefix($0) }
    }

    // MARK: The heuristic

    /// The open invoices whose number the subject or the first text part names as a whole word
    /// (`INV-1` is not named by `INV-10`), in the order given.
    static func namedInvoices(_ numbers: [String], in mail: InboundMail) -> [String] {
        let body = mail.parts.first { $0.type == "text/plain" }?.text ?? mail.parts.first { $0.type == "text/html" }?.text ?? ""
        let text = mail.subject + "\n" + String(body.prefix(20_000))
        return numbers.filter { !$0.isEmpty && containsWord($0, in: text) }
    }

    static func containsWord(_ word: String, in text: String) -> Bool {
        let haystack = Array(text.lowercased().utf8), needle = Array(word.lowercased().utf8)
        guard needle.count <= haystack.count else { return false }
        func isWordByte(_ byte: UInt8) -> Bool { (48...57).contains(byte) || (97...122).contains(byte) || byte >= 0x80 }
        var start = 0
        while start + needle.count <= haystack.count {
            if haystack[start] == needle[0], Array(haystack[start..<start + needle.count]) == needle,
               start == 0 || !isWordByte(haystack[start - 1]) || !isWordByte(needle[0]),
               start + needle.count == haystack.count || !isWordByte(haystack[start + needle.count]) || !isWordByte(needle[needle.count - 1]) {
                return true
            }
            start += 1
        }
        return false
    }
}
