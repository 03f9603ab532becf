import OverdueCore

/// Collects rows for one table and writes them with multi-row `INSERT … VALUES (…), (…)`
/// statements, `batchSize` rows at a time.
///
/// Executing a statement costs SQLite more than adding a row to a b-tree (a cursor opened and
/// closed, the VDBE program started and halted); one statement per 64 rows is what lets a
/// million-row import keep pace with sqlite3's own `.import`. Rows are only written by `add`
/// filling a batch and by `flush`, so the caller flushes before it reads the table back.
struct BatchInsert {
    private let db: SQLiteConnection
    private let prefix: String
    private let suffix: String
    private let columns: Int
    private let batchSize: Int
    private var values: [SQLValue] = []
    private var rows = 0
    /// The statement text for a full batch, built once.
    private let fullBatchSQL: String

    /// `prefix` is `INSERT INTO t (a, b, …) VALUES`; `suffix` follows the value lists (an
    /// `ON CONFLICT` clause); every row must affect exactly one row.
    init(_ db: SQLiteConnection, prefix: String, columns: Int, suffix: String = "", batchSize: Int = 64) {
        self.db = db
        self.prefix = prefix
        self.suffix = suffix
        self.columns = columns
        self.batchSize = batchSize
        fullBatchSQL = BatchInsert.sql(prefix: prefix, suffix: suffix, columns: columns, rows: batchSize)
        values.reserveCapacity(columns * batchSize)
    }

    private static func sql(prefix: String, suffix: String, columns: Int, rows: Int) -> String {
        let group = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return prefix + " " + Array(repeating: group, count: rows).joined(separator: ", ") + " " + suffix
    }

    var isEmpty: Bool { rows == 0 }

    mutating func add(_ row: [SQLValue]) throws {
        assert(row.count == columns)
        values.append(contentsOf: row)
        rows += 1
        if rows == batchSize { try flush() }
    }

    mutating func flush() throws {
        guard rows > 0 else { return }
        // One cached statement per batch size in use: the full one, and the remainder's.
        let statement = try db.prepare(rows == batchSize ? fullBatchSQL
                                       : BatchInsert.sql(prefix: prefix, suffix: suffix, columns: columns, rows: rows))
        for (index, value) in values.enumerated() { try statement.bind(value, at: Int32(index + 1)) }
        try statement.run()
        guard db.changes == rows else {
            throw OverdueError(.ioError, "\(db.path): \(rows) rows written as \(db.changes) (\(prefix))")
        }
        values.removeAll(keepingCapacity: true)
        rows = 0
    }
}
