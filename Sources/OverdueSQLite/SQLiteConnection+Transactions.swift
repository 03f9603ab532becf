import CSQLite
import OverdueCore

/// Transactions: the write lock, durability and savepoints.
extension SQLiteConnection {
    /// True while a transaction is open on this connection.
    var inTransaction: Bool {
        behind.settle()
        return sqlite3_get_autocommit(handle) == 0
    }

    /// How durable a write transaction's commit is.
    enum Durability {
        /// synchronous=FULL: on disk when the commit returns (the connection's standing setting).
        case full
        /// synchronous=NORMAL: in the write-ahead log when the commit returns, flushed by the
        /// next FULL commit or checkpoint; a power cut may lose it, a killed process does not.
        case relaxed
    }

    /// Runs `body` in one write transaction, committed when it returns and rolled back when
    /// it throws. `BEGIN IMMEDIATE` takes the write lock up front, so a concurrent writer
    /// (daemon and CLI) waits on busy_timeout instead of failing mid-transaction on upgrade.
    /// Nested calls become savepoints of the outer transaction (and take its durability).
    ///
    /// Before it begins, the file is checked to still be the one on disk. A `.full` transaction
    /// reads synchronous back inside the transaction and refuses to run unless it is FULL; a
    /// `.relaxed` one lowers it for its commit only and restores FULL on every path, so no
    /// failure can leave later commits (the `sending` marks) less durable than they claim.
    func write<T>(_ durability: Durability = .full, _ body: () throws -> T) throws -> T {
        if inTransaction { return try transaction(begin: "BEGIN IMMEDIATE", body) }
        try checkStillOnDisk()
        switch durability {
        case .full:
            // SQLite refuses to change the level inside a transaction, so it is set before and
            // only read back inside.
            if try scalarInt("PRAGMA synchronous") != 2 { try execute("PRAGMA synchronous = FULL") }
            return try transaction(begin: "BEGIN IMMEDIATE") {
                try requireFullSync()
                return try body()
            }
        case .relaxed:
            try execute("PRAGMA synchronous = NORMAL")
            defer { restoreFullSync() }
            return try transaction(begin: "BEGIN IMMEDIATE", body)
        }
    }

    /// Refuses to go on unless synchronous reads back as FULL.
    private func requireFullSync() throws {
        let level = try scalarInt("PRAGMA synchronous") ?? -1
        guard level == 2 else {
            throw OverdueError(.ioError, "\(path): synchronous is \(level), not FULL; refusing to write what must be durable")
        }
    }

    /// Best effort after a relaxed commit: should it fail, the next `.full` transaction sets
    /// FULL again itself or refuses to run.
    private func restoreFullSync() {
        try? execute("PRAGMA synchronous = FULL")
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
                behind.settle()
                try? executeNow("ROLLBACK TO nested; RELEASE nested")
                throw error
            }
        }
        try execute(begin)
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            if inTransaction { try? executeNow("ROLLBACK") }
            // Whatever was written behind is undone; a failure among it no longer matters.
            behind.discard()
            throw error
        }
    }
}
