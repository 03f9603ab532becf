import CSQLite
import Foundation

/// SQLite's "copy the bytes now" destructor, which the C macro `SQLITE_TRANSIENT` spells as -1.
private var transient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

/// A prepared statement: bind parameters by 1-based index, step, read columns by 0-based index.
///
/// Owned and cached by its `SQLiteConnection`; callers get it reset and never finalize it.
final class Statement {
    private let raw: OpaquePointer
    private unowned let connection: SQLiteConnection

    init(_ raw: OpaquePointer, connection: SQLiteConnection) {
        self.raw = raw
        self.connection = connection
    }

    deinit { sqlite3_finalize(raw) }

    func reset() {
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
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(raw, index)
        case .int(let v): rc = sqlite3_bind_int64(raw, index, v)
        case .text(var s): rc = s.withUTF8 { bindText($0, at: index) }
        case .utf8(let bytes): rc = bytes.withUnsafeBufferPointer { bindText($0, at: index) }
        case .blob(let bytes):
            rc = bytes.withUnsafeBytes { buffer in
                buffer.isEmpty ? sqlite3_bind_zeroblob(raw, index, 0)
                    : sqlite3_bind_blob(raw, index, buffer.baseAddress, Int32(buffer.count), transient)
            }
        }
        guard rc == SQLITE_OK else { throw connection.error(rc) }
    }

    /// Binds bytes that stay valid and unchanged until the statement is reset (SQLITE_STATIC:
    /// SQLite reads them in place, no copy).
    func bindText(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int32) throws {
        let rc = bytes.isEmpty ? sqlite3_bind_text(raw, index, "", 0, transient)
            : sqlite3_bind_text(raw, index, bytes.baseAddress, Int32(bytes.count), nil)
        guard rc == SQLITE_OK else { throw connection.error(rc) }
    }

    /// As `bindText`, for a blob (an empty one is a zero-length blob, not NULL).
    func bindBlob(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int32) throws {
        let rc = bytes.isEmpty ? sqlite3_bind_zeroblob(raw, index, 0)
            : sqlite3_bind_blob(raw, index, bytes.baseAddress, Int32(bytes.count), nil)
        guard rc == SQLITE_OK else { throw connection.error(rc) }
    }

    private func bindText(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int32) -> Int32 {
        // An empty buffer may have no address, which SQLite would store as NULL.
        bytes.isEmpty ? sqlite3_bind_text(raw, index, "", 0, transient)
            : sqlite3_bind_text(raw, index, bytes.baseAddress, Int32(bytes.count), transient)
    }

    // MARK: Stepping

    /// Advances to the next row; false when the statement is done.
    func step() throws -> Bool {
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

    /// A blob column as lower-case hex (stored hashes), straight from SQLite's buffer.
    func hexBlob(_ column: Int32) -> String {
        let count = Int(sqlite3_column_bytes(raw, column))
        guard count > 0, let bytes = sqlite3_column_blob(raw, column) else { return "" }
        let source = UnsafeRawBufferPointer(start: bytes, count: count)
        return String(unsafeUninitializedCapacity: count * 2) { buffer in
            let digits: StaticString = "0123456789abcdef"
            let table = digits.utf8Start
            for (i, byte) in source.enumerated() {
                buffer[2 * i] = table[Int(byte >> 4)]
                buffer[2 * i + 1] = table[Int(byte & 0x0F)]
            }
            return count * 2
        }
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
