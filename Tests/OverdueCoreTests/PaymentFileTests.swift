import Foundation
import OverdueCore
import XCTest

/// Payment files: form checked by `PaymentFile.parse`, meaning checked against the ledger by
/// `PaymentFile.resolve`; every problem `FILE:LINE: column: problem`, nothing partial.
final class PaymentFileTests: XCTestCase {
    let eur = Currency(code: "EUR")!
    let jpy = Currency(code: "JPY")!

    private func parse(_ text: String) -> Result<[PaymentLine], CSVImportFailure> {
        PaymentFile.parse(Array(text.utf8), fileName: "pay.csv")
    }

    private func problems(_ text: String) -> [String] {
        if case .failure(let failure) = parse(text) { return failure.problems }
        return []
    }

    private func invoice(_ number: String, amount: Int64 = 100_00, paid: Int64 = 0, fees: Int64 = 0,
                         currency: Currency? = nil, status: InvoiceStatus = .open) -> Invoice {
        let currency = currency ?? eur
        return Invoice(number: number, clientID: "acme", issueDate: LocalDate("2026-01-01")!, dueDate: LocalDate("2026-02-01")!,
                       amount: Money(minorUnits: amount, currency: currency), paid: Money(minorUnits: paid, currency: currency),
                       status: status, fees: Money(minorUnits: fees, currency: currency))
    }

    private func resolve(_ text: String, ledger: [Invoice], recorded: Set<PaymentIdentity> = []) throws -> Result<PaymentPlan, CSVImportFailure> {
        let lines = try parse(text).get()
        let byNumber = Dictionary(uniqueKeysWithValues: ledger.map { ($0.number, $0) })
        return try PaymentFile.resolve(lines, fileName: "pay.csv", invoice: { byNumber[$0] }, isRecorded: { recorded.contains($0) })
    }

    private func resolveProblems(_ text: String, ledger: [Invoice]) throws -> [String] {
        if case .failure(let failure) = try resolve(text, ledger: ledger) { return failure.problems }
        return []
    }

    func testColumnsInAnyOrderWithAnOptionalReferenceAreRead() throws {
        let lines = try parse("date,amount,invoice\r\n2026-03-02,10.5,INV-1\r\n").get()
        XCTAssertEqual(lines, [PaymentLine(line: 2, invoice: "INV-1", amount: try DecimalAmount.parse("10.5").get(),
                                           date: LocalDate("2026-03-02")!)])
        let withReference = try parse("invoice,amount,date,reference\nINV-1,10,2026-03-02, TX 7 \n").get()
        XCTAssertEqual(withReference.first?.reference, "TX 7")
    }

    func testABadHeaderNamesWhatIsMissingOrUnknown() {
        XCTAssertEqual(problems("invoice,amount\nINV-1,10\n"), ["pay.csv:1: date: required column is missing from the header"])
        XCTAssertEqual(problems("invoice,amount,date,memo\n"),
                       [#"pay.csv:1: "memo": unknown column (the columns are invoice, amount, date, reference)"#])
        XCTAssertEqual(problems(""), ["pay.csv:1: header: the file is empty; the first line must name the columns (invoice, amount, date, reference)"])
    }

    func testEveryBadLineIsListedWithItsColumn() {
        let text = "invoice,amount,date\nINV-1,-5,2026-03-02\n,10,2026-03-02\nINV-2,10,2026-02-30\nINV-3,0,02/03/2026\nINV-4,10\n"
        XCTAssertEqual(problems(text), [
            #"pay.csv:2: amount: "-5" is not a plain decimal amount (digits with an optional '.')"#,
            "pay.csv:3: invoice: is required",
            #"pay.csv:4: date: "2026-02-30" is not a calendar date"#,
            #"pay.csv:5: amount: "0" must be greater than 0"#,
            #"pay.csv:5: date: "02/03/2026" is not a date in the form YYYY-MM-DD"#,
            "pay.csv:6: row: has 2 fields, the header has 3",
        ])
    }

    func testTheHeaderTellsAPaymentFileFromAnInvoiceFile() {
        XCTAssertTrue(PaymentFile.hasPaymentHeader(Array("invoice,amount,date\n".utf8)))
        XCTAssertTrue(PaymentFile.hasPaymentHeader(Array("\u{FEFF}reference,date,amount,invoice\n".utf8)))
        XCTAssertFalse(PaymentFile.hasPaymentHeader(Array("number,client_id,client_name,client_email,issue_date,due_date,amount,currency\n".utf8)))
        XCTAssertFalse(PaymentFile.hasPaymentHeader(Array("invoice,amount\n".utf8)))
        XCTAssertFalse(PaymentFile.hasPaymentHeader([]))
    }

    func testAmountsAreExactInTheInvoicesCurrency() throws {
        let plan = try resolve("invoice,amount,date\nINV-1,10.5,2026-03-02\nINV-Y,500,2026-03-02\n",
                               ledger: [invoice("INV-1"), invoice("INV-Y", amount: 1000, currency: jpy)]).get()
        XCTAssertEqual(plan.payments.map(\.amount), [Money(minorUnits: 10_50, currency: eur), Money(minorUnits: 500, currency: jpy)])
        XCTAssertEqual(try resolveProblems("invoice,amount,date\nINV-Y,10.5,2026-03-02\n", ledger: [invoice("INV-Y", amount: 1000, currency: jpy)]),
                       [#"pay.csv:2: amount: "10.5" has more than 0 decimal digits, the most JPY allows (invoice INV-Y is in JPY)"#])
    }

    func testAnUnknownInvoiceACancelledOneAndAnOverpaymentNameTheirLines() throws {
        let text = "invoice,amount,date\nINV-9,10,2026-03-02\nINV-C,10,2026-03-02\nINV-1,60,2026-03-02\nINV-1,50,2026-03-03\nINV-P,1,2026-03-02\n"
        XCTAssertEqual(try resolveProblems(text, ledger: [invoice("INV-1"), invoice("INV-C", status: .cancelled),
                                                          invoice("INV-P", paid: 100_00, status: .paid)]), [
            #"pay.csv:2: invoice: "INV-9" is not in the ledger"#,
            #"pay.csv:3: invoice: "INV-C" is cancelled; payments cannot be recorded"#,
            "pay.csv:5: amount: 50.00 EUR exceeds the balance 40.00 EUR of invoice INV-1 left after the file's earlier lines (an overpayment)",
            "pay.csv:6: amount: invoice INV-P is already paid in full; 1.00 EUR would overpay it",
        ])
    }

    func testTheBalanceIncludesChargedFees() throws {
        let plan = try resolve("invoice,amount,date\nINV-1,115.00,2026-03-02\n", ledger: [invoice("INV-1", fees: 15_00)]).get()
        XCTAssertEqual(plan.payments.count, 1)
        XCTAssertEqual(try resolveProblems("invoice,amount,date\nINV-1,115.01,2026-03-02\n", ledger: [invoice("INV-1", fees: 15_00)]).count, 1)
    }

    func testAPaymentIsItsInvoiceDateAmountAndReferenceSoARepeatIsRecordedOnce() throws {
        let text = """
            invoice,amount,date,reference
            INV-1,10.5,2026-03-02,TX1
            INV-1,10.50,2026-03-02,TX1
            INV-1,10.50,2026-03-02,TX2
            INV-1,10.50,2026-03-03,TX1
            INV-1,20,2026-03-02,TX1

            """
        let plan = try resolve(text, ledger: [invoice("INV-1")]).get()
        XCTAssertEqual(plan.payments.map(\.line), [2, 4, 5, 6])
        XCTAssertEqual(plan.alreadyRecorded, 1)
        let earlier = PaymentIdentity(invoice: "INV-1", date: LocalDate("2026-03-02")!, minorUnits: 20_00, reference: "TX1")
        let again = try resolve(text, ledger: [invoice("INV-1")], recorded: [earlier]).get()
        XCTAssertEqual(again.payments.map(\.line), [2, 4, 5])
        XCTAssertEqual(again.alreadyRecorded, 2)
    }
}
