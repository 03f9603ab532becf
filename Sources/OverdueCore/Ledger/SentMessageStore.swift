/// A message as the server accepted it: the bytes handed to it under its Message-ID.
public struct SentMessage: Sendable, Equatable {
    public var messageID: String
    public var data: [UInt8]
    /// `sha256Hex(data)`, as the `reminder.sent` entry states it.
    public var sha256: String

    public init(messageID: String, data: [UInt8], sha256: String) {
        self.messageID = messageID
        self.data = data
        self.sha256 = sha256
    }
}

/// The kept bytes of sent messages, for the evidence packet. Separate from `LedgerStore` so
/// stores (and test doubles) that keep no message bytes need not say anything about them.
public protocol SentMessageStore: AnyObject {
    /// The messages sent for an invoice's dispatches, oldest first. Messages sent before the
    /// ledger kept bytes (schema version 5) have none and are left out.
    func sentMessages(invoice: String) throws -> [SentMessage]
}
