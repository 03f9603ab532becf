import OverdueCore
import XCTest

/// `PersistentWrite`, the one retry rule both stores write what must not be lost with.
final class PersistentWriteTests: XCTestCase {
    private struct Other: Error {}

    func testATransientFailureIsReportedAndRetriedWithPausesDoublingToFiveSecondsUntilItCommits() throws {
        var attempts = 0, reports: [String] = [], pauses: [Double] = []
        let result = try PersistentWrite.run(persist: true, isTransient: { true }, report: { reports.append($0) },
                                             pause: { pauses.append($0) }) { () throws -> String in
            attempts += 1
            if attempts < 8 { throw OverdueError(.ioError, "ledger.sqlite: database is locked") }
            return "committed"
        }
        XCTAssertEqual(result, "committed")
        XCTAssertEqual(pauses, [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5])
        XCTAssertEqual(reports.first, "ledger.sqlite: database is locked; retrying in 0.1 s, this record must not be lost")
        XCTAssertEqual(reports.count, 7)
    }

    func testWithoutPersistOrForAFailureThatIsNotTransientTheErrorIsThrownAtOnce() {
        for (persist, transient) in [(false, true), (true, false)] {
            var attempts = 0, pauses: [Double] = []
            XCTAssertThrowsError(try PersistentWrite.run(persist: persist, isTransient: { transient }, report: { _ in },
                                                         pause: { pauses.append($0) }) { () throws -> Int in
                attempts += 1
                throw OverdueError(.ioError, "disk I/O error")
            })
            XCTAssertEqual([attempts, pauses.count], [1, 0])
        }
        var attempts = 0
        XCTAssertThrowsError(try PersistentWrite.run(persist: true, isTransient: { true }, report: { _ in }, pause: { _ in }) { () throws -> Int in
            attempts += 1
            throw Other()
        })
        XCTAssertEqual(attempts, 1, "only a store's own failures are retried")
    }
}
