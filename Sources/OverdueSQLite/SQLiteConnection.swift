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
    /// The database file as this connection opened it (nil for an in-memory database): its
    /// identity is compared with the path before each write, and the sender lock is taken on it.
    private(set) var file: LedgerFile?
    /// Whether `close()` ran; every later statement fails instead of touching a freed handle.
    public private(set) var isClosed = false
    /// The result code of the last failure reported through `error(_:)`, for callers that
    /// retry transient ones (busy, locked, full).
    private(set) var lastResultCode: Int32 = SQLITE_OK
    /// The busy handler's state: how long a statement may wait for another connection's lock.
    private let busyWait: BusyWait
    /// Batch inserts handed to a second thread inside `writingBehind`; every other call into
    /// SQLite waits for them first.
    let behind = WriteBehind()
    private var writesBehind = false

    /// How often a statement that finds the database locked tries again. SQLite's own
    /// `sqlite3_busy_timeout` handler backs off to 100 ms between tries, so a writer waiting on
    /// a chunked import would miss any shorter gap between its chunks; a short fixed interval
    /// lets the import's pause between chunks be a few intervals long (`importChunk`).
    static let busyPollMicroseconds: UInt32 = 2000

    /// Opens the database at `path` for reading and writing, creating the file if `create`.
    ///
    /// A missing parent folder is exit 73 (nothing can be created there); a file that is not a
    /// SQLite database is exit 74, reported on the first statement since SQLite opens lazily.
    public init(path: String, create: Bool = true, busyTimeout: Duration = .seconds(10)) throws {
        self.path = path
        let parent = (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        if !parent.isEmpty, !FileManager.default.fileExists(atPath: parent, isDirectory: &isFolder) || !isFolder.boolValue {
            throw OverdueError(.cannotCreate, "\(path): cannot create the database: folder \(parent) does not exist")
        }
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX
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
        busyWait = BusyWait(timeoutNanoseconds: UInt64(clamping: seconds) &* 1_000_000_000 + UInt64(clamping: attoseconds / 1_000_000_000))
        sqlite3_busy_handler(db, pollWhileBusy, Unmanaged.passUnretained(busyWait).toOpaque())
        if path != ":memory:", !path.isEmpty {
            do {
                file = try LedgerFile(path: path)
            } catch {
                sqlite3_close_v2(db)
                throw error
            }
        }
    }

    deinit { close() }

    /// Closes the database: SQLite writes back (checkpoints) what this process committed, even
    /// into a write-ahead log someone deleted. Only then is the file's own descriptor closed,
    /// since closing any descriptor of a file drops the POSIX locks SQLite holds on it.
    public func close() {
        guard !isClosed else { return }
        behind.discard()
        isClosed = true
        cache.removeAll()   // finalizes every cached statement before the handle closes
        sqlite3_busy_handler(handle, nil, nil)   // `busyWait` may go before a deferred close completes
        sqlite3_close_v2(handle)
        file?.close()
    }

    /// Throws 74 when the file at `path` is no longer the one this connection writes to (deleted,
    /// replaced, or its write-ahead log or shared-memory index deleted): every further commit
    /// would go to a file nobody will read.
    public func checkStillOnDisk() throws {
        guard !isClosed else { throw OverdueError(.ioError, "\(path): the database is closed") }
        try file?.checkStillOnDisk()
    }

    // MARK: Statements

    /// The prepared statement for `sql`, reset and with its bindings cleared; prepared once
    /// per connection and reused, which is what makes a million-row import cheap.
    func prepare(_ sql: String) throws -> Statement {
        try behind.drain()
        return try cached(sql)
    }

    /// `prepare` without waiting for writes behind: for the thread that runs them.
    private func cached(_ sql: String) throws -> Statement {
        guard !isClosed else { throw OverdueError(.ioError, "\(path): the database is closed") }
        if let statement = cache[sql] {
            statement.resetNow()
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
        try behind.drain()
        guard !isClosed else { throw OverdueError(.ioError, "\(path): the database is closed") }
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &raw, nil)
        guard rc == SQLITE_OK, let raw else { throw error(rc, doing: "prepare") }
        return Statement(raw, connection: self)
    }

    /// Runs one or more statements that return no rows (schema scripts, pragmas that set).
    public func execute(_ sql: String) throws {
        try behind.drain()
        try executeNow(sql)
    }

    /// `execute` without waiting for writes behind or throwing their failure: for a rollback,
    /// which undoes them.
    func executeNow(_ sql: String) throws {
        guard !isClosed else { throw OverdueError(.ioError, "\(path): the database is closed") }
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(message)
            lastResultCode = rc
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
    var changes: Int {
        behind.settle()
        return Int(sqlite3_changes(handle))
    }

    var lastInsertRowID: Int64 {
        behind.settle()
        return sqlite3_last_insert_rowid(handle)
    }

    /// Runs a multi-row insert (`BatchInsert`) that must write `rows` rows, binding `values`
    /// from `arena` in place. Inside `writingBehind` it is handed to the second thread and this
    /// returns at once; its failure is thrown by a later call.
    func insert(_ sql: String, _ values: [Statement.ArenaValue], borrowing arena: [UInt8], rows: Int) throws {
        guard writesBehind else { return try insertNow(sql, values, borrowing: arena, rows: rows) }
        // Safe to hand over: the owner's every call into SQLite waits until this has run.
        nonisolated(unsafe) let connection = self
        try behind.hand { try connection.insertNow(sql, values, borrowing: arena, rows: rows) }
    }

    private func insertNow(_ sql: String, _ values: [Statement.ArenaValue], borrowing arena: [UInt8], rows: Int) throws {
        try cached(sql).run(values, borrowing: arena)
        let written = Int(sqlite3_changes(handle))
        guard written == rows else {
            throw OverdueError(.ioError, "\(path): \(rows) rows written as \(written) (\(sql.prefix(40))…)")
        }
    }

    /// Runs `body` with its batch inserts written on a second thread while it builds the next
    /// ones (`WriteBehind`): for an import, whose rows are built in Swift and written by SQLite.
    /// Every insert has run when it returns.
    func writingBehind<T>(_ body: () throws -> T) throws -> T {
        guard !writesBehind else { return try body() }
        writesBehind = true
        defer {
            behind.settle()
            writesBehind = false
        }
        let result = try body()
        try behind.drain()
        return result
    }

    /// Calls `body` with each line of SQLite's plan for `sql` (for tests that pin index use).
    public func explainQueryPlan(_ sql: String, _ body: (String) -> Void) throws {
        let cursor = try prepareCursor("EXPLAIN QUERY PLAN " + sql)
        while try cursor.step() { body(cursor.text(3)) }
    }

    // MARK: Errors

    /// The error for a failed call, with SQLite's own message (which names the constraint).
    func error(_ rc: Int32, doing what: String? = nil) -> OverdueError {
        lastResultCode = rc
        let text = String(cString: sqlite3_errmsg(handle))
        return OverdueError(.ioError, "\(path): \(describe(rc, text))")
    }

    /// True for a failure that goes away by itself (another process's write lock, a full disk
    /// that gets space, a failed write): worth waiting for rather than giving up.
    var lastFailureIsTransient: Bool {
        switch lastResultCode & 0xFF {
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL, SQLITE_IOERR: true
        default: false
        }
    }

    /// Forgets the last failure, before an attempt whose own failure is to be classified.
    func clearLastFailure() { lastResultCode = SQLITE_OK }

    private func describe(_ rc: Int32, _ text: String) -> String {
        // SQLite reports some writes that ran out of space as a generic I/O error.
        let errno = sqlite3_system_errno(handle)
        if rc & 0xFF == SQLITE_FULL || (rc & 0xFF == SQLITE_IOERR && (errno == ENOSPC || errno == EDQUOT || errno == EFBIG)) {
            return DiskSpace.fullMessage(writing: path, errno: rc & 0xFF == SQLITE_FULL ? ENOSPC : errno) + " (\(text))"
        }
        switch rc & 0xFF {
        case SQLITE_NOTADB: return "not a SQLite database (\(text))"
        case SQLITE_BUSY: return "the database is locked by another process (\(text))"
        case SQLITE_READONLY: return "the database is read-only (\(text))"
        default: return text
        }
    }
}

/// When the current wait for a lock began, and how long it may last.
private final class BusyWait {
    let timeoutNanoseconds: UInt64
    var startedNanoseconds: UInt64 = 0

    init(timeoutNanoseconds: UInt64) { self.timeoutNanoseconds = timeoutNanoseconds }
}

/// SQLite's busy handler (`count` is 0 at the first try of each wait): sleeps one poll interval
/// and tries again until the timeout has passed, then gives up with SQLITE_BUSY.
private func pollWhileBusy(_ context: UnsafeMutableRawPointer?, _ count: Int32) -> Int32 {
    guard let context else { return 0 }
    let wait = Unmanaged<BusyWait>.fromOpaque(context).takeUnretainedValue()
    let now = DispatchTime.now().uptimeNanoseconds
    if count == 0 { wait.startedNanoseconds = now }
    guard now - wait.startedNanoseconds < wait.timeoutNanoseconds else { return 0 }
    usleep(SQLiteConnection.busyPollMicroseconds)
    return 1
}
