import Foundation

/// One stored value of a ledger row, as `overdue ledger copy` moves it between stores.
public enum LedgerCell: Sendable, Equatable {
    case null
    case int(Int64)
    case text(String)
    case bytes([UInt8])
}

/// A store a ledger can be copied out of: every row of a table, in key order, from one
/// snapshot taken for the whole copy (`readingSnapshot`).
public protocol LedgerCopySource: AnyObject {
    func readingSnapshot<T>(_ body: () throws -> T) throws -> T
    func copyRows(_ table: LedgerCopy.Table, _ body: ([LedgerCell]) throws -> Void) throws
}

/// A store a ledger can be copied into: empty (73 otherwise), filled in one transaction.
public protocol LedgerCopyDestination: AnyObject {
    /// Calls `fill` inside one transaction, giving it the function that inserts a row; the
    /// transaction commits when `fill` returns. 73 when the ledger holds any row already.
    func receiveCopy(_ fill: (_ insert: (LedgerCopy.Table, [LedgerCell]) throws -> Void) throws -> Void) throws
}

/// `overdue ledger copy`: every row of every table of the schema (version 5), verbatim:
/// ids, audit sequence numbers and hashes unchanged, so the copy's chain verifies and every
/// entry hashes as it did.
public enum LedgerCopy {
    public enum Kind: Sendable { case int, text, bytes }

    public struct Table: Sendable {
        public let name: String
        public let columns: [(name: String, kind: Kind)]
        /// The column the rows are read in order of.
        public let key: String

        public var columnList: String { columns.map(\.name).joined(separator: ", ") }
    }

    /// Parents before children (a dispatch names its message, a fee its dispatch).
    public static let tables: [Table] = [
        Table(name: "clients", columns: [("id", .text), ("name", .text), ("emails", .text), ("hold", .int), ("hold_reason", .text),
                                         ("blocked", .int), ("block_reason", .text), ("created_at", .int), ("updated_at", .int)],
              key: "id"),
        Table(name: "invoices", columns: [("number", .text), ("client_id", .text), ("issue_date", .text), ("due_date", .text),
                                          ("currency", .text), ("amount_minor", .int), ("paid_imported_minor", .int),
                                          ("paid_recorded_minor", .int), ("status", .text), ("hold", .int), ("hold_reason", .text),
                                          ("created_at", .int), ("updated_at", .int), ("fees_minor", .int)],
              key: "number"),
        Table(name: "payments", columns: [("id", .int), ("invoice", .text), ("amount_minor", .int), ("paid_on", .text),
                                          ("recorded_at", .int), ("reference", .text)],
              key: "id"),
        Table(name: "messages", columns: [("id", .int), ("message_id", .text), ("recipients", .text), ("state", .text),
                                          ("attempts", .int), ("next_attempt_at", .int), ("last_reply", .text),
                                          ("created_at", .int), ("updated_at", .int), ("data", .bytes), ("sha256", .text),
                                          ("invoice", .text)],
              key: "id"),
        Table(name: "dispatches", columns: [("id", .int), ("invoice", .text), ("stage", .text), ("action", .text),
                                            ("local_date", .text), ("queued_at", .int), ("state", .text), ("attempts", .int),
                                            ("next_attempt_at", .int), ("last_reply", .text), ("recipients", .text),
                                            ("fee_minor", .int), ("message", .int), ("subject", .text)],
              key: "id"),
        Table(name: "fees", columns: [("id", .int), ("invoice", .text), ("dispatch", .int), ("stage", .text), ("amount_minor", .int),
                                      ("charged_at", .int), ("waived_at", .int), ("waive_reason", .text)],
              key: "id"),
        Table(name: "audit", columns: [("seq", .int), ("at", .int), ("as_of", .int), ("event", .text), ("invoice", .text),
                                       ("client", .text), ("stage", .text), ("details", .text), ("prev_hash", .bytes),
                                       ("hash", .bytes)],
              key: "seq"),
        Table(name: "meta", columns: [("key", .text), ("value", .text)], key: "key"),
    ]

    /// Copies every row of `source` into the empty `destination` in one transaction there;
    /// returns the rows copied per table.
    @discardableResult
    public static func copy(from source: any LedgerCopySource, to destination: any LedgerCopyDestination) throws -> [(String, Int)] {
        var counts: [(String, Int)] = []
        try source.readingSnapshot {
            try destination.receiveCopy { insert in
                for table in tables {
                    var count = 0
                    try source.copyRows(table) { row in
                        try insert(table, row)
                        count += 1
                    }
                    counts.append((table.name, count))
                }
            }
        }
        return counts
    }
}
