import Foundation
import OverdueCore

/// The ledger in a PostgreSQL database, shared by several daemons on several hosts: the
/// `LedgerStore` for `daemon.database = "postgresql://…"`.
///
/// The rules are the SQLite store's, transaction for transaction. What differs is how
/// writers are kept apart:
/// - Every audited change locks the chain's head row first (`PGAuditAppender`), so changes
///   are serialized as SQLite's `BEGIN IMMEDIATE` serializes them, and the chain stays one.
/// - Sending claims dispatches with `FOR UPDATE SKIP LOCKED` (`markSending`) instead of a lock
///   on the whole ledger: each sender is a row of `daemons` holding a session-level advisory
///   lock on its own key for as long as it lives. A `sending` dispatch whose sender's lock is
///   free was cut off mid-send: any sender makes it `ambiguous` (never resent by itself).
/// - Commits wait for the server's WAL flush (`synchronous_commit = on`), so a batch is
///   durable before its first byte goes out.
public final class PostgresLedgerStore: LedgerStore {
    /// The underlying session, for tools and tests that need raw SQL.
    public let connection: PGConnection
    var db: PGConnection { connection }
    var label: String { connection.label }
    private let lock = NSRecursiveLock()
    private var persistenceFailureHandler: (@Sendable (String) -> Void)?
    let clock: any WallClock
    /// This process's id among the senders, once it took the sender lock.
    public private(set) var daemonID: String?
    private var lockKey: Int64?

    /// The advisory-lock class of the daemons' locks (the key is `daemons.lock_key`).
    static let lockClass: Int64 = 0x4f44

    /// When opening may create the schema (as `SQLiteLedgerStore.Creation`).
    public enum Creation: Sendable {
        /// The schema must exist.
        case never
        /// Create it in a database that has none.
        case ifMissing
        /// Create it; a database that has one is refused (73).
        case new
    }

    /// True for the database strings this store opens.
    public static func handles(_ database: String) -> Bool {
        database.hasPrefix("postgresql://") || database.hasPrefix("postgres://")
    }

    /// Connects (libpq: URL, `password` from `daemon.password_file` if given, else PGPASSFILE,
    /// the service file, PG* variables) and migrates. 74 when the server cannot be reached or
    /// the database holds no ledger and `creating` is `.never`; 73 for `.new` on a ledger.
    public init(url: String, password: String? = nil, creating: Creation = .ifMissing,
                clock: any WallClock = SystemClock()) throws {
        self.clock = clock
        connection = try PGConnection(url: url, password: password)
        do {
            let version = try PGSchema.version(connection)
            switch (creating, version) {
            case (.never, nil):
                throw OverdueError(.ioError, "\(connection.label): no ledger here (the database holds no overdue schema); check daemon.database, or create a new ledger with `overdue init` (or by importing invoices with `overdue import`, or `overdue ledger copy`)")
            case (.new, .some):
                throw OverdueError(.cannotCreate, "\(connection.label): a ledger already exists here; nothing changed")
            default:
                break
            }
            try PGSchema.migrate(connection)
            connection.onReconnect = { [weak self] _ in try self?.retakeSenderLock() }
        } catch {
            connection.closedForGood = true
            connection.close()
            throw error
        }
    }

    /// True when the database at `url` holds a ledger (for checks that must not create one).
    public static func ledgerExists(url: String, password: String? = nil) throws -> Bool {
        let connection = try PGConnection(url: url, password: password)
        defer { connection.close() }
        return try PGSchema.version(connection) != nil
    }

    /// The schema version (as SQLite's `user_version`).
    public func schemaVersion() throws -> Int64 {
        try locked { try PGSchema.version(db) ?? 0 }
    }

    public func close() {
        lock.lock()
        defer { lock.unlock() }
        do {
            if let daemonID {
                _ = try? db.query("UPDATE daemons SET stopped = $1 WHERE id = $2", [.int(storedSeconds(clock.now())), .text(daemonID)])
            }
            connection.closedForGood = true
            connection.close()
        }
    }

    // MARK: Transactions with audit

    func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// One transaction with an audit appender. `serialized` (every change but a sending
    /// claim) locks the chain's head first, so audited changes run one at a time across all
    /// processes, as on SQLite. `persist`: retried after a transient failure (lost session,
    /// server restart) until it commits, each failure told to `onPersistenceFailure`.
    func writing<T>(_ context: ChangeContext, batched: Bool = false, serialized: Bool = true, persist: Bool = false,
                    _ body: (inout PGAuditAppender) throws -> T) throws -> T {
        try PersistentWrite.run(persist: persist, isTransient: { db.lastFailureIsTransient && !db.inTransaction },
                                report: { onPersistenceFailure?($0) }, pause: { Thread.sleep(forTimeInterval: $0) }) {
            try locked {
                db.clearLastFailure()
                return try db.transaction {
                    if serialized { try PGAuditAppender.lockChain(db) }
                    var audit = PGAuditAppender(db, context: context, batched: batched)
                    let result = try body(&audit)
                    try audit.finish()
                    return result
                }
            }
        }
    }

    /// Where the server's notices go (see `PGConnection.onNotice`); the CLI logs them as warnings.
    public var onServerNotice: (@Sendable (String) -> Void)? {
        get { lock.lock(); defer { lock.unlock() }; return connection.onNotice }
        set { lock.lock(); defer { lock.unlock() }; connection.onNotice = newValue }
    }

    public var onPersistenceFailure: (@Sendable (String) -> Void)? {
        get { lock.lock(); defer { lock.unlock() }; return persistenceFailureHandler }
        set { lock.lock(); defer { lock.unlock() }; persistenceFailureHandler = newValue }
    }

    /// One read transaction: one snapshot for everything `body` reads.
    func reading<T>(_ body: () throws -> T) throws -> T {
        try locked { try db.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ", body) }
    }

    // MARK: Daemon state

    public func meta(_ key: String) throws -> String? {
        try locked { try db.scalarText("SELECT value FROM meta WHERE key = $1", [.text(key)]) }
    }

    public func setMeta(_ key: String, _ value: String) throws {
        _ = try locked {
            try db.query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                         [.text(key), .text(value)])
        }
    }

    // MARK: Senders

    /// Registers this process as a sender (a `daemons` row) and takes the advisory lock on its
    /// key, held by the session until it ends. Other senders may run at once: they share the
    /// work by claiming batches. The id is `OVERDUE_DAEMON_ID` when set (75 when a live sender
    /// has it), else `host:pid:random`.
    public func lockForSending() throws {
        try locked {
            guard daemonID == nil else { return }
            let host = ProcessInfo.processInfo.hostName
            let pid = Int64(getpid())
            let id = ProcessInfo.processInfo.environment["OVERDUE_DAEMON_ID"].flatMap { $0.isEmpty ? nil : $0 }
                ?? "\(host):\(pid):\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
            let rows = try db.query("""
                INSERT INTO daemons (id, host, pid, started) VALUES ($1, $2, $3, $4)
                ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, started = excluded.started,
                    stopped = NULL, claimed = 0
                RETURNING lock_key
                """, [.text(id), .text(host), .int(pid), .int(storedSeconds(clock.now()))])
            let key = rows.int(0, 0)
            guard try db.scalarText("SELECT pg_try_advisory_lock($1::int, $2::int)", [.int(Self.lockClass), .int(key)]) == "t" else {
                throw OverdueError(.tempFailure, "\(label): another overdue daemon with id \(id) is sending from this ledger")
            }
            // An earlier run under the same id (OVERDUE_DAEMON_ID) died with a batch `sending`:
            // the lock now held is this run's, so its batch is marked as nobody's, which
            // `markInterruptedAsAmbiguous` settles.
            try db.query("UPDATE dispatches SET sending_daemon = NULL WHERE state = 'sending' AND sending_daemon = $1", [.text(id)])
            daemonID = id
            lockKey = key
        }
    }

    /// After a lost session was replaced: the lock went with the old session, take it again.
    private func retakeSenderLock() throws {
        guard let lockKey, let daemonID else { return }
        guard try db.scalarText("SELECT pg_try_advisory_lock($1::int, $2::int)", [.int(Self.lockClass), .int(lockKey)]) == "t" else {
            throw OverdueError(.ioError, "\(label): the sender lock of \(daemonID) is held by another session; not sending")
        }
    }

    /// The check a sender makes before each tick: records this sender's heartbeat for
    /// `status` (a session the server dropped is made anew, with the lock taken again).
    /// Unlike a SQLite file, a database that cannot be reached now may be back by the next
    /// tick (a server restart): only a closed store is 74, so the daemon keeps going and the
    /// tick itself fails and is logged until the server is back.
    public func checkStillOnDisk() throws {
        try locked {
            guard !connection.closedForGood else { throw OverdueError(.ioError, "\(label): the database is closed") }
            db.clearLastFailure()
            do {
                if let daemonID {
                    try db.query("UPDATE daemons SET last_tick = $1 WHERE id = $2", [.int(storedSeconds(clock.now())), .text(daemonID)])
                } else {
                    try db.query("SELECT 1")
                }
            } catch let error as OverdueError where db.lastFailureIsTransient {
                onPersistenceFailure?("\(error.message); the next tick tries again")
            }
        }
    }

    /// The senders of this ledger that are alive (their lock is held), oldest first.
    public func liveDaemons() throws -> [DaemonRecord] {
        try locked {
            let rows = try db.query("""
                SELECT x.id, x.host, x.pid, x.started, x.last_tick, x.claimed FROM daemons x
                WHERE x.stopped IS NULL AND \(Self.alive("x")) ORDER BY x.started, x.id
                """)
            return (0..<rows.count).map { row in
                DaemonRecord(id: rows.text(row, 0), host: rows.text(row, 1), pid: rows.int(row, 2),
                             started: storedDate(rows.int(row, 3)), lastTick: rows.optionalInt(row, 4).map(storedDate),
                             claimed: Int(rows.int(row, 5)))
            }
        }
    }

    /// SQL: the daemon row `alias` holds its advisory lock (its session is alive).
    static func alive(_ alias: String) -> String {
        """
        EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND l.classid = \(lockClass)::oid AND l.objid = \(alias).lock_key::oid AND l.objsubid = 2)
        """
    }
}
