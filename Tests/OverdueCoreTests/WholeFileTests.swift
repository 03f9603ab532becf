import Foundation
import XCTest
@testable import OverdueCore

/// The one whole-file reader of the edges (secrets, payment files).
final class WholeFileTests: XCTestCase {
    func testAFileLongerThanOneBlockIsReadWholeByteForByte() throws {
        let path = NSTemporaryDirectory() + "overdue-whole-\(UUID().uuidString)"
        defer { unlink(path) }
        let bytes = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        XCTAssertEqual(try readWholeFile(path), bytes)
    }

    func testAMissingFileGivesTheOSReason() {
        XCTAssertThrowsError(try readWholeFile("/nonexistent/overdue-file")) { error in
            XCTAssertEqual((error as? FileReadError)?.reason, "No such file or directory")
        }
    }
}
