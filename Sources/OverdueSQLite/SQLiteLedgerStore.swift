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
/// One connection, guarded by a recursive lock so the daemon may call it from its timer queue
/// and a `forEachInvoiceContext` body may call back into the store.
public final class SQLiteLedgerStore: LedgerStore, @unchecked Sendable {
    /// The underlying connection, for tools and tests that need raw SQL.
    public let connection: SQLiteConnection
    var db: SQLiteConnection { connection }
    private let lock = NSRecursiveLock()

    /// Opens (creating and migrating if needed) the ledger at `path`.
    ///
    /// Throws 73 when the folder does not exist, 74 when the file is not a SQLite database,
    /// its schema is newer than this program, or WAL/FULL cannot be had.
    public init(path: String) throws {
        connection = try SQLiteConnection(path: path)
        let mode = try SQLiteLedgerStore.switchToWAL(db)
        // A 64 MiB page cache (default 2 MiB) keeps a large import from spilling to the WAL mid-transaction.
        try db.execute("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536")
        let (journal, sync) = try readPragmas()
        guard journal == "wal" else {
            throw OverdueError(.ioError, "\(path): cannot use write-ahead logging (journal_mode is \(journal.isEmpty ? mode : journal))")
        }
        guard sync == 2 else { throw OverdueError(.ioError, "\(path): cannot set synchronous=FULL (it is \(sync))") }
        try Schema.migrate(db)
        try auditMigratedFees()
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
    func writing<T>(_ context: ChangeContext, batched: Bool = false, _ body: (inout AuditAppender) throws -> T) throws -> T {
        try locked {
            try db.write {
                var audit = try AuditAppender(db, context: context, batched: batched)
                let result = try body(&audit)
                try audit.finish()
                return result
            }
        }
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
