import Foundation
import OverdueCore
import XCTest

/// Field rules: every bad value is refused with `FILE:LINE: column: problem`.
final class ImportValidationTests: XCTestCase {
    func testBadDates() {
        XCTAssertEqual(problems(with: ["issue_date": "2026-02-30"]), ["in.csv:2: issue_date: \"2026-02-30\" is not a calendar date"])
        XCTAssertEqual(problems(with: ["due_date": "2026-2-3"]), ["in.csv:2: due_date: \"2026-2-3\" is not a date in the form YYYY-MM-DD"])
        XCTAssertEqual(problems(with: ["due_date": ""]), ["in.csv:2: due_date: is required"])
        XCTAssertEqual(problems(with: ["issue_date": "2100-02-29"]), ["in.csv:2: issue_date: \"2100-02-29\" is not a calendar date"])
        XCTAssertEqual(problems(with: ["issue_date": "2026-13-01"]), ["in.csv:2: issue_date: \"2026-13-01\" is not a calendar date"])
        XCTAssertEqual(problems(with: ["issue_date": "0000-01-01"]), ["in.csv:2: issue_date: \"0000-01-01\" is not a calendar date"])
        for text in ["2026/02/01", "01-02-2026", "2026-02-01T00:00", " 2026-02-01", "2026-02-01 ", "+026-02-01", "２０２６-02-01"] {
            XCTAssertEqual(problems(with: ["issue_date": text]), ["in.csv:2: issue_date: \"\(text)\" is not a date in the form YYYY-MM-DD"], text)
        }
    }

    func testLeapDayIsAValidDate() {
        XCTAssertEqual(importedRows(ImportFixture.file([ImportFixture.record(["issue_date": "2028-02-29", "due_date": "2028-02-29"])])).count, 1)
    }

    func testDueDateBeforeIssueDate() {
        XCTAssertEqual(problems(with: ["issue_date": "2026-03-02"]), ["in.csv:2: due_date: 2026-03-01 is before issue_date 2026-03-02"])
    }

    func testBadMoney() {
        XCTAssertEqual(problems(with: ["amount": "1e3"]), [#"in.csv:2: amount: "1e3" is not a plain decimal amount (digits with an optional '.')"#])
        XCTAssertEqual(problems(with: ["amount": "-5"]), [#"in.csv:2: amount: "-5" is not a plain decimal amount (digits with an optional '.')"#])
        XCTAssertEqual(problems(with: ["amount": "10.001"]), [#"in.csv:2: amount: "10.001" has more than 2 decimal digits, the most EUR allows"#])
        XCTAssertEqual(problems(with: ["amount": "1,000.00"]), [#"in.csv:2: amount: "1,000.00" is not a plain decimal amount (digits with an optional '.')"#])
        XCTAssertEqual(problems(with: ["amount": " 12"]), [#"in.csv:2: amount: " 12" is not a plain decimal amount (digits with an optional '.')"#])
        XCTAssertEqual(problems(with: ["amount": "12.5", "paid": "", "currency": "JPY"]),
                       [#"in.csv:2: amount: "12.5" has more than 0 decimal digits, the most JPY allows"#])
        XCTAssertEqual(problems(with: ["amount": "99999999999999999999"]), [#"in.csv:2: amount: "99999999999999999999" is too large"#])
        for text in ["+5", "5.", ".5", "1.2.3", "12 ", "0x10", "١٢", "NaN", "inf", "1_000"] {
            XCTAssertEqual(problems(with: ["amount": text]).count, 1, text)
        }
    }

    func testAmountMustBePositive() {
        XCTAssertEqual(problems(with: ["amount": "0", "paid": "0"]), ["in.csv:2: amount: must be greater than 0"])
        XCTAssertEqual(problems(with: ["amount": "0.00", "paid": ""]), ["in.csv:2: amount: must be greater than 0"])
    }

    func testBadPaid() {
        XCTAssertEqual(problems(with: ["paid": "1200.01"]), ["in.csv:2: paid: 1200.01 is more than the amount 1200.00"])
        XCTAssertEqual(problems(with: ["paid": "-1"]), [#"in.csv:2: paid: "-1" is not a plain decimal amount (digits with an optional '.')"#])
        XCTAssertEqual(problems(with: ["paid": "0.001"]), [#"in.csv:2: paid: "0.001" has more than 2 decimal digits, the most EUR allows"#])
    }

    func testMoneyIsStillCheckedForFormWhenTheCurrencyIsBad() {
        XCTAssertEqual(problems(with: ["currency": "eur", "amount": "1e3"]), [
            #"in.csv:2: currency: "eur" must be written in upper case: EUR"#,
            #"in.csv:2: amount: "1e3" is not a plain decimal amount (digits with an optional '.')"#,
        ])
    }

    func testUnknownCurrencies() {
        XCTAssertEqual(problems(with: ["currency": "eur"]), [#"in.csv:2: currency: "eur" must be written in upper case: EUR"#])
        XCTAssertEqual(problems(with: ["currency": "XXX"]), [#"in.csv:2: currency: "XXX" is not an ISO 4217 currency code"#])
        XCTAssertEqual(problems(with: ["currency": "ABC"]), [#"in.csv:2: currency: "ABC" is not an ISO 4217 currency code"#])
        XCTAssertEqual(problems(with: ["currency": "EURO"]), [#"in.csv:2: currency: "EURO" is not an ISO 4217 currency code"#])
        XCTAssertEqual(problems(with: ["currency": " EUR"]), [#"in.csv:2: currency: " EUR" is not an ISO 4217 currency code"#])
        XCTAssertEqual(problems(with: ["currency": ""]), ["in.csv:2: currency: is required"])
    }

    func testSameBadCurrencyOnEveryRowIsReportedOnEveryRow() {
        let file = ImportFixture.file([
            ImportFixture.record(["number": "A", "currency": "ABC"]),
            ImportFixture.record(["number": "B", "currency": "ABC"]),
        ])
        XCTAssertEqual(importProblems(file), [
            #"in.csv:2: currency: "ABC" is not an ISO 4217 currency code"#,
            #"in.csv:3: currency: "ABC" is not an ISO 4217 currency code"#,
        ])
    }

    func testBadAddresses() {
        for text in ["ap", "ap@", "@acme.example", "a p@acme.example", "ap@@acme.example", "Jane <ap@acme.example>",
                     "ap@acme..example", "ap@-acme.example", "äp@acme.example", "ap@acme.example,b@acme.example"] {
            XCTAssertEqual(problems(with: ["client_email": text]),
                           ["in.csv:2: client_email: \"\(text)\" is not a valid email address"], text)
        }
        XCTAssertEqual(problems(with: ["client_email": "ap@acme.example;bad"]), [#"in.csv:2: client_email: "bad" is not a valid email address"#])
        XCTAssertEqual(problems(with: ["client_email": ""]), ["in.csv:2: client_email: is required"])
        XCTAssertEqual(problems(with: ["client_email": " ; ;"]), ["in.csv:2: client_email: is required"])
    }

    func testEveryBadAddressOfARowIsListed() {
        XCTAssertEqual(problems(with: ["client_email": "x;ap@acme.example;y"]), [
            #"in.csv:2: client_email: "x" is not a valid email address"#,
            #"in.csv:2: client_email: "y" is not a valid email address"#,
        ])
    }

    func testControlCharactersInEveryTextField() {
        let controls: [(String, String)] = [("\r", "000D"), ("\n", "000A"), ("\0", "0000"), ("\t", "0009"), ("\u{7F}", "007F"),
                                            ("\u{85}", "0085"), ("\u{9F}", "009F"), ("\u{2028}", "2028"), ("\u{2029}", "2029")]
        for column in ["number", "client_id", "client_name", "client_email"] {
            for (scalar, code) in controls {
                let value = ImportFixture.good[column]! + scalar + "x"
                // Whitespace controls may separate addresses, but never sit inside one.
                let expected = column == "client_email" && ["\r", "\n", "\t"].contains(scalar)
                    ? "in.csv:2: client_email: \"ap@acme.example\\u{\(code)}x\" is not a valid email address"
                    : "in.csv:2: \(column): contains the control character U+\(code)"
                XCTAssertEqual(problems(with: [column: value]), [expected], "\(column) U+\(code)")
            }
        }
    }

    func testControlCharacterInOtherColumns() {
        XCTAssertEqual(problems(with: ["status": "open\r"]), ["in.csv:2: status: contains the control character U+000D"])
        XCTAssertEqual(problems(with: ["amount": "12\u{0}"]), ["in.csv:2: amount: contains the control character U+0000"])
    }

    func testNonControlUnicodeNearTheForbiddenRangesIsAllowed() {
        // U+00A0, U+2027, U+202A and U+200B are not on the forbidden list.
        let rows = importedRows(ImportFixture.file([ImportFixture.record(["client_name": "A\u{A0}B\u{2027}C\u{202A}D\u{200B}E"])]))
        XCTAssertEqual(rows.first?.clientName, "A\u{A0}B\u{2027}C\u{202A}D\u{200B}E")
    }

    func testIdentifiersWithSurroundingSpacesAreRefused() {
        XCTAssertEqual(problems(with: ["number": "INV-1 "]), [#"in.csv:2: number: "INV-1 " has leading or trailing spaces"#])
        XCTAssertEqual(problems(with: ["client_id": " acme"]), [#"in.csv:2: client_id: " acme" has leading or trailing spaces"#])
        XCTAssertEqual(problems(with: ["client_name": "   "]), ["in.csv:2: client_name: is required"])
    }

    func testRequiredFields() {
        for column in ["number", "client_id", "client_name", "client_email", "issue_date", "due_date", "amount", "currency"] {
            XCTAssertEqual(problems(with: [column: ""]), ["in.csv:2: \(column): is required"], column)
        }
    }

    func testBadStatus() {
        for text in ["Open", "PAID", "canceled", "escalated", "written_off", "closed"] {
            XCTAssertEqual(problems(with: ["status": text]), ["in.csv:2: status: \"\(text)\" is not one of open, paid, cancelled"], text)
        }
    }

    func testDuplicateInvoiceNumberNamesTheFirstLine() {
        let file = ImportFixture.file([
            ImportFixture.record(["number": "INV-1"]),
            ImportFixture.record(["number": "INV-2"]),
            ImportFixture.record(["number": "INV-1"]),
            ImportFixture.record(["number": "INV-1"]),
        ])
        XCTAssertEqual(importProblems(file), [
            #"in.csv:4: number: invoice "INV-1" appears twice (first on line 2)"#,
            #"in.csv:5: number: invoice "INV-1" appears twice (first on line 2)"#,
        ])
    }

    func testClientRowsThatDisagreeAreRefused() {
        let file = ImportFixture.file([
            ImportFixture.record(["number": "INV-1"]),
            ImportFixture.record(["number": "INV-2", "client_name": "Acme Ltd"]),
            ImportFixture.record(["number": "INV-3", "client_email": "other@acme.example"]),
        ])
        XCTAssertEqual(importProblems(file), [
            #"in.csv:3: client_name: client "acme" is named "Acme GmbH" on line 2; every row of a client must agree"#,
            #"in.csv:4: client_email: client "acme" has the addresses "ap@acme.example" on line 2; every row of a client must agree"#,
        ])
    }

    func testEveryProblemOfEveryRowIsListed() {
        let file = ImportFixture.file([
            ImportFixture.record(["number": "A", "amount": "x", "due_date": "soon"]),
            ImportFixture.record(["number": "B"]),
            ImportFixture.record(["number": "C", "currency": "ABC", "status": "?"]),
        ])
        XCTAssertEqual(importProblems(file), [
            "in.csv:2: due_date: \"soon\" is not a date in the form YYYY-MM-DD",
            "in.csv:2: amount: \"x\" is not a plain decimal amount (digits with an optional '.')",
            "in.csv:4: currency: \"ABC\" is not an ISO 4217 currency code",
            "in.csv:4: status: \"?\" is not one of open, paid, cancelled",
        ])
    }

    func testProblemListIsCappedWithACount() {
        let records = (1...250).map { ImportFixture.record(["number": "INV-\($0)", "amount": "bad"]) }
        guard case .failure(let failure) = ImportFixture.parse(ImportFixture.file(records)) else { return XCTFail("accepted") }
        XCTAssertEqual(failure.total, 250)
        XCTAssertEqual(failure.problems.count, CSVImport.problemLimit + 1)
        XCTAssertEqual(failure.problems.first, #"in.csv:2: amount: "bad" is not a plain decimal amount (digits with an optional '.')"#)
        XCTAssertEqual(failure.problems.last, "… and 150 more problems")
    }

    func testFileNameIsUsedAsGiven() {
        guard case .failure(let failure) = CSVImport.parse(ImportFixture.file([ImportFixture.record(["amount": ""])]),
                                                            fileName: "../exports/March 2026.csv") else { return XCTFail("accepted") }
        XCTAssertEqual(failure.problems, ["../exports/March 2026.csv:2: amount: is required"])
    }

    func testLongValuesAreClippedInMessages() {
        let long = String(repeating: "x", count: 500)
        XCTAssertEqual(problems(with: ["status": long]),
                       ["in.csv:2: status: \"\(String(repeating: "x", count: 57))...\" is not one of open, paid, cancelled"])
    }
}
