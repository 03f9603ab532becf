import Foundation
import OverdueCore
import OverdueSQLite
import XCTest

/// What opening may create, what counts as a ledger, and durability settings that no failure
/// can leave lowered.
final class SQLiteLedgerFileTests: LedgerTestCase {
    func testAMissingLedgerIsNotCreatedUnlessAsked() throws {
        let message = assertFails(.ioError) { _ = try SQLiteLedgerStore(path: dbPath, creating: .never) }
        XCTAssertTrue(message?.hasPrefix(dbPath + ": no ledger here") == true, message ?? "")
        XCTAssertTrue(message?.contains("overdue init") == true, message ?? "")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dbPath))
    }

    func testABlankSQLiteDatabaseIsNotALedgerAndIsLeftUnchanged() throws {
        let blank = try SQLiteConnection(path: dbPath)
        XCTAssertEqual(try blank.scalarText("PRAGMA journal_mode = WAL"), "wal")
        blank.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: dbPath))
        let message = assertFails(.ioError) { _ = try SQLiteLedgerStore(path: dbPath, creating: .ifMissing) }
        XCTAssertTrue(message?.contains("not an overdue ledger") == true, message ?? "")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dbPath)), before)
    }

    func testAnEmptyFileIsNotALedgerEvenWhereOneMayBeCreated() throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: dbPath, contents: Data()))
        for creation in [SQLiteLedgerStore.Creation.never, .ifMissing, .onFirstStart] {
            let message = assertFails(.ioError) { _ = try SQLiteLedgerStore(path: dbPath, creating: creation) }
            XCTAssertTrue(message?.contains("empty (0 bytes)") == true, message ?? "")
        }
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: dbPath)[.size] as? Int, 0)
    }

    func testTheSenderLockHoldsAcrossPathsToTheSameFileAndIsReleasedOnClose() throws {
        let first = try openStore()
        try first.lockForSending()
        let link = folder.appendingPathComponent("link.sqlite").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: dbPath)
        let second = try SQLiteLedgerStore(path: link, creating: .never)
        let message = assertFails(.tempFailure) { try second.lockForSending() }
        XCTAssertTrue(message?.contains("another overdue") == true, message ?? "")
        first.close()
        XCTAssertNoThrow(try second.lockForSending())
    }

    func testDeletingTheWriteAheadLogIsNoticedBeforeTheNextWrite() throws {
        let store = try openStore()
        try store.setMeta("k", "v")
        XCTAssertNoThrow(try store.checkStillOnDisk())
        try FileManager.default.removeItem(atPath: dbPath + "-wal")
        let message = assertFails(.ioError) { try store.setMeta("k", "w") }
        XCTAssertTrue(message?.contains("write-ahead log was deleted") == true, message ?? "")
    }

    func testAFailedRelaxedOutcomeRecordingLeavesFullSyncInForce() throws {
        let store = try openStore()
        XCTAssertThrowsError(try store.recordOutcomes([RecordedOutcome(dispatchIDs: [999], .sent(reply: "250 ok"))],
                                                      unsent: [], context: context()))
        XCTAssertEqual(store.pragmas().synchronous, 2)
    }

    func testAWriteRestoresFullSyncWhateverLoweredIt() throws {
        let store = try openStore()
        try store.connection.execute("PRAGMA synchronous = OFF")
        try store.setMeta("k", "v")
        XCTAssertEqual(store.pragmas().synchronous, 2)
    }
}
