import Foundation
import OverdueCore
import XCTest

/// Files that are valid: RFC 4180 quoting, line ends, BOM, column order, defaults.
final class ImportParsingTests: XCTestCase {
    func testGoodRowBecomesAnImportRow() {
        let rows = importedRows(ImportFixture.file([ImportFixture.record()]))
        XCTAssertEqual(rows, [ImportRow(
            line: 2, number: "INV-1", clientID: "acme", clientName: "Acme GmbH", clientEmails: ["ap@acme.example"],
            issueDate: LocalDate("2026-02-01")!, dueDate: LocalDate("2026-03-01")!,
            amount: Money(minorUnits: 120_000, currency: Currency(code: "EUR")!),
            paid: Money(minorUnits: 0, currency: Currency(code: "EUR")!), status: .open)])
    }

    func testHeaderOnlyFileImportsNothing() {
        XCTAssertEqual(importedRows(ImportFixture.file([])), [])
        XCTAssertEqual(importedRows(Array(ImportFixture.header.utf8)), [])
    }

    func testQuotedFieldsMayHoldCommasAndQuotes() {
        let text = ImportFixture.header + "\n" +
            #""INV,1",acme,"Acme ""Tools"", Inc.",ap@acme.example,2026-02-01,2026-03-01,"1200.00",EUR,0,open"# + "\n" +
            #""INV-2","b","""Quoted""","b@acme.example","2026-02-01","2026-03-01","5","EUR","","""# + "\n"
        let rows = importedRows(Array(text.utf8))
        XCTAssertEqual(rows.map(\.number), ["INV,1", "INV-2"])
        XCTAssertEqual(rows.map(\.clientName), ["Acme \"Tools\", Inc.", "\"Quoted\""])
        XCTAssertEqual(rows.map(\.amount.minorUnits), [120_000, 500])
    }

    func testEmptyQuotedFieldIsEmpty() {
        let text = ImportFixture.header + "\n" + "INV-3,acme3,\"\",x@acme.example,2026-02-01,2026-03-01,5,EUR,,\n"
        XCTAssertEqual(importProblems(Array(text.utf8)), ["in.csv:2: client_name: is required"])
    }

    func testQuotedFieldMaySpanLinesButNoTextColumnAcceptsANewline() {
        // The reader keeps the newline; the field rules then refuse it as a control character.
        let text = ImportFixture.header + "\n" + #"INV-2,acme2,"Line one"# + "\n" +
            #"line two",b@acme.example,2026-02-01,2026-03-01,5,EUR,,"# + "\n"
        XCTAssertEqual(importProblems(Array(text.utf8)), ["in.csv:2: client_name: contains the control character U+000A"])
    }

    func testRecordAfterAMultiLineFieldReportsItsOwnStartLine() {
        let text = ImportFixture.header + "\n" +
            ImportFixture.record(["number": "INV-1", "client_name": "A\nB\nC"]) + "\n" +
            ImportFixture.record(["number": "INV-2", "client_id": "b", "due_date": "2026-01-01"]) + "\n"
        XCTAssertEqual(importProblems(Array(text.utf8)), [
            "in.csv:2: client_name: contains the control character U+000A",
            "in.csv:5: due_date: 2026-01-01 is before issue_date 2026-02-01",
        ])
    }

    func testCRLFLineEndsAndNoFinalNewline() {
        let text = ImportFixture.header + "\r\n" + ImportFixture.record() + "\r\n" +
            ImportFixture.record(["number": "INV-2", "status": "paid", "paid": "1200"])
        let rows = importedRows(Array(text.utf8))
        XCTAssertEqual(rows.map(\.number), ["INV-1", "INV-2"])
        XCTAssertEqual(rows.map(\.status), [.open, .paid])
        XCTAssertEqual(rows.map(\.line), [2, 3])
    }

    func testCRLFInsideAQuotedFieldIsKept() {
        let text = ImportFixture.header + "\r\n" + ImportFixture.record(["client_name": "A\r\nB"]) + "\r\n"
        // A CR is a control character: refused in a name even when quoted.
        XCTAssertEqual(importProblems(Array(text.utf8)), ["in.csv:2: client_name: contains the control character U+000D"])
    }

    func testQuotedLastFieldFollowedByCRLF() {
        let text = ImportFixture.header + "\r\n" + ImportFixture.record().replacingOccurrences(of: ",open", with: ",\"open\"") + "\r\n"
        XCTAssertEqual(importedRows(Array(text.utf8)).map(\.status), [.open])
    }

    func testByteOrderMarkAtTheStartIsAllowed() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + ImportFixture.file([ImportFixture.record()])
        XCTAssertEqual(importedRows(bytes).map(\.number), ["INV-1"])
    }

    func testBlankLinesAreSkipped() {
        let text = "\n" + ImportFixture.header + "\n\n" + ImportFixture.record() + "\r\n\r\n\n"
        XCTAssertEqual(importedRows(Array(text.utf8)).map(\.line), [4])
    }

    func testColumnsMayComeInAnyOrderAndOptionalOnesMayBeAbsent() {
        let header = "currency,amount,due_date,issue_date,client_email,client_name,client_id,number"
        let text = header + "\nJPY,120000,2026-03-01,2026-02-01,ap@acme.example,Acme,acme,INV-9\n"
        let rows = importedRows(Array(text.utf8))
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows.first?.amount, Money(minorUnits: 120_000, currency: Currency(code: "JPY")!))
        XCTAssertEqual(rows.first?.paid.minorUnits, 0)
        XCTAssertEqual(rows.first?.status, .open)
        XCTAssertEqual(rows.first?.clientName, "Acme")
    }

    func testEmptyOptionalFieldsTakeTheirDefaults() {
        let rows = importedRows(ImportFixture.file([ImportFixture.record(["paid": "", "status": ""])]))
        XCTAssertEqual(rows.first?.paid.minorUnits, 0)
        XCTAssertEqual(rows.first?.status, .open)
    }

    func testSeveralEmailsSeparatedBySemicolons() {
        let rows = importedRows(ImportFixture.file([
            ImportFixture.record(["client_email": "ap@acme.example; boss@acme.example ;ap@acme.example;"]),
        ]))
        XCTAssertEqual(rows.first?.clientEmails, ["ap@acme.example", "boss@acme.example"])
    }

    func testQuotedCellMayHoldOneAddressPerLine() {
        let text = ImportFixture.header + "\r\n" +
            ImportFixture.record(["client_email": "ap@acme.example;\r\n\tboss@acme.example\n"]) + "\r\n" +
            ImportFixture.record(["number": "INV-2", "client_id": "b", "client_email": "x@b.example\ny@b.example"]) + "\r\n"
        guard case .failure(let failure) = ImportFixture.parse(Array(text.utf8)) else { return XCTFail("accepted") }
        // Without a ';' the two lines are one (invalid) address; the line is where the record starts.
        XCTAssertEqual(failure.problems, [#"in.csv:5: client_email: "x@b.example\u{000A}y@b.example" is not a valid email address"#])
        let good = ImportFixture.header + "\r\n" +
            ImportFixture.record(["client_email": "ap@acme.example;\r\n\tboss@acme.example\n"]) + "\r\n"
        let rows = importedRows(Array(good.utf8))
        XCTAssertEqual(rows.first?.clientEmails, ["ap@acme.example", "boss@acme.example"])
    }

    func testCurrencyMinorDigits() {
        let rows = importedRows(ImportFixture.file([
            ImportFixture.record(["number": "J", "amount": "120000", "paid": "500", "currency": "JPY"]),
            ImportFixture.record(["number": "K", "amount": "12.5", "paid": "0.125", "currency": "KWD"]),
            ImportFixture.record(["number": "E", "amount": "7", "paid": "6.5", "currency": "EUR"]),
        ]))
        XCTAssertEqual(rows.map(\.amount.decimalString), ["120000", "12.500", "7.00"])
        XCTAssertEqual(rows.map(\.paid.decimalString), ["500", "0.125", "6.50"])
        XCTAssertEqual(rows.map(\.amount.currency.code), ["JPY", "KWD", "EUR"])
    }

    func testPaidEqualToAmountAndDueOnTheIssueDateAreAllowed() {
        let rows = importedRows(ImportFixture.file([
            ImportFixture.record(["paid": "1200.00", "status": "paid", "due_date": "2026-02-01"]),
        ]))
        XCTAssertEqual(rows.first?.paid.minorUnits, 120_000)
        XCTAssertEqual(rows.first?.dueDate, rows.first?.issueDate)
    }

    func testEveryStatus() {
        let rows = importedRows(ImportFixture.file(["open", "paid", "cancelled"].map {
            ImportFixture.record(["number": $0, "status": $0])
        }))
        XCTAssertEqual(rows.map(\.status), [.open, .paid, .cancelled])
    }

    func testClientNameIsTrimmedAndUnicodeIsKept() {
        let rows = importedRows(ImportFixture.file([ImportFixture.record(["client_name": "  Müller & Söhne 株式会社 🙂 "])]))
        XCTAssertEqual(rows.first?.clientName, "Müller & Söhne 株式会社 🙂")
    }

    func testSameClientOnSeveralRows() {
        let rows = importedRows(ImportFixture.file([
            ImportFixture.record(["number": "INV-1"]),
            ImportFixture.record(["number": "INV-2", "client_email": " ap@acme.example"]),
            ImportFixture.record(["number": "INV-3"]),
        ]))
        XCTAssertEqual(rows.map(\.clientEmails), Array(repeating: ["ap@acme.example"], count: 3))
    }

    func testDataOverloadReadsTheSameBytes() {
        let bytes = ImportFixture.file([ImportFixture.record()])
        XCTAssertEqual(try CSVImport.parse(Data(bytes), fileName: "x.csv").get(), try CSVImport.parse(bytes, fileName: "x.csv").get())
    }

    func testManyRowsKeepFileOrder() {
        let records = (1...500).map { ImportFixture.record(["number": "INV-\($0)", "client_id": "c\($0 % 7)"]) }
        let rows = importedRows(ImportFixture.file(records))
        XCTAssertEqual(rows.count, 500)
        XCTAssertEqual(rows.last?.number, "INV-500")
        XCTAssertEqual(rows.last?.line, 501)
    }
}
