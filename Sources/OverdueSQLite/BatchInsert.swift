import OverdueCore

/// Collects rows for one table and writes them with multi-row `INSERT … VALUES (…), (…)`
/// statements, `batchSize` rows at a time.
///
/// Added values are copied into one byte arena (text and blobs) and a list of slots, and bound
/// from there without a copy: nothing the caller passes is kept, so its reused buffers stay
/// unshared, and a row costs no allocation (a batch costs two when it is written behind).
///
/// Executing a statement costs SQLite more than adding a row to a b-tree (a cursor opened and
/// closed, the VDBE program started and halted); one statement per 64 rows is what lets a
/// million-row import keep pace with sqlite3's own `.import`. Rows are only written by `add`
/// filling a batch and by `flush`, so the caller flushes before it reads the table back (and
/// inside `SQLiteConnection.writingBehind`, reading waits until they are written).
struct BatchInsert {
    private let db: SQLiteConnection
    private let prefix: String
    private let suffix: String
    private let columns: Int
    private let batchSize: Int
    /// One bound parameter: a number, NULL, or a range of `arena`.
    private typealias Slot = Statement.ArenaValue
    private var slots: [Slot] = []
    private var arena: [UInt8] = []
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
        slots.reserveCapacity(columns * batchSize)
        arena.reserveCapacity(256 * batchSize)
    }

    private static func sql(prefix: String, suffix: String, columns: Int, rows: Int) -> String {
        let group = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return prefix + " " + Array(repeating: group, count: rows).joined(separator: ", ") + " " + suffix
    }

    var isEmpty: Bool { rows == 0 }

    mutating func add(_ row: [SQLValue]) throws {
        assert(row.count == columns)
        for value in row { append(value) }
        try endRow()
    }

    /// Ends a row given value by value with `append` (no array per row on hot paths).
    mutating func endRow() throws {
        rows += 1
        assert(slots.count == rows * columns)
        if rows == batchSize { try flush() }
    }

    mutating func flush() throws {
        guard rows > 0 else { return }
        // One cached statement per batch size in use: the full one, and the remainder's.
        // Inside `writingBehind` the batch is written on a second thread: it takes these
        // buffers, and the next batch fills new ones.
        try db.insert(rows == batchSize ? fullBatchSQL : BatchInsert.sql(prefix: prefix, suffix: suffix, columns: columns, rows: rows),
                      slots, borrowing: arena, rows: rows)
        slots.removeAll(keepingCapacity: true)
        arena.removeAll(keepingCapacity: true)
        rows = 0
    }

    /// Adds the next value of the current row; `endRow` closes it.
    mutating func append(_ value: SQLValue) {
        switch value {
        case .null: slots.append(.null)
        case .int(let v): slots.append(.int(v))
        case .text(var text):
            let start = arena.count
            text.withUTF8 { arena.append(contentsOf: $0) }
            slots.append(.text(start..<arena.count))
        case .utf8(let bytes):
            let start = arena.count
            arena.append(contentsOf: bytes)
            slots.append(.text(start..<arena.count))
        case .blob(let bytes):
            let start = arena.count
            arena.append(contentsOf: bytes)
            slots.append(.blob(start..<arena.count))
        }
    }
}
