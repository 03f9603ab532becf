import Foundation
import OverdueCore
import OverdueSQLite
import XCTest

final class SQLiteOpeningTests: LedgerTestCase {
    func testOpeningReadsBackWriteAheadLogAndFullSync() throws {
        let store = try openStore()
        let pragmas = store.pragmas()
        XCTAssertEqual(pragmas.journalMode, "wal")
        XCTAssertEqual(pragmas.synchronous, 2)
        XCTAssertEqual(try store.connection.scalarInt("PRAGMA foreign_keys"), 1)
    }

    func testAWriterWaitingForAnotherConnectionsLockGetsInDuringAPauseOfTenMilliseconds() throws {
        // As a chunked import lets go between its chunks: half a second holding the write lock,
        // 10 ms not. A writer that began waiting during the first transaction is in before the
        // second one has begun, not only after the last.
        let store = try openStore()
        let path = dbPath
        let db = store.connection
        let done = DispatchSemaphore(value: 0)
        try db.execute("BEGIN IMMEDIATE")
        Thread.detachNewThread {
            if let other = try? SQLiteConnection(path: path) {
                try? other.execute("BEGIN IMMEDIATE; INSERT INTO meta (key, value) VALUES ('waiter', 'in'); COMMIT")
            }
            done.signal()
        }
        Thread.sleep(forTimeInterval: 0.05)
        var waiterInDuring: [Bool] = []
        for _ in 0..<3 {
            Thread.sleep(forTimeInterval: 0.45)
            try db.execute("COMMIT")
            Thread.sleep(forTimeInterval: 0.01)
            try db.execute("BEGIN IMMEDIATE")
            waiterInDuring.append(try db.scalarText("SELECT value FROM meta WHERE key = 'waiter'") == "in")
        }
        try db.execute("COMMIT")
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(waiterInDuring, [true, true, true])
    }

    func testEmptyFileIsMigratedToTheCurrentSchemaAndReopeningChangesNothing() throws {
        var store: SQLiteLedgerStore? = try openStore()
        let version = try store!.schemaVersion()
        XCTAssertGreaterThanOrEqual(version, 1)
        let tables = try store!.connection.scalarInt("SELECT count(*) FROM sqlite_schema WHERE type = 'table'")
        _ = try store!.importInvoices([row("INV-1")], source: "a.csv", context: context())
        store = nil

        let reopened = try openStore()
        XCTAssertEqual(try reopened.schemaVersion(), version)
        XCTAssertEqual(try reopened.connection.scalarInt("SELECT count(*) FROM sqlite_schema WHERE type = 'table'"), tables)
        XCTAssertEqual(try reopened.invoice("INV-1")?.amount, money(120_000))
    }

    func testSchemaNewerThanTheProgramIsRefused() throws {
        try openStore().connection.execute("PRAGMA user_version = 999")
        let message = assertFails(.ioError) { _ = try openStore() }
        XCTAssertTrue(message?.contains("schema version 999") == true, message ?? "")
    }

    func testMissingFolderIsCannotCreate() throws {
        let path = folder.appendingPathComponent("no/such/folder/ledger.sqlite").path
        let message = assertFails(.cannotCreate) { _ = try SQLiteLedgerStore(path: path) }
        XCTAssertTrue(message?.hasPrefix(path + ":") == true, message ?? "")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testFileThatIsNotADatabaseIsAnIOError() throws {
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: dbPath))
        let message = assertFails(.ioError) { _ = try openStore() }
        XCTAssertTrue(message?.contains("not a SQLite database") == true, message ?? "")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dbPath)), Data(repeating: 0x41, count: 8192))
    }

    func testMetaValuesPersistAcrossReopen() throws {
        try openStore().setMeta("daemon.last_tick", "2026-03-01T09:00:00Z")
        let store = try openStore()
        XCTAssertEqual(try store.meta("daemon.last_tick"), "2026-03-01T09:00:00Z")
        try store.setMeta("daemon.last_tick", "2026-03-01T09:15:00Z")
        XCTAssertEqual(try store.meta("daemon.last_tick"), "2026-03-01T09:15:00Z")
        XCTAssertNil(try store.meta("nothing"))
    }
}
