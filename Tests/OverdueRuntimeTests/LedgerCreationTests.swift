import Foundation
import Synchronization
import OverdueCore
import OverdueSQLite
import XCTest

/// `overdue run` and `overdue import` started together on a ledger that does not exist yet
/// both create it: the schema must come out once, and neither may fail. Each builds a complete
/// ledger under a temporary name and links it into place, so neither ever opens a half-made one.
final class LedgerCreationTests: XCTestCase {
    /// Errors from the opening threads, collected under a lock.
    final class Failures: Sendable {
        private let list = Mutex<[String]>([])
        func add(_ text: String) { list.withLock { $0.append(text) } }
        var all: [String] { list.withLock { $0 } }
    }

    func testProcessesCreatingTheSameMissingLedgerAtOnceAllSucceedWithOneSchema() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("overdue-create-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let failures = Failures()
        for round in 0..<25 {
            let path = folder.appendingPathComponent("ledger-\(round).sqlite").path
            let gate = DispatchSemaphore(value: 0)
            let done = DispatchGroup()
            for _ in 0..<4 {
                done.enter()
                Thread.detachNewThread {
                    gate.wait()
                    do {
                        let store = try SQLiteLedgerStore(path: path, creating: .ifMissing)
                        // Fully migrated, once: fees (2), the lifecycle trigger (3), payment references (4), message bytes (5).
                        if try store.schemaVersion() != 6 { failures.add("\(path): schema version \(try store.schemaVersion())") }
                        store.close()
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
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [])
    }
}
