import Foundation
@testable import OverdueCore
import XCTest

/// `plan` output: the contract's JSON lines byte for byte, the table, and line selection.
final class EscalationFormatterTests: XCTestCase {
    func line(_ invoice: String, action: PlanLine.Action = .email, stage: String? = "reminder-30",
              reason: SkipReason? = nil, to: [String] = ["ap@acme.example"], amount: String = "1200.00",
              currency: String = "EUR") -> PlanLine {
        PlanLine(invoice: invoice, client: "acme", stage: stage, action: action, daysOverdue: 31,
                 amountDue: Fixture.money(amount, currency), to: to, reason: reason)
    }

    func testDueLineMatchesTheContractExample() {
        XCTAssertEqual(PlanFormatter.jsonLine(line("INV-7")),
                       #"{"invoice":"INV-7","client":"acme","stage":"reminder-30","action":"email","days_overdue":31,"amount_due":"1200.00","currency":"EUR","to":["ap@acme.example"]}"#)
    }

    func testSkippedLineEndsWithItsReasonAndNullStage() {
        let skipped = line("INV-8", action: .none, stage: nil, reason: .notDue, to: [])
        XCTAssertEqual(PlanFormatter.jsonLine(skipped),
                       #"{"invoice":"INV-8","client":"acme","stage":null,"action":"none","days_overdue":31,"amount_due":"1200.00","currency":"EUR","to":[],"reason":"not-due"}"#)
    }

    func testEveryReasonIsWrittenAsTheContractSpellsIt() {
        let names = SkipReason.allCases.map { reason -> String in
            let json = PlanFormatter.jsonLine(line("X", action: .none, reason: reason, to: []))
            return String(json[json.range(of: #""reason":""#)!.upperBound...].dropLast(2))
        }
        XCTAssertEqual(names, ["closed", "blocked", "client-hold", "hold", "not-due", "done", "notice-period", "min-gap", "window"])
    }

    func testActionsAreWrittenAsTheContractSpellsThem() {
        XCTAssertTrue(PlanFormatter.jsonLine(line("X", action: .writeOff, to: [])).contains(#""action":"write-off","#))
        XCTAssertTrue(PlanFormatter.jsonLine(line("X", action: .escalate)).contains(#""action":"escalate","#))
    }

    func testAmountsHaveTheCurrencysMinorDigits() {
        XCTAssertTrue(PlanFormatter.jsonLine(line("X", amount: "1200", currency: "JPY"))
            .contains(#""amount_due":"1200","currency":"JPY""#))
        XCTAssertTrue(PlanFormatter.jsonLine(line("X", amount: "12.5", currency: "KWD"))
            .contains(#""amount_due":"12.500","currency":"KWD""#))
        XCTAssertTrue(PlanFormatter.jsonLine(line("X", amount: "0.5", currency: "EUR"))
            .contains(#""amount_due":"0.50""#))
    }

    func testPlannedLineFormatsEndToEnd() {
        let planned = Fixture.planner().plan(Fixture.context(number: "INV-7", due: "2026-01-29"), at: Fixture.instant("2026-03-01"))
        XCTAssertEqual(PlanFormatter.jsonLine(planned),
                       #"{"invoice":"INV-7","client":"acme","stage":"reminder-30","action":"email","days_overdue":31,"amount_due":"1200.00","currency":"EUR","to":["ap@acme.example"]}"#)
    }

    func testTextIsEscapedOntoOneLine() {
        let odd = PlanLine(invoice: "INV\"1\\", client: "a\u{2028}b", stage: nil, action: .none, daysOverdue: -2,
                           amountDue: Fixture.money("1"), to: [], reason: .hold)
        XCTAssertEqual(PlanFormatter.jsonLine(odd),
                       #"{"invoice":"INV\"1\\","client":"a\u2028b","stage":null,"action":"none","days_overdue":-2,"amount_due":"1.00","currency":"EUR","to":[],"reason":"hold"}"#)
    }

    func testStringsEscapeQuotesBackslashesAndControlsAndKeepOtherTextAsUTF8() {
        let expected: [(String, String)] = [
            ("", #""""#), ("INV-1", #""INV-1""#), ("a\"b", #""a\"b""#), ("back\\slash", #""back\\slash""#),
            ("tab\there", #""tab\there""#), ("nl\n", #""nl\n""#), ("\u{7F}", #""\u007f""#), ("\u{85}", #""\u0085""#),
            ("caf\u{E9}", "\"caf\u{E9}\""), ("\u{2028}x", #""\u2028x""#), ("\u{20AC}100", "\"\u{20AC}100\""),
            ("\u{1F600}", "\"\u{1F600}\""), ("\u{0}", #""\u0000""#),
        ]
        for (text, json) in expected {
            var out: [UInt8] = []
            JSONValue.writeString(text, to: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), json, text.debugDescription)
        }
    }

    func testNegativeAmountsAndDaysAreWrittenWithTheirSign() {
        var negative = line("X")
        negative.amountDue = Money(minorUnits: -5, currency: Currency(code: "EUR")!)
        negative.daysOverdue = -3
        XCTAssertTrue(PlanFormatter.jsonLine(negative).contains(#""days_overdue":-3,"amount_due":"-0.05""#))
    }

    func testSelectionWithoutAllKeepsOnlyLinesWithSomethingToDo() {
        let lines = [line("B"), line("A", action: .none, reason: .hold, to: []), line("C", action: .escalate)]
        XCTAssertEqual(PlanFormatter.select(lines, all: false).map(\.invoice), ["B", "C"])
        XCTAssertEqual(PlanFormatter.select(lines, all: true).map(\.invoice), ["A", "B", "C"])
        XCTAssertFalse(PlanFormatter.isListed(lines[1], all: false))
        XCTAssertTrue(PlanFormatter.isListed(lines[1], all: true))
        XCTAssertTrue(PlanFormatter.isListed(lines[0], all: false))
    }

    func testSelectionOrdersByInvoiceNumberBytes() {
        let numbers = ["INV-2", "INV-10", "inv-1", "Z", "\u{E9}", "e\u{301}", "INV-1"]
        let sorted = PlanFormatter.select(numbers.map { line($0) }, all: true).map(\.invoice)
        // Byte order: digits < upper case < lower case < multi-byte; decomposed é (65 CC 81) before é (C3 A9).
        XCTAssertEqual(sorted.map { Array($0.utf8) }, ["INV-1", "INV-10", "INV-2", "Z", "e\u{301}", "inv-1", "\u{E9}"].map { Array($0.utf8) })
    }

    func testTableAlignsColumns() {
        let lines = [
            line("INV-7"),
            line("INV-1000", action: .none, stage: nil, reason: .notDue, to: [], amount: "5", currency: "JPY"),
            line("INV-9", action: .writeOff, stage: "write-off", to: []),
        ]
        XCTAssertEqual(PlanFormatter.table(lines), """
            INVOICE   CLIENT  STAGE        ACTION     DAYS  AMOUNT_DUE   TO/REASON
            INV-7     acme    reminder-30  email      31    1200.00 EUR  ap@acme.example
            INV-1000  acme    -            none       31    5 JPY        not-due
            INV-9     acme    write-off    write-off  31    1200.00 EUR  -

            """)
    }

    func testTableOfNothingIsJustTheHeader() {
        XCTAssertEqual(PlanFormatter.table([]), "INVOICE  CLIENT  STAGE  ACTION  DAYS  AMOUNT_DUE  TO/REASON\n")
    }

    func testTableShowsSeveralRecipientsAndEscapesControls() {
        let row = line("INV\n1", to: ["a@x.example", "b@x.example"])
        XCTAssertTrue(PlanFormatter.table([row]).hasSuffix("INV\\u{000A}1  acme    reminder-30  email   31    1200.00 EUR  a@x.example,b@x.example\n"))
    }
}
