/// A message ready for the wire: envelope plus the RFC 5322 bytes (CRLF line ends, 7-bit).
public struct OutgoingMessage: Sendable {
    public var envelopeFrom: String
    /// Every RCPT TO: To, Cc and Bcc addresses.
    public var recipients: [String]
    public var messageID: String
    public var data: [UInt8]
    /// The Subject as written in the message (before encoding), kept with its dispatch so later
    /// reminders can name it.
    public var subject: String?

    public init(envelopeFrom: String, recipients: [String], messageID: String, data: [UInt8], subject: String? = nil) {
        self.envelopeFrom = envelopeFrom
        self.recipients = recipients
        self.messageID = messageID
        self.data = data
        self.subject = subject
    }
}

/// How one send ended, classified for retry decisions; `reply` is the server's text (or the
/// transport's description of what failed) for the audit trail, never containing a secret.
public enum DeliveryResult: Sendable, Equatable {
    case delivered(reply: String)
    /// 4xx for this message: try it again later.
    case temporary(code: Int?, reply: String)
    /// 5xx for this message, or refused before sending: do not retry.
    case permanent(code: Int?, reply: String)
    case authenticationRefused(code: Int?, reply: String)
    /// The server could not be used at all (refused, dropped or timed-out connection before
    /// the message was complete; TLS or certificate failure): a failure of the server, not of
    /// the message.
    case unavailable(ServerFailure, reply: String)
    /// The message's last byte was handed over and no final reply came (connection dropped,
    /// or no answer within RFC 5321's wait): the server may have accepted it.
    case ambiguous(reply: String)

    public enum ServerFailure: Sendable, Equatable {
        /// Connection refused, dropped or timed out: may pass by itself.
        case connection
        /// TLS, certificate or protocol set-up: needs the operator.
        case security
    }

    public var reply: String {
        switch self {
        case .delivered(let r), .temporary(_, let r), .permanent(_, let r), .authenticationRefused(_, let r),
             .unavailable(_, let r), .ambiguous(let r): r
        }
    }
}

/// Where messages go: libcurl SMTP in production, a folder of `.eml` files for the demo.
/// A transport may keep one connection open across a batch of `send` calls until `close`.
public protocol MailTransport: AnyObject {
    func send(_ message: OutgoingMessage) -> DeliveryResult
    func close()
}
