import CSQLite
import OverdueCore
import Foundation

/// SQLite's "copy the bytes now" destructor, which the C macro `SQLITE_TRANSIENT` spells as -1.
private var transient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

/// A prepared statement: bind parameters by 1-based index, step, read columns by 0-based index.
///
/// Owned and cached by its `SQLiteConnection`; callers get it reset and never finalize it.
final class Statement {
    private let raw: OpaquePointer
    private unowned let connection: SQLiteConnection
    /// The connection's statements handed to another thread: every call below waits for them
    /// first, except the `…Now` ones that thread itself runs (`WriteBehind`). Held here rather
    /// than read through `connection` on each step, which would retain the connection each time.
    private let behind: WriteBehind

    init(_ raw: OpaquePointer, connection: SQLiteConnection) {
        self.raw = raw
        self.connection = connection
        behind = connection.behind
    }

    deinit { sqlite3_finalize(raw) }

    func reset() {
        behind.settle()
        resetNow()
    }

    /// `reset` without waiting for writes behind: for the thread that runs them.
    func resetNow() {
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }

    // MARK: Binding

    /// Binds the values in order from parameter 1; returns self for chaining into `run`/`step`.
    @discardableResult
    func bind(_ values: SQLValue...) throws -> Statement {
        for (offset, value) in values.enumerated() { try bind(value, at: Int32(offset + 1)) }
        return self
    }

    func bind(_ value: SQLValue, at index: Int32) throws {
        try behind.drain()
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(raw, index)
        case .int(let v): rc = sqlite3_bind_int64(raw, index, v)
        case .text(var s): rc = s.withUTF8 { bindBytes($0, at: index, blob: false, copied: true) }
        case .utf8(let bytes): rc = bytes.withUnsafeBufferPointer { bindBytes($0, at: index, blob: false, copied: true) }
        case .blob(let bytes): rc = bytes.withUnsafeBufferPointer { bindBytes($0, at: index, blob: true, copied: true) }
        }
        guard rc == SQLITE_OK else { throw connection.error(rc) }
    }

    /// A parameter of `run(_:borrowing:)`: text and blobs are ranges of its arena.
    enum ArenaValue {
        case null
        case int(Int64)
        case text(Range<Int>)
        case blob(Range<Int>)
    }

    /// Binds `values` in order from parameter 1, runs the statement and resets it, all while
    /// `arena` is held: SQLite reads the text and blobs in place (no copy), and the bindings
    /// are cleared before the bytes can go away. It does not wait for writes behind: it is how
    /// they are run (`SQLiteConnection.insert`).
    func run(_ values: [ArenaValue], borrowing arena: [UInt8]) throws {
        try arena.withUnsafeBufferPointer { arena in
            defer { resetNow() }
            for (offset, value) in values.enumerated() {
                let index = Int32(offset + 1)
                let rc: Int32
                switch value {
                case .null: rc = sqlite3_bind_null(raw, index)
                case .int(let v): rc = sqlite3_bind_int64(raw, index, v)
                case .text(let range): rc = bindBytes(UnsafeBufferPointer(rebasing: arena[range]), at: index, blob: false, copied: false)
                case .blob(let range): rc = bindBytes(UnsafeBufferPointer(rebasing: arena[range]), at: index, blob: true, copied: false)
                }
                guard rc == SQLITE_OK else { throw connection.error(rc) }
            }
            while try stepNow() {}
        }
    }

    /// `copied`: SQLite copies the bytes now (SQLITE_TRANSIENT); otherwise it reads them in
    /// place until the statement is reset (SQLITE_STATIC), which only `run(_:borrowing:)` may ask.
    private func bindBytes(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int32, blob: Bool, copied: Bool) -> Int32 {
        // An empty buffer may have no address, which SQLite would store as NULL: empty text is
        // "", an empty blob a zero-length blob.
        if bytes.isEmpty { return blob ? sqlite3_bind_zeroblob(raw, index, 0) : sqlite3_bind_text(raw, index, "", 0, transient) }
        let destructor = copied ? transient : nil
        return blob ? sqlite3_bind_blob(raw, index, bytes.baseAddress, Int32(bytes.count), destructor)
            : sqlite3_bind_text(raw, index, bytes.baseAddress, Int32(bytes.count), destructor)
    }

    // MARK: Stepping

    /// Advances to the next row; false when the statement is done.
    func step() throws -> Bool {
        try behind.drain()
        return try stepNow()
    }

    /// `step` without waiting for writes behind: for the thread that runs them.
    private func stepNow() throws -> Bool {
        let rc = sqlite3_step(raw)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = connection.error(rc)
            sqlite3_reset(raw)
            throw error
        }
    }

    /// Runs a statement that returns no rows, then resets it.
    func run() throws {
        defer { reset() }
        while try step() {}
    }

    // MARK: Columns

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(raw, column) == SQLITE_NULL }

    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(raw, column) }

    func bool(_ column: Int32) -> Bool { sqlite3_column_int64(raw, column) != 0 }

    func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(raw, column) else { return "" }
        let count = Int(sqlite3_column_bytes(raw, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// The column's text bytes, valid only inside `body` (no String made).
    func withBytes<T>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        guard let bytes = sqlite3_column_text(raw, column) else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        return body(UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(raw, column))))
    }

    func blob(_ column: Int32) -> [UInt8] {
        guard let bytes = sqlite3_column_blob(raw, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(raw, column))))
    }

    /// A blob column as lower-case hex (stored hashes), read from SQLite's buffer in place.
    func hexBlob(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_blob(raw, column) else { return "" }
        return hexString(UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(raw, column))))
    }

    func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }

    func optionalInt(_ column: Int32) -> Int64? { isNull(column) ? nil : int(column) }
}

/// A value to bind to a statement parameter.
enum SQLValue {
    case null
    case int(Int64)
    case text(String)
    /// Text already encoded as UTF-8 (built in a byte buffer).
    case utf8([UInt8])
    case blob([UInt8])

    static func optional(_ text: String?) -> SQLValue { text.map(SQLValue.text) ?? .null }
    static func optional(_ value: Int64?) -> SQLValue { value.map(SQLValue.int) ?? .null }
    static func bool(_ flag: Bool) -> SQLValue { .int(flag ? 1 : 0) }
}
