/// Where reading the inbox stopped: the mailbox's UIDVALIDITY and the highest UID read.
public struct InboxCursor: Sendable, Equatable {
    public var uidValidity: UInt32
    public var lastUID: UInt32

    public init(uidValidity: UInt32, lastUID: UInt32) {
        self.uidValidity = uidValidity
        self.lastUID = lastUID
    }

    /// `VALIDITY UID` as kept in the ledger's meta table.
    public var text: String { "\(uidValidity) \(lastUID)" }

    public init?(text: String) {
        let parts = text.split(separator: " ")
        guard parts.count == 2, let validity = UInt32(parts[0]), let last = UInt32(parts[1]) else { return nil }
        self.init(uidValidity: validity, lastUID: last)
    }
}

/// One message of the mailbox, as the reader hands it over.
public enum InboxItem: Sendable, Equatable {
    case message(uid: UInt32, bytes: [UInt8])
    /// Larger than the reader fetches (`RFC822.SIZE`): left unread on the server.
    case tooLarge(uid: UInt32, size: Int)
}

/// The mailbox of `[inbox]`, read without changing it (no flag, no move, no delete).
public protocol InboxReader: AnyObject {
    /// Calls `body` for each message after `cursor` in UID order (every message when the
    /// mailbox's UIDVALIDITY is not the cursor's), at most `limit`, then returns the new
    /// position. Throws `OverdueError` (69) when the server cannot be reached or read; what
    /// `body` throws ends the read and is rethrown.
    func read(after cursor: InboxCursor?, limit: Int, _ body: (_ uidValidity: UInt32, InboxItem) throws -> Void) throws -> InboxCursor
}
