/// A message ready for the wire: envelope plus the RFC 5322 bytes (CRLF line ends, 7-bit).
public struct OutgoingMessage: Sendable {
    public var envelopeFrom: String
    /// Every RCPT TO: To, Cc and Bcc addresses.
    public var recipients: [String]
    public var messageID: String
    public var data: [UInt8]

    public init(envelopeFrom: String, recipients: [String], messageID: String, data: [UInt8]) {
        self.envelopeFrom = envelopeFrom
        self.recipients = recipients
        self.messageID = messageID
        self.data = data
    }
}

/// How one send ended, classified for retry decisions; `reply` is the server's text (or the
/// transport's description of what failed) for the audit trail, never containing a secret.
public enum DeliveryResult: Sendable, Equatable {
    case delivered(reply: String)
    /// 4xx, connection refused, timeout, dropped connection: try again later.
    case temporary(code: Int?, reply: String)
    /// 5xx, TLS handshake or certificate failure: do not retry.
    case permanent(code: Int?, reply: String)
    case authenticationRefused(code: Int?, reply: String)

    public var reply: String {
        switch self {
        case .delivered(let r), .temporary(_, let r), .permanent(_, let r), .authenticationRefused(_, let r): r
        }
    }
}

/// Where messages go: libcurl SMTP in production, a folder of `.eml` files for the demo.
/// A transport may keep one connection open across a batch of `send` calls until `close`.
public protocol MailTransport: AnyObject {
    func send(_ message: OutgoingMessage) -> DeliveryResult
    func close()
}
