import Foundation

/// What one email says and to whom, before it is encoded for the wire.
public struct MailContent: Sendable {
    public var from: Mailbox
    public var to: [Mailbox]
    public var cc: [Mailbox]
    /// Envelope-only recipients: never written into a header.
    public var bcc: [Mailbox]
    public var replyTo: Mailbox?
    public var subject: String
    public var date: Date
    /// The zone the `Date` header is written in (the daemon's, so the owner reads local time).
    public var timeZone: TimeZone
    /// With angle brackets: `<id@domain>`.
    public var messageID: String
    public var text: String
    /// When present the message is `multipart/alternative` with this as its HTML part.
    public var html: String?
    /// Adds `Auto-Submitted: auto-generated` (RFC 3834). Meant for notices to the owner; client
    /// reminders leave it off, since some ticketing systems drop auto-submitted mail unread.
    public var autoSubmitted: Bool
    /// Message-IDs of the earlier messages of the same conversation, oldest first: written as
    /// `References`, the last also as `In-Reply-To`, so the recipient's mail client shows one thread.
    public var references: [String]
    /// Adds `X-Auto-Response-Suppress: OOF, AutoReply`, which asks Exchange and Outlook not to
    /// answer with an out-of-office or automatic reply (that would land with the owner). Meant
    /// for client reminders; never paired with `List-Unsubscribe` or `Precedence`, which would
    /// make a personal letter look like bulk mail.
    public var suppressAutoReplies: Bool

    public init(from: Mailbox, to: [Mailbox], cc: [Mailbox] = [], bcc: [Mailbox] = [], replyTo: Mailbox? = nil,
                subject: String, date: Date, timeZone: TimeZone, messageID: String, text: String,
                html: String? = nil, autoSubmitted: Bool = false, references: [String] = [],
                suppressAutoReplies: Bool = false) {
        self.from = from
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.replyTo = replyTo
        self.subject = subject
        self.date = date
        self.timeZone = timeZone
        self.messageID = messageID
        self.text = text
        self.html = html
        self.autoSubmitted = autoSubmitted
        self.references = references
        self.suppressAutoReplies = suppressAutoReplies
    }
}

/// Why a message was refused before it was built; `field` names the header it would have reached.
public struct MessageError: Error, Equatable, Sendable, CustomStringConvertible {
    public var field: String
    public var problem: String

    public var description: String { "\(field): \(problem)" }
}

/// Encodes a `MailContent` as an RFC 5322 message: CRLF line ends, 7-bit only, header lines
/// folded at 78 octets, body lines at most 76 (quoted-printable), encoded-words for non-ASCII.
///
/// No value can add a header or a recipient: every value that reaches a header or the envelope
/// is checked per Unicode scalar and the message is refused (`MessageError`) if one holds a
/// control character, so `"x\r\nBcc: y"` (one Swift `Character`) is caught too.
public enum MessageBuilder {
    public static func build(_ content: MailContent) throws(MessageError) -> OutgoingMessage {
        try refuseControls(in: content.subject, field: "Subject")
        for (field, boxes) in [("From", [content.from]), ("To", content.to), ("Cc", content.cc),
                               ("Bcc", content.bcc), ("Reply-To", content.replyTo.map { [$0] } ?? [])] {
            for box in boxes {
                try refuseControls(in: box.displayName ?? "", field: field)
                guard Mailbox.isValidAddress(box.address) else {
                    throw MessageError(field: field, problem: "\"\(box.address.escapingControls())\" is not a valid address")
                }
            }
        }
        guard !content.to.isEmpty else { throw MessageError(field: "To", problem: "no recipient") }
        let id = content.messageID
        for (field, value) in [("Message-ID", id)] + content.references.map({ ("References", $0) }) {
            guard isMessageID(value) else {
                throw MessageError(field: field, problem: "\"\(value.escapingControls())\" is not <id@domain>")
            }
        }
        var seenIDs: Set<String> = [id]
        let references = content.references.filter { seenIDs.insert($0).inserted }

        var headers: [String] = [
            HeaderEncoding.fold("Date", rfc5322Date(content.date, in: content.timeZone)),
            HeaderEncoding.fold("From", HeaderEncoding.mailbox(content.from)),
        ]
        if let replyTo = content.replyTo { headers.append(HeaderEncoding.fold("Reply-To", HeaderEncoding.mailbox(replyTo))) }
        headers.append(HeaderEncoding.fold("To", content.to.map(HeaderEncoding.mailbox).joined(separator: ", ")))
        if !content.cc.isEmpty {
            headers.append(HeaderEncoding.fold("Cc", content.cc.map(HeaderEncoding.mailbox).joined(separator: ", ")))
        }
        headers.append(HeaderEncoding.fold("Subject", HeaderEncoding.unstructured(content.subject)))
        headers.append(HeaderEncoding.fold("Message-ID", id))
        if let parent = references.last {
            headers.append(HeaderEncoding.fold("In-Reply-To", parent))
            // Folded between IDs, so any number of them keeps every line within 78 octets.
            headers.append(HeaderEncoding.fold("References", references.joined(separator: " ")))
        }
        headers.append("MIME-Version: 1.0")
        if content.autoSubmitted { headers.append("Auto-Submitted: auto-generated") }
        if content.suppressAutoReplies { headers.append("X-Auto-Response-Suppress: OOF, AutoReply") }

        var data = Array(headers.joined(separator: "\r\n").utf8) + [13, 10]
        let textPart = QuotedPrintable.encode(content.text)
        if let html = content.html {
            let boundary = "=_overdue_" + String(String.UnicodeScalarView(id.unicodeScalars.filter {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
            }.prefix(40)))
            data += Array(HeaderEncoding.fold("Content-Type", "multipart/alternative; boundary=\"\(boundary)\"").utf8)
            data += Array("\r\n\r\nThis is a multi-part message in MIME format.\r\n".utf8)
            for (type, body) in [("text/plain", textPart), ("text/html", QuotedPrintable.encode(html))] {
                data += Array("\r\n--\(boundary)\r\n".utf8)
                data += Array("Content-Type: \(type); charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n".utf8)
                data += body
            }
            data += Array("\r\n--\(boundary)--\r\n".utf8)
        } else {
            data += Array("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n".utf8)
            data += textPart
            // The message ends in CRLF; a text that ends in a line break already does.
            if !textPart.isEmpty, textPart.suffix(2) != [13, 10] { data += [13, 10] }
        }

        var seen = Set<String>()
        let recipients = (content.to + content.cc + content.bcc).map(\.address).filter { seen.insert($0.lowercased()).inserted }
        return OutgoingMessage(envelopeFrom: content.from.address, recipients: recipients, messageID: id, data: data,
                               subject: content.subject)
    }

    /// `<id@domain>` in printable ASCII without spaces, at most 900 octets: a line of its own
    /// when folded, within the 998 RFC 5322 allows.
    private static func isMessageID(_ id: String) -> Bool {
        id.hasPrefix("<") && id.hasSuffix(">") && id.contains("@") && id.utf8.count <= 900
            && id.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    private static func refuseControls(in value: String, field: String) throws(MessageError) {
        if let bad = value.unicodeScalars.first(where: Mailbox.isForbidden) {
            throw MessageError(field: field, problem: "contains the control character \(bad.codePoint); refused so that no header can be injected")
        }
    }
}
