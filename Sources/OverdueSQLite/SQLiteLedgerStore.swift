import Foundation
import OverdueCore

/// The ledger in one SQLite file: the production `LedgerStore`.
///
/// Opening sets WAL (readers never block the daemon's writes), `synchronous=FULL` (a commit is
/// on disk when it returns: an outbox row must survive a power cut before the first SMTP byte)
/// and foreign keys, then reads both pragmas back and refuses to run if SQLite silently kept
/// something else. Every mutating method is one `BEGIN IMMEDIATE` transaction that also appends
/// its audit entries.
///
/// One connection, guarded by a recursive lock so a `forEachInvoiceContext` body may call back
/// into the store. Not `Sendable`: each process uses its store from one thread at a time.
public final class SQLiteLedgerStore: LedgerStore {
    /// The underlying connection, for tools and tests that need raw SQL.
    public let connection: SQLiteConnection
    var db: SQLiteConnection { connection }
    private let lock = NSRecursiveLock()
    private var persistenceFailureHandler: (@Sendable (String) -> Void)?
    /// The time of what the store records on its own (the audit entries of a migration).
    let clock: any WallClock

    /// When opening may create the ledger. A ledger is made only where the owner asked for
    /// one: a command that merely reads or sends on a missing ledger would otherwise start an
    /// empty one, and the next import and tick would send every open invoice's reminders again.
    public enum Creation: Sendable {
        /// The ledger must exist (reading, sending and changing commands).
        case never
        /// Create it when no file is there (`overdue import`, `invoice add`).
        case ifMissing
        /// Create it when no file is there and its folder holds no SQLite database and no
        /// leftovers of this one (`-wal`, `-shm`, `-journal`): the service's first start on an
        /// empty state directory, never a typo beside the real ledger or a deleted ledger.
        case onFirstStart
        /// Create it; an existing file of any kind is refused (`overdue init`).
        case new
    }

    /// Opens (creating when `creating` allows, and migrating if needed) the ledger at `path`.
    ///
    /// Throws 73 when the folder does not exist or `.new` finds a ledger already there; 74 when
    /// the ledger is missing and may not be created, when the file is not an overdue ledger
    /// (empty, not SQLite, another program's database), its schema is newer than this program,
    /// or WAL/FULL cannot be had. A file that is not a ledger is never written to.
    public init(path: String, creating: Creation = .ifMissing, clock: any WallClock = SystemClock()) throws {
        self.clock = clock
        try SQLiteLedgerStore.checkFolder(of: path)
        var info = stat()
        if stat(path, &info) != 0 {
            guard errno == ENOENT else {
                throw OverdueError(.ioError, "\(path): cannot read the database file's status: \(String(cString: strerror(errno)))")
            }
            switch creating {
            case .never:
                throw OverdueError(.ioError, "\(path): no ledger here (no such file); check daemon.database, or create a new ledger with `overdue init` (or by importing invoices with `overdue import`)")
            case .onFirstStart:
                if let other = SQLiteLedgerStore.ledgerLikeFile(besides: path) {
                    throw OverdueError(.ioError, "\(path): no ledger here (no such file), but \(other) is in the same folder; not starting a new, empty ledger beside it: check daemon.database, or create a new ledger with `overdue init`")
                }
            case .ifMissing, .new:
                break
            }
            if try !SQLiteLedgerStore.create(at: path), creating == .new {
                throw OverdueError(.cannotCreate, "\(path): a ledger already exists here; nothing changed")
            }
        } else if creating == .new {
            let store = try SQLiteLedgerStore(path: path, creating: .never)
            store.close()
            throw OverdueError(.cannotCreate, "\(path): a ledger already exists here; nothing changed")
        }
        connection = try SQLiteConnection(path: path, create: false)
        do {
            try SQLiteLedgerStore.checkIsLedger(db)
            let mode = try SQLiteLedgerStore.switchToWAL(db)
            // A 64 MiB page cache (default 2 MiB) keeps a large import from spilling to the WAL mid-transaction.
            try db.execute("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536")
            let (journal, sync) = try readPragmas()
            guard journal == "wal" else {
                throw OverdueError(.ioError, "\(path): cannot use write-ahead logging (journal_mode is \(journal.isEmpty ? mode : journal))")
            }
            guard sync == 2 else { throw OverdueError(.ioError, "\(path): cannot set synchronous=FULL (it is \(sync))") }
            db.file?.recordCompanions()
            try Schema.migrate(db)
            try auditMigratedFees()
        } catch {
            connection.close()
            throw error
        }
    }

    private static func checkFolder(of path: String) throws {
        let parent = (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        if !parent.isEmpty, !FileManager.default.fileExists(atPath: parent, isDirectory: &isFolder) || !isFolder.boolValue {
            throw OverdueError(.cannotCreate, "\(path): cannot create the database: folder \(parent) does not exist")
        }
    }

    /// Makes a complete ledger (schema, WAL) under a temporary name beside `path` and links it
    /// into place, so no process ever sees a half-made ledger at `path`. False when another
    /// process put a file there first (which is then opened as any existing file is).
    private static func create(at path: String) throws -> Bool {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let scratch = (folder.isEmpty ? "" : folder + "/") + ".\(name).new-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { for suffix in ["", "-wal", "-shm"] { unlink(scratch + suffix) } }
        do {
            try LedgerFile.createPrivate(at: scratch)
            let blank = try SQLiteConnection(path: scratch)
            defer { blank.close() }   // the last connection checkpoints and removes -wal and -shm
            _ = try switchToWAL(blank)
            try blank.execute("PRAGMA synchronous = FULL")
            try Schema.migrate(blank)
        }
        if link(scratch, path) != 0 {
            var failure = errno
            if failure == EEXIST { return false }
            // A file system without hard links gets a rename, checked just before, which leaves
            // an instant in which a ledger made by another process could be replaced.
            if failure == EPERM || failure == EOPNOTSUPP {
                if access(path, F_OK) == 0 { return false }
                failure = rename(scratch, path) == 0 ? 0 : errno
            }
            guard failure == 0 else {
                throw OverdueError(.cannotCreate, "\(path): cannot create the database: \(String(cString: strerror(failure)))")
            }
        }
        // The new name must survive a power cut as the file's contents do.
        let fd = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            Glibc.close(fd)
        }
        return true
    }

    /// Refuses, before anything is written to it, a file that is not an overdue ledger.
    private static func checkIsLedger(_ db: SQLiteConnection) throws {
        let path = db.path
        if db.file?.size == 0 {
            throw OverdueError(.ioError, "\(path): the file is empty (0 bytes), not an overdue ledger; restore the ledger from a backup, or move the file away and create a new ledger with `overdue init`")
        }
        let version = try db.scalarInt("PRAGMA user_version") ?? 0
        let tables = try db.scalarInt("""
            SELECT count(*) FROM sqlite_schema WHERE type = 'table'
                AND (name = 'clients' OR name = 'invoices' OR name = 'dispatches' OR name = 'audit' OR name = 'meta')
            """) ?? 0
        guard version >= 1, tables == 5 else {
            throw OverdueError(.ioError, "\(path): a SQLite database, but not an overdue ledger (no overdue schema); check daemon.database, or move the file away and create a new ledger with `overdue init`")
        }
    }

    /// A file in `path`'s folder that suggests a ledger lives, or lived, there: a leftover of
    /// this one, or any SQLite database (found by its header).
    private static func ledgerLikeFile(besides path: String) -> String? {
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return nil }
        let header = Array("SQLite format 3\u{0}".utf8)
        for entry in entries.sorted() where !entry.hasPrefix(".\(name).new-") {
            let full = folder + "/" + entry
            if ["-wal", "-shm", "-journal", ".lock"].contains(where: { entry == name + $0 }) { return full }
            var info = stat()
            guard stat(full, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            let fd = open(full, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { continue }
            var start = [UInt8](repeating: 0, count: header.count)
            let count = read(fd, &start, header.count)
            Glibc.close(fd)
            if count == header.count, start == header { return full }
        }
        return nil
    }

    /// Closes the database (see `SQLiteConnection.close`); every later call fails with 74.
    public func close() {
        try? locked { connection.close() }
    }

    /// Throws 74 when the ledger file, its write-ahead log or its shared-memory index is no
    /// longer the file on disk that this store opened.
    public func checkStillOnDisk() throws {
        try locked { try connection.checkStillOnDisk() }
    }

    /// Takes the sender lock on the ledger file itself (see `LedgerFile`), held until the
    /// store closes or the process ends; 75 when another process holds it.
    public func lockForSending() throws {
        try locked {
            guard let file = connection.file, !connection.isClosed else {
                throw OverdueError(.ioError, "\(connection.path): the database is closed")
            }
            try file.lockForSending()
        }
    }

    /// Switches a connection to WAL. Two processes doing this on the same brand-new file can see
    /// SQLITE_BUSY at once, without the busy handler being consulted; a short retry settles it.
    /// (A file that is not a database fails every attempt, after half a second.)
    private static func switchToWAL(_ db: SQLiteConnection) throws -> String {
        var attempt = 0
        while true {
            do {
                return try db.scalarText("PRAGMA journal_mode = WAL") ?? ""
            } catch {
                attempt += 1
                guard attempt < 50 else { throw error }
                usleep(10_000)
            }
        }
    }

    /// The journal mode and synchronous level in force, as SQLite reports them
    /// (`("wal", 2)` for an open ledger; 2 is FULL).
    public func pragmas() -> (journalMode: String, synchronous: Int) {
        (try? locked { try readPragmas() }) ?? ("unknown", -1)
    }

    /// `PRAGMA user_version`: how many schema migrations the file has had.
    public func schemaVersion() throws -> Int64 {
        try locked { try db.scalarInt("PRAGMA user_version") ?? 0 }
    }

    private func readPragmas() throws -> (journalMode: String, synchronous: Int) {
        let journal = try db.scalarText("PRAGMA journal_mode") ?? ""
        let sync = try db.scalarInt("PRAGMA synchronous") ?? -1
        return (journal.lowercased(), Int(sync))
    }

    // MARK: Transactions with audit

    func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// One write transaction with an audit appender positioned after the last entry.
    ///
    /// `persist`: for what must not be given up, as the outcome of a message the server already
    /// has. A transient failure (another process's write lock outlasting busy_timeout, a full
    /// disk, a failed write) rolls the transaction back and runs it again after a pause, until
    /// it commits; each failure is reported to `onPersistenceFailure` (the daemon logs it at
    /// error priority). Anything else, such as a ledger no longer on disk, is thrown at once.
    func writing<T>(_ context: ChangeContext, batched: Bool = false, durability: SQLiteConnection.Durability = .full,
                    persist: Bool = false, _ body: (inout AuditAppender) throws -> T) throws -> T {
        try PersistentWrite.run(persist: persist, isTransient: { db.lastFailureIsTransient && !db.inTransaction },
                                report: { onPersistenceFailure?($0) }, pause: { Thread.sleep(forTimeInterval: $0) }) {
            try locked {
                db.clearLastFailure()
                return try db.write(durability) {
                    var audit = try AuditAppender(db, context: context, batched: batched)
                    let result = try body(&audit)
                    try audit.finish()
                    return result
                }
            }
        }
    }

    /// Told of each failed attempt of a `persist` write before it is tried again.
    public var onPersistenceFailure: (@Sendable (String) -> Void)? {
        get { lock.lock(); defer { lock.unlock() }; return persistenceFailureHandler }
        set { lock.lock(); defer { lock.unlock() }; persistenceFailureHandler = newValue }
    }

    /// One read transaction: a consistent snapshot for everything `body` reads.
    func reading<T>(_ body: () throws -> T) throws -> T {
        try locked { try db.read(body) }
    }

    // MARK: Daemon state

    public func meta(_ key: String) throws -> String? {
        try locked {
            let statement = try db.prepare("SELECT value FROM meta WHERE key = ?")
            defer { statement.reset() }
            return try statement.bind(.text(key)).step() ? statement.text(0) : nil
        }
    }

    public func setMeta(_ key: String, _ value: String) throws {
        try locked {
            try db.write {
                try db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                    .bind(.text(key), .text(value)).run()
            }
        }
    }
}
