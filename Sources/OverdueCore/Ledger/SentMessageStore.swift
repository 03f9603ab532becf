import Foundation

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

    /// The letter before action of an invoice as it stands: nil when none was attempted or the
    /// last attempt failed; otherwise its state (`sending`: interrupted, may have gone out;
    /// `sent`) and when it was recorded.
    func demand(invoice: String) throws -> (state: String, at: Date)?
    /// Keeps the demand's bytes before the first goes out (state `sending`), durably.
    func markDemandSending(invoice: String, messageID: String, recipients: [String], data: [UInt8],
                           context: ChangeContext) throws
    /// What the server said: `sent` is audited `demand.sent` (recipients, Message-ID, reply,
    /// SHA-256); otherwise the attempt is `failed` and a new one may be made.
    func recordDemand(invoice: String, messageID: String, delivered: Bool, reply: String, context: ChangeContext) throws
}
