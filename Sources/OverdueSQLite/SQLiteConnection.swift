import CSQLite
import Foundation
import OverdueCore

/// One open SQLite database: the libsqlite3 handle, a cache of prepared statements and
/// transactions. Every failure becomes `OverdueError(.ioError, "PATH: ...")`.
///
/// Not safe for concurrent use by itself; `SQLiteLedgerStore` serializes access with a lock.
public final class SQLiteConnection {
    /// The database file, as given; prefixed to every error message.
    public let path: String
    let handle: OpaquePointer
    private var cache: [String: Statement] = [:]

    /// Opens (creating if needed) the database at `path` for reading and writing.
    ///
    /// A missing parent folder is exit 73 (nothing can be created there); a file that is not a
    /// SQLite database is exit 74, reported on the first statement since SQLite opens lazily.
    public init(path: String, busyTimeout: Duration = .seconds(10)) throws {
        self.path = path
        let parent = (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        if !parent.isEmpty, !FileManager.default.fileExists(atPath: parent, isDirectory: &isFolder) || !isFolder.boolValue {
            throw OverdueError(.cannotCreate, "\(path): cannot create the database: folder \(parent) does not exist")
        }
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            let code: ExitCode = FileManager.default.fileExists(atPath: path) ? .ioError : .cannotCreate
            throw OverdueError(code, "\(path): cannot open the database: \(message)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        let (seconds, attoseconds) = busyTimeout.components
        sqlite3_busy_timeout(db, Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }

    deinit {
        cache.removeAll()   // finalizes every cached statement before the handle closes
        sqlite3_close_v2(handle)
    }

    // MARK: Statements

    /// The prepared statement for `sql`, reset and with its bindings cleared; prepared once
    /// per connection and reused, which is what makes a million-row import cheap.
    func prepare(_ sql: String) throws -> Statement {
        if let statement = cache[sql] {
            statement.reset()
            return statement
        }
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard rc == SQLITE_OK, let raw else { throw error(rc, doing: "prepare") }
        let statement = Statement(raw, connection: self)
        cache[sql] = statement
        return statement
    }

    /// A statement of its own, not shared through the cache: for cursors that stay open while
    /// a callback runs, which may itself run the cached statements.
    func prepareCursor(_ sql: String) throws -> Statement {
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &raw, nil)
        guard rc == SQLITE_OK, let raw else { throw error(rc, doing: "prepare") }
        return Statement(raw, connection: self)
    }

    /// Runs one or more statements that return no rows (schema scripts, pragmas that set).
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(message)
            throw OverdueError(.ioError, "\(path): \(describe(rc, text))")
        }
    }

    /// Runs a query and returns the first column of the first row as text (nil when no row).
    public func scalarText(_ sql: String) throws -> String? {
        let statement = try prepare(sql)
        defer { statement.reset() }
        return try statement.step() ? statement.text(0) : nil
    }

    /// Runs a query and returns the first column of the first row as an integer (nil when no row).
    public func scalarInt(_ sql: String) throws -> Int64? {
        let statement = try prepare(sql)
        defer { statement.reset() }
        return try statement.step() ? statement.int(0) : nil
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { Int(sqlite3_changes(handle)) }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Calls `body` with each line of SQLite's plan for `sql` (for tests that pin index use).
    public func explainQueryPlan(_ sql: String, _ body: (String) -> Void) throws {
        let cursor = try prepareCursor("EXPLAIN QUERY PLAN " + sql)
        while try cursor.step() { body(cursor.text(3)) }
    }

    // MARK: Transactions

    /// True while a transaction is open on this connection.
    var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` in one write transaction, committed when it returns and rolled back when
    /// it throws. `BEGIN IMMEDIATE` takes the write lock up front, so a concurrent writer
    /// (daemon and CLI) waits on busy_timeout instead of failing mid-transaction on upgrade.
    /// Nested calls become savepoints of the outer transaction.
    func write<T>(_ body: () throws -> T) throws -> T {
        try transaction(begin: "BEGIN IMMEDIATE", body)
    }

    /// Runs `body` in one read transaction: every query in it sees the same snapshot.
    func read<T>(_ body: () throws -> T) throws -> T {
        try transaction(begin: "BEGIN DEFERRED", body)
    }

    private func transaction<T>(begin: String, _ body: () throws -> T) throws -> T {
        if inTransaction {
            try execute("SAVEPOINT nested")
            do {
                let result = try body()
                try execute("RELEASE nested")
                return result
            } catch {
                try? execute("ROLLBACK TO nested; RELEASE nested")
                throw error
            }
        }
        try execute(begin)
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            if inTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    // MARK: Errors

    /// The error for a failed call, with SQLite's own message (which names the constraint).
    func error(_ rc: Int32, doing what: String? = nil) -> OverdueError {
        let text = String(cString: sqlite3_errmsg(handle))
        return OverdueError(.ioError, "\(path): \(describe(rc, text))")
    }

    private func describe(_ rc: Int32, _ text: String) -> String {
        switch rc & 0xFF {
        case SQLITE_NOTADB: "not a SQLite database (\(text))"
        case SQLITE_BUSY: "the database is locked by another process (\(text))"
        case SQLITE_READONLY: "the database is read-only (\(text))"
        case SQLITE_FULL: "the disk is full (\(text))"
        default: text
        }
    }
}
