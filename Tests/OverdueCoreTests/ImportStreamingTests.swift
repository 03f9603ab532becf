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
            var rows = CSVImportRows(checked: checked)
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

    func testTheRowsWrittenAreTheRowsCheckedWithoutReadingTheFileAgain() throws {
        var good = ImportFixture.file([ImportFixture.record(), ImportFixture.record(["number": "INV-2", "amount": "2.50"])])
        var reads = 0
        let counted: CSVFileRead = { buffer in
            reads += 1
            let count = min(buffer.count, good.count)
            good.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            good.removeFirst(count)
            return count
        }
        let checked = try CSVImport.check(fileName: "in.csv", read: counted).get()
        let readsOfTheCheck = reads
        var rows = CSVImportRows(checked: checked)
        XCTAssertEqual(try rows.next()?.number, "INV-1")
        let second = try XCTUnwrap(rows.next())
        XCTAssertEqual([second.number, second.amount.decimalString, second.clientName], ["INV-2", "2.50", "Acme GmbH"])
        XCTAssertNil(try rows.next())
        XCTAssertEqual(reads, readsOfTheCheck, "the file is read by the check alone")
    }

    func testRowsKeptInATemporaryFileComeBackInFileOrderAcrossItsBlocks() throws {
        var text = ImportFixture.header + "\n"
        let count = 3 * CSVImport.blockSize / 40
        for number in 1...count { text += ImportFixture.record(["number": "INV-\(number)", "client_id": "c\(number % 7)", "client_name": "C \(number % 7)"]) + "\n" }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("spill-\(UUID().uuidString)").path
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        unlink(path)
        defer { close(fd) }
        let spill = CSVRowSpill(write: { _ = write(fd, $0.baseAddress, $0.count) }, rewind: { lseek(fd, 0, SEEK_SET) },
                                read: { read(fd, $0.baseAddress, $0.count) })
        let bytes = Array(text.utf8)
        let checked = try CSVImport.check(fileName: "in.csv", read: reader(bytes, piece: 4096), spill: spill).get()
        XCTAssertGreaterThan(lseek(fd, 0, SEEK_END), off_t(CSVImport.blockSize), "more than one block was kept")
        lseek(fd, 0, SEEK_SET)
        var rows = CSVImportRows(checked: checked)
        var list: [ImportRow] = []
        while let row = try rows.next() { list.append(row) }
        XCTAssertEqual(list, try ImportFixture.parse(bytes).get())
        XCTAssertEqual(list.count, count)
    }

    func testAFileOfGivenSizeIsCheckedAsOneOfUnknownSize() throws {
        var records: [String] = []
        var size = 0
        while size < 3 * CSVImport.blockSize {
            let record = ImportFixture.record(["number": "INV-\(records.count + 1)", "client_id": "c\(records.count % 5)",
                                               "client_name": "C \(records.count % 5)"])
            records.append(record)
            size += record.utf8.count + 1
        }
        let good = ImportFixture.file(records)
        let unsized = try CSVImport.check(fileName: "in.csv", read: reader(good, piece: 4096)).get()
        let sized = try CSVImport.check(fileName: "in.csv", read: reader(good, piece: 4096), size: good.count).get()
        XCTAssertEqual(sized.rows, unsized.rows)
        XCTAssertEqual(sized.clients, unsized.clients)
        var a = CSVImportRows(checked: unsized), b = CSVImportRows(checked: sized)
        while let row = try a.next() { XCTAssertEqual(try b.next(), row) }
        XCTAssertNil(try b.next())

        let repeated = ImportFixture.file(records + [ImportFixture.record(["number": "INV-2", "client_id": "c1", "client_name": "C 1"])])
        guard case .failure(let failure) = try CSVImport.check(fileName: "in.csv", read: reader(repeated, piece: 4096),
                                                               size: repeated.count) else { return XCTFail("accepted") }
        XCTAssertEqual(failure.problems, ["in.csv:\(records.count + 2): number: invoice \"INV-2\" appears twice (first on line 3)"])
    }

    func testRowsForAStoreNameTheirClientByIdOnly() throws {
        let bytes = ImportFixture.file([
            ImportFixture.record(["number": "INV-1", "client_id": "b", "client_name": "Bolt AG", "client_email": "x@bolt.example"]),
            ImportFixture.record(["number": "INV-2", "client_id": "a"]),
        ])
        // A check's rows are read back once: each reading gets its own check.
        var whole = CSVImportRows(checked: try CSVImport.check(fileName: "in.csv", read: reader(bytes, piece: 1 << 20)).get())
        let checked = try CSVImport.check(fileName: "in.csv", read: reader(bytes, piece: 1 << 20)).get()
        var byID = CSVImportRows(checked: checked, clientDetails: false)
        while let row = try whole.next() {
            var expected = row
            expected.clientName = ""
            expected.clientEmails = []
            XCTAssertEqual(try byID.next(), expected)
        }
        XCTAssertEqual(checked.clients.map(\.name), ["Acme GmbH", "Bolt AG"], "the clients are listed whole")
    }

    func testClientIdsSortByTheirBytes() {
        let ids = ["b", "é", "a", "ab", "B", "z", "", "e\u{301}"]
        XCTAssertEqual(ids.sorted(by: Identifier.precedes), ids.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        XCTAssertEqual(ids.sorted(by: Identifier.precedes), ["", "B", "a", "ab", "b", "e\u{301}", "z", "é"])
    }
}
