import Foundation

// What both ledger stores (SQLite, PostgreSQL) share below their SQL: how values are stored,
// and where the rules of a write transaction put their audit entries. The rules themselves
// (`OutboxRules`, `InboundRecord.apply`, `PaymentRules`, `FeeRules`) are written against small
// per-store primitives, so each store keeps only its statements and its transaction.

/// Where a rule appends its audit entries: the store's appender, inside the rule's transaction.
public protocol AuditSink {
    mutating func append(_ record: AuditRecord) throws
}

/// Instants are stored as whole Unix seconds: audit hashes are computed over the
/// whole-second form, so what is read back hashes the same.
public func storedSeconds(_ instant: Date) -> Int64 { Int64(instant.timeIntervalSince1970.rounded(.down)) }

public func storedDate(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }

/// Address lists are one column, joined with a line feed (no valid address contains one).
public func joinAddresses(_ list: [String]) -> String { list.joined(separator: "\n") }

public func splitAddresses(_ text: String) -> [String] {
    // Most clients have one address: that String is the list, with no copy of it made.
    guard !text.isEmpty else { return [] }
    guard text.utf8.contains(UInt8(ascii: "\n")) else { return [text] }
    return text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
}

/// An unknown invoice number (65), as every store reports it.
public func invoiceNotFound(_ number: String) -> OverdueError {
    OverdueError(.dataError, "invoice \(number): not found")
}

/// An unknown client id (65), as every store reports it.
public func clientNotFound(_ id: String) -> OverdueError {
    OverdueError(.dataError, "client \(id): not found")
}
