import Foundation
@testable import OverdueCore
import XCTest

/// Reading accounting-tool exports: amounts, dates, separators, title and totals rows, line
/// items folded into their invoice, client ids derived from names or addresses.
final class ImportExportFormatTests: XCTestCase {
    private let eur = Currency(code: "EUR")!
    private let usd = Currency(code: "USD")!
    private let bhd = Currency(code: "BHD")!
    private let jpy = Currency(code: "JPY")!

    /// Minor units of `text` as an export amount, or the problem's text.
    private func amount(_ text: String, _ currency: Currency) -> String {
        switch ExportAmount.parse(text, digits: currency.minorDigits) {
        case .failure(let problem): return "refused: \(problem)"
        case .success(let parsed):
            switch Money.parse(parsed.decimal, currency: currency) {
            case .failure(let error): return "refused: \(error)"
            case .success(let money): return (parsed.negative ? "-" : "") + "\(money.minorUnits)"
            }
        }
    }

    func testAmountsWithSymbolsCodesAndThousandsAreExact() {
        XCTAssertEqual(amount("$1,234.56", usd), "123456")
        XCTAssertEqual(amount("1.234,56 €", eur), "123456")
        XCTAssertEqual(amount("€1.234.567,89", eur), "123456789")
        XCTAssertEqual(amount("EUR 1 234,50", eur), "123450")
        XCTAssertEqual(amount("1\u{00A0}234,50\u{00A0}€", eur), "123450")
        XCTAssertEqual(amount("CHF 1'234.50", Currency(code: "CHF")!), "123450")
        XCTAssertEqual(amount("1,18,000.00", Currency(code: "INR")!), "11800000")
        XCTAssertEqual(amount("0,5", eur), "50")
        XCTAssertEqual(amount("R$ 1.234,56", Currency(code: "BRL")!), "123456")
        XCTAssertEqual(amount("12", eur), "1200")
        // A number no binary floating point holds exactly stays exact.
        XCTAssertEqual(amount("90,071,992,547,409.93", usd), "9007199254740993")
    }

    func testNegativeAmountsInParenthesesOrWithASign() {
        XCTAssertEqual(amount("(1,234.56)", usd), "-123456")
        XCTAssertEqual(amount("-$1,234.56", usd), "-123456")
        XCTAssertEqual(amount("$-1,234.56", usd), "-123456")
        XCTAssertEqual(amount("1.234,56- €", eur), "-123456")
    }

    func testOneMarkFollowedByThreeDigitsGroupsThousandsExceptInThreeDigitCurrencies() {
        XCTAssertEqual(amount("1,500", usd), "150000")
        XCTAssertEqual(amount("1.500", eur), "150000")
        XCTAssertEqual(amount("1,500", jpy), "1500")
        XCTAssertEqual(amount("1.500", bhd), "refused: \"1.500\" is ambiguous: the currency has three decimals, so write 1234.000 or 1.234,000")
        XCTAssertEqual(amount("1,234.500", bhd), "1234500")
    }

    func testMalformedAmountsAreRefused() {
        for text in ["", "abc", "1,2,3", "1.234.56,7,8", "12..5", "$", ".50", "5.", "1 2", "12 EURO", "1.234,567.89"] {
            XCTAssertTrue(amount(text, usd).hasPrefix("refused"), "\(text) → \(amount(text, usd))")
        }
        XCTAssertEqual(amount("1.999", usd), "199900")   // a thousands group, not three decimals
        XCTAssertTrue(amount("1.9999", usd).hasPrefix("refused"))
    }

    func testAmountUnitMustFitTheCurrency() {
        XCTAssertTrue(ExportAmount.unit("€", fits: eur))
        XCTAssertFalse(ExportAmount.unit("€", fits: usd))
        XCTAssertFalse(ExportAmount.unit("GBP", fits: eur))
        XCTAssertTrue(ExportAmount.unit("$", fits: Currency(code: "AUD")!))
    }

    func testDatesInEachConfiguredOrderAndIsoAlways() throws {
        func date(_ text: String, _ order: ImportFormat.DateOrder) -> String {
            switch ExportDate.parse(text, order: order) {
            case .success(let date): "\(date)"
            case .failure(let problem): "\(problem)"
            }
        }
        XCTAssertEqual(date("05/01/2026", .dayMonthYear), "2026-01-05")
        XCTAssertEqual(date("5.1.2026", .dayMonthYear), "2026-01-05")
        XCTAssertEqual(date("01/05/2026", .monthDayYear), "2026-01-05")
        XCTAssertEqual(date("2026/01/05", .yearMonthDay), "2026-01-05")
        XCTAssertEqual(date("2026-01-05", .monthDayYear), "2026-01-05")
        XCTAssertEqual(date("31/02/2026", .dayMonthYear), "notACalendarDate")
        XCTAssertEqual(date("13/31/2026", .dayMonthYear), "notACalendarDate")
        XCTAssertEqual(date("05/01/26", .dayMonthYear), "notYYYYMMDD")
        XCTAssertEqual(date("05/01-2026", .dayMonthYear), "notYYYYMMDD")
        XCTAssertEqual(date("5 Jan 2026", .dayMonthYear), "notYYYYMMDD")
    }

    // MARK: Files

    private func custom(_ columns: [ImportFormat.Field: String], currency: String? = "USD", key: ImportFormat.ClientKey = .name,
                        order: ImportFormat.DateOrder = .monthDayYear, statuses: [String: ImportFormat.StatusMeaning] = [:]) -> ImportFormat {
        ImportFormat(kind: .custom, dateOrder: order, currency: currency.flatMap(Currency.init(code:)), clientKey: key,
                     columns: columns, statuses: statuses)
    }

    private let qbo: [ImportFormat.Field: String] = [
        .number: "Num", .clientName: "Customer", .clientEmail: "Email", .issueDate: "Date", .dueDate: "Due Date",
        .amount: "Amount", .balance: "Open Balance",
    ]

    private func parse(_ text: String, _ format: ImportFormat) -> Result<[ImportRow], CSVImportFailure> {
        CSVImport.parse(Array(text.utf8), fileName: "in.csv", format: format)
    }

    private func rows(_ text: String, _ format: ImportFormat, file: StaticString = #filePath, line: UInt = #line) -> [ImportRow] {
        switch parse(text, format) {
        case .success(let rows): return rows
        case .failure(let failure):
            XCTFail("refused: \(failure.problems)", file: file, line: line)
            return []
        }
    }

    private func problems(_ text: String, _ format: ImportFormat, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        switch parse(text, format) {
        case .success(let rows):
            XCTFail("accepted \(rows.count) rows", file: file, line: line)
            return []
        case .failure(let failure): return failure.problems
        }
    }

    func testTitleRowsBeforeTheHeaderAndTotalsHeadingsAndFootersAfterItAreSkipped() {
        let text = """
            Acme Books
            Open Invoices,,,
            "As of March 1, 2026"

            Date,Num,Customer,Email,Due Date,Amount,Open Balance
            Amy's Bird Sanctuary,,,,,,
            01/05/2026,1037,Amy's Bird Sanctuary,amy@bird.example,02/04/2026,"$1,234.56","$1,000.00"
            Total for Amy's Bird Sanctuary,,,,,"$1,234.56","$1,000.00"
            ,,,,,,
            TOTAL,,,,,"$1,234.56","$1,000.00"
            "Monday, March 2, 2026 09:00 AM"

            """
        let imported = rows(text, custom(qbo))
        XCTAssertEqual(imported.map(\.line), [7])
        XCTAssertEqual(imported.first?.clientID, "Amy's Bird Sanctuary")
        XCTAssertEqual(imported.first?.amount.minorUnits, 123456)
        XCTAssertEqual(imported.first?.paid.minorUnits, 23456)
    }

    func testARowWithAnAmountButNoNumberThatIsNoTotalIsAnError() {
        let text = "Date,Num,Customer,Email,Due Date,Amount,Open Balance\n01/05/2026,,Amy,amy@bird.example,02/04/2026,$10.00,$10.00\n"
        XCTAssertEqual(problems(text, custom(qbo)), ["in.csv:2: Num: is required"])
    }

    func testNoHeaderRowIsRefusedNamingTheColumnsLookedFor() {
        XCTAssertEqual(problems("Report\nDate,Number\n", custom(qbo)), [
            #"in.csv:1: header: no row names the columns of [import.columns] (Amount, Customer, Date, Due Date, Email, Num, Open Balance); its first row is "Report""#,
        ])
    }

    func testHeaderNamesIgnoreCaseAndSurroundingSpaces() {
        let text = " date ,NUM,customer,EMAIL, Due Date ,amount,open balance\n01/05/2026,1,Amy,amy@bird.example,02/04/2026,10.00,0\n"
        XCTAssertEqual(rows(text, custom(qbo)).count, 1)
    }

    func testSemicolonAndTabSeparatorsAreDetected() {
        let header = "Date;Num;Customer;Email;Due Date;Amount;Open Balance"
        let row = "05/01/2026;1;Amy;amy@bird.example;04/02/2026;1.234,56 €;0,00 €"
        let format = custom(qbo, currency: "EUR", order: .dayMonthYear)
        XCTAssertEqual(rows("\(header)\n\(row)\n", format).first?.amount.minorUnits, 123456)
        XCTAssertEqual(rows("\(header)\n\(row)\n".replacingOccurrences(of: ";", with: "\t"), format).first?.amount.minorUnits, 123456)
    }

    func testConsecutiveRowsOfOneInvoiceFoldAndDisagreementNamesBothLines() {
        let header = "Num,Customer,Email,Date,Due Date,Amount,Open Balance,Item\n"
        let line = "7,Amy,amy@bird.example,01/05/2026,02/04/2026,100.00,40.00,"
        XCTAssertEqual(rows(header + line + "A\n" + line + "B\n" + line + "C\n", custom(qbo)).map(\.line), [2])
        let other = "7,Amy,amy@bird.example,01/05/2026,02/05/2026,100.00,40.00,B\n"
        XCTAssertEqual(problems(header + line + "A\n" + other, custom(qbo)), [
            #"in.csv:3: Due Date: invoice "7" has "2026-02-04" on line 2 and "2026-02-05" on line 3; the rows of one invoice must agree"#,
        ])
        let apart = header + line + "A\n" + "8,Bo,bo@x.example,01/05/2026,02/04/2026,5.00,5.00,X\n" + line + "B\n"
        XCTAssertEqual(problems(apart, custom(qbo)), [
            #"in.csv:4: Num: invoice "7" appears twice (first on line 2); the rows of one invoice must follow one another"#,
        ])
    }

    func testClientIdFromTheFirstAddressWhenKeyedByEmail() {
        let text = "Num,Customer,Email,Date,Due Date,Amount,Open Balance\n1,Amy,Amy@Bird.example; ops@bird.example,01/05/2026,02/04/2026,1,1\n"
        XCTAssertEqual(rows(text, custom(qbo, key: .email)).first?.clientID, "amy@bird.example")
    }

    func testStatusWordsMapToOpenPaidCancelledOrSkip() {
        var columns = qbo
        columns[.status] = "State"
        let format = custom(columns, statuses: ["unpaid": .open, "settled": .paid, "void": .cancelled, "draft": .skip])
        let text = """
            Num,Customer,Email,Date,Due Date,Amount,Open Balance,State
            1,Amy,amy@bird.example,01/05/2026,02/04/2026,10,10, Unpaid
            2,Amy,amy@bird.example,01/05/2026,02/04/2026,10,0,SETTLED
            3,Amy,amy@bird.example,01/05/2026,02/04/2026,10,10,void
            4,Amy,,,,,,Draft
            5,Amy,amy@bird.example,01/05/2026,02/04/2026,10,10,open

            """
        XCTAssertEqual(rows(text, format).map(\.status), [.open, .paid, .cancelled, .open])
        XCTAssertEqual(problems(text.replacingOccurrences(of: "void", with: "gone"), format).first,
                       #"in.csv:4: State: "gone" is not a status of this format (known: "cancelled", "draft", "open", "paid", "settled", "unpaid", "void"); map it in [import.status]"#)
    }

    func testXeroReadsOnlySalesInvoicesAndItsStatuses() {
        let header = "ContactName,EmailAddress,InvoiceNumber,InvoiceDate,DueDate,Total,InvoiceAmountPaid,InvoiceAmountDue,Description,Currency,Type,Status\n"
        let text = header + """
            Acme,ap@acme.example,INV-1,05/01/2026,04/02/2026,120.00,20.00,100.00,A,GBP,Sales invoice,Awaiting Payment
            Acme,ap@acme.example,INV-1,05/01/2026,04/02/2026,120.00,20.00,100.00,B,GBP,Sales invoice,Awaiting Payment
            Acme,ap@acme.example,CN-1,05/01/2026,05/01/2026,-10.00,0.00,-10.00,A,GBP,Sales credit note,Awaiting Payment
            Acme,ap@acme.example,INV-2,05/01/2026,04/02/2026,50.00,50.00,0.00,A,GBP,ACCREC,PAID
            Acme,ap@acme.example,INV-3,,,,,,A,GBP,Sales invoice,Draft

            """
        let format = ImportFormat(kind: .xero, dateOrder: .dayMonthYear)
        let imported = rows(text, format)
        XCTAssertEqual(imported.map(\.number), ["INV-1", "INV-2"])
        XCTAssertEqual(imported.map(\.paid.minorUnits), [2000, 5000])
        XCTAssertEqual(imported.map(\.status), [.open, .paid])
        XCTAssertEqual(imported.first?.clientID, "Acme")
    }

    func testWindows1252BytesAreRefusedWithAHint() {
        var bytes = Array("Num,Customer,Email,Date,Due Date,Amount,Open Balance\n1,M".utf8)
        bytes += [0xFC] + Array("ller,m@x.example,01/05/2026,02/04/2026,1,1\n".utf8)
        switch CSVImport.parse(bytes, fileName: "in.csv", format: custom(qbo)) {
        case .success: XCTFail("accepted")
        case .failure(let failure):
            XCTAssertEqual(failure.problems, [
                #"in.csv:2: Customer: is not valid UTF-8 (byte 0xFC at byte 2 of the field): the file looks like Windows-1252 (this field would read "Müller"): save the export as "CSV UTF-8", or convert it: iconv -f WINDOWS-1252 -t UTF-8 < in.csv > utf8.csv"#,
            ])
        }
    }

    func testExportsStreamTheSameInBlocksOfAnySize() throws {
        var text = "Title\nItem,Num,Customer,Email,Date,Due Date,Amount,Open Balance\n"
        for n in 0..<300 {
            for item in 0..<3 { text += "\(item),\(n),Client \(n % 7),c\(n % 7)@x.example,01/05/2026,02/04/2026,\"1,000.00\",500.00\n" }
        }
        text += "TOTAL,,,,,,\"300,000.00\",\"150,000.00\"\n"
        let bytes = Array(text.utf8)
        for piece in [1, 7, 4096] {
            var offset = 0
            func reader() -> CSVFileRead {
                offset = 0
                return { buffer in
                    let count = min(piece, buffer.count, bytes.count - offset)
                    if count > 0 { bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) } }
                    offset += count
                    return count
                }
            }
            let checked = try CSVImport.check(fileName: "in.csv", format: custom(qbo), read: reader()).get()
            XCTAssertEqual(checked.rows, 300)
            var stream = CSVImportRows(checked: checked)
            var count = 0
            while let row = try stream.next() {
                XCTAssertEqual(row.line, 3 + 3 * count)
                count += 1
            }
            XCTAssertEqual(count, 300)
        }
    }
}
