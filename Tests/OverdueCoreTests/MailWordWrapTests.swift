import XCTest
@testable import OverdueCore

final class MailWordWrapTests: XCTestCase {
    func testLongLinesBreakAtSpacesWithinSeventyTwoColumns() {
        let prose = "Invoice INV-2026-0103 for Müller & Söhne Handelsgesellschaft mbH (client mueller) is 91 days overdue "
            + "and has reached the \"hand-off\" stage."
        let lines = WordWrap.lines(prose)
        XCTAssertGreaterThan(lines.count, 1)
        for line in lines { XCTAssertLessThanOrEqual(WordWrap.columns(line), 72, line) }
        XCTAssertEqual(lines.joined(separator: " "), prose)
    }

    func testNeverBreaksInsideAWordURLOrNumberEvenWhenLongerThanALine() {
        let url = "https://pay.example/invoices/" + String(repeating: "x", count: 80)
        let lines = WordWrap.lines("Pay here: \(url) before 2026-03-17, amount 12,500.00 EUR.", width: 40)
        XCTAssertEqual(lines, ["Pay here:", url, "before 2026-03-17, amount 12,500.00 EUR."])
    }

    func testContinuationLinesTakeTheHangingIndent() {
        let lines = WordWrap.lines("1. Take it to small claims court: 1040.00 EUR is within your limit of 12500.00 EUR.",
                                   width: 40, indent: "  ", hangingIndent: "     ")
        XCTAssertEqual(lines, ["  1. Take it to small claims court:",
                               "     1040.00 EUR is within your limit of",
                               "     12500.00 EUR."])
    }

    func testWrapKeepsShortLinesByteForByteAndIndentsContinuations() {
        let text = "Amount due:   1040.00 EUR  \n\n    a b c d e f g h i j k l m n o p\nend"
        XCTAssertEqual(WordWrap.wrap(text, width: 30),
                       "Amount due:   1040.00 EUR  \n\n    a b c d e f g h i j k l m\n    n o p\nend")
    }

    func testWideCharactersCountTwoColumnsAndCombiningMarksNone() {
        XCTAssertEqual(WordWrap.columns("张伟贸易"), 8)
        XCTAssertEqual(WordWrap.columns("e\u{301}"), 1)
        XCTAssertEqual(WordWrap.lines("张伟 贸易 有限 公司", width: 10), ["张伟 贸易", "有限 公司"])
    }
}
