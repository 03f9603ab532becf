import Foundation
@testable import OverdueCore
import XCTest

/// An import file read in blocks: the same rows, lines and problems as read at once, and memory
/// that holds a block, not the file.
final class ImportStreamingTests: XCTestCase {
    /// A reader handing out at most `piece` bytes per call, as a pipe or a slow disk may.
    private func reader(_ bytes: [UInt8], piece: Int) -> CSVFileRead {
        var offset = 0
        return { buffer in
            let count = min(piece, buffer.count, bytes.count - offset)
            for index in 0..<count { buffer[index] = bytes[offset + index] }
            offset += count
            return count
        }
    }

    private func streamed(_ bytes: [UInt8], piece: Int) throws -> Result<[ImportRow], CSVImportFailure> {
        switch try CSVImport.check(fileName: "in.csv", read: reader(bytes, piece: piece)) {
        case .failure(let failure): return .failure(failure)
        case .success(let checked):
            var rows = CSVImportRows(fileName: "in.csv", read: reader(bytes, piece: piece), checked: checked)
            var list: [ImportRow] = []
            while let row = try rows.next() { list.append(row) }
            XCTAssertEqual(list.count, checked.rows)
            return .success(list)
        }
    }

    func testRecordsSplitAcrossReadsGiveTheSameRowsAndLinesAsTheWholeFile() throws {
        let records = [
            ImportFixture.record(["number": "INV-1", "client_name": "Acme, \"the\" GmbH"]),
            ImportFixture.record(["number": "INV-2", "client_id": "bolt", "client_name": "Bolt AG",
                                  "client_email": "a@bolt.example;\r\nb@bolt.example"]),
            ImportFixture.record(["number": "INV-3", "client_name": "Acme, \"the\" GmbH"]),
        ]
        var bytes: [UInt8] = [0xEF, 0xBB, 0xBF]
        bytes += Array((ImportFixture.header + "\r\n" + records[0] + "\r\n\r\n" + records[1] + "\n\n" + records[2]).utf8)
        let whole = try ImportFixture.parse(bytes).get()
        XCTAssertEqual(whole.map(\.line), [2, 4, 7])
        for piece in [1, 2, 3, 7, 64] {
            XCTAssertEqual(try streamed(bytes, piece: piece).get(), whole, "read \(piece) bytes at a time")
        }
    }

    func testProblemsOfAFileReadInPiecesNameTheSameLines() throws {
        let bytes = ImportFixture.file([
            ImportFixture.record(["number": "INV-1", "client_name": "two\nlines"]),
            ImportFixture.record(["number": "INV-1"]),
            "INV-3,acme,\"Acme GmbH,ap@acme.example",
        ])
        guard case .failure(let whole) = ImportFixture.parse(bytes) else { return XCTFail("accepted") }
        XCTAssertEqual(whole.total, 3)
        for piece in [1, 5, 64] {
            guard case .failure(let failure) = try streamed(bytes, piece: piece) else { return XCTFail("accepted") }
            XCTAssertEqual(failure, whole, "read \(piece) bytes at a time")
        }
    }

    func testClientsOfACheckedFileAreListedOnceInIdByteOrder() throws {
        let bytes = ImportFixture.file([
            ImportFixture.record(["number": "INV-1", "client_id": "b"]),
            ImportFixture.record(["number": "INV-2", "client_id": "a"]),
            ImportFixture.record(["number": "INV-3", "client_id": "b"]),
            ImportFixture.record(["number": "INV-4", "client_id": "B"]),
        ])
        let checked = try CSVImport.check(fileName: "in.csv", read: reader(bytes, piece: 1 << 20)).get()
        XCTAssertEqual(checked.clients.map(\.id), ["B", "a", "b"])
        XCTAssertEqual(checked.clients[1], ImportClient(id: "a", name: "Acme GmbH", emails: ["ap@acme.example"]))
        XCTAssertEqual(checked.rows, 4)
    }

    func testAFileOfManyBlocksIsHeldABlockAtATime() throws {
        var text = ImportFixture.header + "\n"
        var number = 0
        while text.utf8.count < 5 * CSVImport.blockSize {
            number += 1
            text += ImportFixture.record(["number": "INV-\(number)"]) + "\n"
        }
        let bytes = Array(text.utf8)
        let blocks = CSVBlocks(read: reader(bytes, piece: .max))
        var records = 0
        try blocks.forEachRecord { _, _, _ in
            records += 1
            return true
        }
        XCTAssertEqual(records, number + 1)
        XCTAssertEqual(blocks.capacity, 2 * CSVImport.blockSize)
    }

    func testARowThatNoLongerPassesOnTheSecondReadIsAnErrorNotARow() throws {
        let good = ImportFixture.file([ImportFixture.record()])
        let checked = try CSVImport.check(fileName: "in.csv", read: reader(good, piece: 1 << 20)).get()
        let changed = ImportFixture.file([ImportFixture.record(["amount": "-1"])])
        var rows = CSVImportRows(fileName: "in.csv", read: reader(changed, piece: 1 << 20), checked: checked)
        XCTAssertThrowsError(try rows.next()) { error in
            XCTAssertEqual((error as? OverdueError)?.message, "in.csv: the file changed while it was imported")
            XCTAssertEqual((error as? OverdueError)?.exitCode, .dataError)
        }
    }

    func testARowAddedAfterTheCheckIsAnErrorNotARow() throws {
        let good = ImportFixture.file([ImportFixture.record()])
        let checked = try CSVImport.check(fileName: "in.csv", read: reader(good, piece: 1 << 20)).get()
        let longer = ImportFixture.file([ImportFixture.record(), ImportFixture.record(["number": "INV-2"])])
        var rows = CSVImportRows(fileName: "in.csv", read: reader(longer, piece: 1 << 20), checked: checked)
        XCTAssertEqual(try rows.next()?.number, "INV-1")
        XCTAssertThrowsError(try rows.next()) { error in
            XCTAssertEqual((error as? OverdueError)?.message, "in.csv: the file changed while it was imported")
        }
    }
}
