import Foundation
import OverdueCore
import XCTest

/// File-level problems: header, quoting, encoding, field counts.
final class ImportStructureTests: XCTestCase {
    let header = ImportFixture.header

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    func testEmptyFileIsRefused() {
        let expected = ["in.csv:1: header: the file is empty; the first line must name the columns (number, client_id, client_name, client_email, issue_date, due_date, amount, currency, paid, status)"]
        XCTAssertEqual(importProblems([]), expected)
        XCTAssertEqual(importProblems([0xEF, 0xBB, 0xBF]), expected)
        XCTAssertEqual(importProblems(bytes("\n\r\n\n")), expected)
    }

    func testFileWithoutAHeaderIsRefused() {
        let problems = importProblems(bytes(ImportFixture.record() + "\n"))
        XCTAssertEqual(problems, [
            #"in.csv:1: header: the first line must name the columns (number, client_id, client_name, client_email, issue_date, due_date, amount, currency, paid, status); found "INV-1,acme,Acme GmbH,ap@acme.example,2026-02-01,2026-03-0...""#,
        ])
    }

    func testMissingRequiredColumns() {
        let text = "number,client_id,client_name,issue_date,due_date,amount\nINV-1,acme,Acme,2026-02-01,2026-03-01,5\n"
        XCTAssertEqual(importProblems(bytes(text)), [
            "in.csv:1: client_email: required column is missing from the header",
            "in.csv:1: currency: required column is missing from the header",
        ])
    }

    func testUnknownColumnIsRefused() {
        XCTAssertEqual(importProblems(ImportFixture.file([ImportFixture.record() + ",x"], header: header + ",due-date")), [
            #"in.csv:1: "due-date": unknown column (the columns are number, client_id, client_name, client_email, issue_date, due_date, amount, currency, paid, status)"#,
        ])
    }

    /// Exports' `balance` and `type` are fields of other formats, not columns of this one.
    func testTheFieldsOnlyExportsHaveAreUnknownColumns() {
        XCTAssertEqual(importProblems(ImportFixture.file([ImportFixture.record() + ",1,x"], header: header + ",balance,Type")), [
            #"in.csv:1: "balance": unknown column (the columns are number, client_id, client_name, client_email, issue_date, due_date, amount, currency, paid, status)"#,
            #"in.csv:1: "Type": unknown column (the columns are number, client_id, client_name, client_email, issue_date, due_date, amount, currency, paid, status)"#,
        ])
    }

    func testColumnNamesIgnoreCaseAndSurroundingSpaces() {
        let file = ImportFixture.file([ImportFixture.record()],
                                      header: header.replacingOccurrences(of: "number", with: " Number ").replacingOccurrences(of: "due_date", with: "DUE_DATE"))
        XCTAssertEqual(importedRows(file).count, 1)
        let typo = importProblems(ImportFixture.file([ImportFixture.record()], header: header.replacingOccurrences(of: "number", with: "Numbr")))
        XCTAssertEqual(typo.first, #"in.csv:1: "Numbr": unknown column (the columns are number, client_id, client_name, client_email, issue_date, due_date, amount, currency, paid, status)"#)
    }

    func testDuplicateColumnIsRefused() {
        XCTAssertEqual(importProblems(ImportFixture.file([ImportFixture.record() + ",5"], header: header + ",amount")),
                       ["in.csv:1: amount: column appears more than once in the header"])
    }

    func testHeaderProblemsStopBeforeTheRows() {
        let problems = importProblems(ImportFixture.file([ImportFixture.record(["amount": "bad"])], header: header + ",extra"))
        XCTAssertEqual(problems.count, 1)
        XCTAssertTrue(problems[0].hasPrefix(#"in.csv:1: "extra": unknown column"#))
    }

    func testWrongFieldCounts() {
        let text = header + "\n" + ImportFixture.record() + ",extra\n" +
            ImportFixture.record(["number": "INV-2"]).split(separator: ",").dropLast().joined(separator: ",") + "\n" +
            "just-one\n"
        XCTAssertEqual(importProblems(bytes(text)), [
            "in.csv:2: row: has 11 fields, the header has 10",
            "in.csv:3: row: has 9 fields, the header has 10",
            "in.csv:4: row: has 1 field, the header has 10",
        ])
    }

    func testUnterminatedQuoteNamesTheLineWhereTheRecordStarts() {
        let text = header + "\n" + ImportFixture.record() + "\n" +
            #"INV-2,acme,"Acme GmbH,ap@acme.example,2026-02-01,2026-03-01,1200.00,EUR,0,open"# + "\n" +
            ImportFixture.record(["number": "INV-3"]) + "\n"
        XCTAssertEqual(importProblems(bytes(text)), [#"in.csv:3: client_name: quoted field is never closed (missing '"')"#])
    }

    func testTextAfterClosingQuote() {
        let text = header + "\n" + #"INV-1,"acme"x,Acme,ap@acme.example,2026-02-01,2026-03-01,1,EUR,0,open"# + "\n" +
            ImportFixture.record(["number": "INV-2", "amount": "bad"]) + "\n"
        XCTAssertEqual(importProblems(bytes(text)), [
            #"in.csv:2: client_id: text after the closing quote of a quoted field (write "" for a quote inside it)"#,
            #"in.csv:3: amount: "bad" is not a plain decimal amount (digits with an optional '.')"#,
        ])
    }

    func testQuoteInsideAnUnquotedField() {
        let text = header + "\n" + #"INV-1,acme,Acme "The Best",ap@acme.example,2026-02-01,2026-03-01,1,EUR,0,open"# + "\r\n" +
            ImportFixture.record(["number": "INV-2"]) + "\r\n"
        XCTAssertEqual(importProblems(bytes(text)), [
            #"in.csv:2: client_name: '"' inside an unquoted field (quote the whole field and write "" for the quote)"#,
        ])
    }

    func testQuotingErrorInTheHeader() {
        XCTAssertEqual(importProblems(bytes("\"number,client_id\n")), [#"in.csv:1: header: quoted field is never closed (missing '"')"#])
    }

    func testInvalidUTF8NamesLineColumnAndByte() {
        var file = ImportFixture.file([ImportFixture.record(["number": "INV-1"])])
        file += Array("INV-2,acme,Acme".utf8) + [0xFF] + Array("GmbH,ap@acme.example,2026-02-01,2026-03-01,1,EUR,0,open\n".utf8)
        XCTAssertEqual(importProblems(file), ["in.csv:3: client_name: is not valid UTF-8 (byte 0xFF at byte 5 of the field): the file looks like Windows-1252 (this field would read \"AcmeÿGmbH\"): save the export as \"CSV UTF-8\", or convert it: iconv -f WINDOWS-1252 -t UTF-8 < in.csv > utf8.csv"])
    }

    func testTruncatedUTF8SequenceIsRefused() {
        // "é" is C3 A9; a lone C3 followed by a comma, and E2 82 (a cut-off "€") at the end of a field.
        var file = Array((header + "\n").utf8)
        file += Array("INV-1,acme,Caf".utf8) + [0xC3] + Array(",ap@acme.example,2026-02-01,2026-03-01,1,EUR,0,open\n".utf8)
        file += Array("INV-2,b,X".utf8) + [0xE2, 0x82] + Array(",ap@acme.example,2026-02-01,2026-03-01,1,EUR,0,open\n".utf8)
        XCTAssertEqual(importProblems(file), [
            "in.csv:2: client_name: is not valid UTF-8 (byte 0xC3 at byte 4 of the field): the file looks like Windows-1252 (this field would read \"CafÃ\"): save the export as \"CSV UTF-8\", or convert it: iconv -f WINDOWS-1252 -t UTF-8 < in.csv > utf8.csv",
            "in.csv:3: client_name: is not valid UTF-8 (byte 0xE2 at byte 2 of the field)",
        ])
    }

    func testOverlongAndSurrogateEncodingsAreRefused() {
        for (bad, position, byte) in [([0xC0, 0xAF], 1, "C0"), ([0xE0, 0x80, 0xAF], 2, "80"), ([0xED, 0xA0, 0x80], 2, "A0"),
                                      ([0xF4, 0x90, 0x80, 0x80], 2, "90"), ([0xF5, 0x80, 0x80, 0x80], 1, "F5"), ([0x80], 1, "80")] as [([UInt8], Int, String)] {
            var file = Array((header + "\n").utf8)
            file += Array("INV-1,".utf8) + bad + Array(",Acme,ap@acme.example,2026-02-01,2026-03-01,1,EUR,0,open\n".utf8)
            let hint = bad == [0x80] ? ": the file looks like Windows-1252 (this field would read \"€\"): save the export as \"CSV UTF-8\", or convert it: iconv -f WINDOWS-1252 -t UTF-8 < in.csv > utf8.csv" : ""
            XCTAssertEqual(importProblems(file), ["in.csv:2: client_id: is not valid UTF-8 (byte 0x\(byte) at byte \(position) of the field)\(hint)"], "\(bad)")
        }
    }

    func testInvalidUTF8InTheHeader() {
        XCTAssertEqual(importProblems([0x6E, 0xFF, 0x0A]), [
            "in.csv:1: header: column 1 is not valid UTF-8 (byte 0xFF at byte 2 of the field)",
        ])
    }

    func testFourByteCharactersAreAccepted() {
        let rows = importedRows(ImportFixture.file([ImportFixture.record(["client_name": "𝔄cme 🙂"])]))
        XCTAssertEqual(rows.first?.clientName, "𝔄cme 🙂")
    }

    func testTrailingCommaAtTheEndOfTheFileIsAnEmptyField() {
        let text = header + "\n" + ImportFixture.record(["status": ""])
        XCTAssertEqual(importedRows(bytes(text)).first?.status, .open)
    }
}
