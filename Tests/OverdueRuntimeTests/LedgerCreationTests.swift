import Foundation
import OverdueCore
import OverdueSQLite
import XCTest

/// `overdue run` and `overdue import` started together on a ledger that does not exist yet
/// both create it: the schema must come out once, and neither may fail.
///
/// Each file starts as SQLite leaves it after `PRAGMA journal_mode = WAL` on a new file (WAL,
/// no tables, version 0), so the race tested is the migration's. (Two connections switching a
/// brand-new empty file to WAL at once can also get SQLITE_BUSY without waiting: a lock
/// upgrade deadlock SQLite resolves by failing one; that is the store's open, not the schema.)
final class LedgerCreationTests: XCTestCase {
    /// Errors from the opening threads, collected under a lock.
    final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [String] = []
        func add(_ text: String) { lock.withLock { list.append(text) } }
        var all: [String] { lock.withLock { list } }
    }

    func testConnectionsOpeningTheSameNewFileAtOnceAllSucceedWithOneSchema() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("overdue-create-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let failures = Failures()
        for round in 0..<25 {
            let path = folder.appendingPathComponent("ledger-\(round).sqlite").path
            let blank = try SQLiteConnection(path: path)
            XCTAssertEqual(try blank.scalarText("PRAGMA journal_mode = WAL"), "wal")
            XCTAssertEqual(try blank.scalarInt("PRAGMA user_version"), 0)
            XCTAssertEqual(try blank.scalarInt("SELECT count(*) FROM sqlite_schema"), 0)
            let gate = DispatchSemaphore(value: 0)
            let done = DispatchGroup()
            for _ in 0..<4 {
                done.enter()
                Thread.detachNewThread {
                    gate.wait()
                    do {
                        let store = try SQLiteLedgerStore(path: path)
                        // Fully migrated, once: fees (2), the lifecycle trigger (3).
                        if try store.schemaVersion() != 3 { failures.add("\(path): schema version \(try store.schemaVersion())") }
                    } catch {
                        failures.add("\(error)")
                    }
                    done.leave()
                }
            }
            for _ in 0..<4 { gate.signal() }
            done.wait()
        }
        XCTAssertEqual(failures.all, [])
    }
}
