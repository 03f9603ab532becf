import Foundation
import OverdueCore
import OverdueTestSupport
import XCTest

/// `PaymentRules`, the one implementation of recording payments (by hand and from a file)
/// that the SQLite and PostgreSQL stores run.
final class PaymentRulesTests: XCTestCase {
    let context = ChangeContext(at: Date(timeIntervalSince1970: 1_770_600_000))
    let day = LocalDate("2026-02-10")!

    private func euros(_ minorUnits: Int64) -> Money { Money(minorUnits: minorUnits, currency: Currency(code: "EUR")!) }

    private func refusal(_ number: String, _ amount: Money, in ledger: RulesLedger) -> String? {
        var audit = RecordedAudit()
        do {
            _ = try PaymentRules.recordPayment(invoice: number, amount: amount, on: day, in: ledger, audit: &audit, context: context)
            return nil
        } catch let error as OverdueError {
            XCTAssertEqual(error.exitCode, .dataError)
            XCTAssertTrue(ledger.payments.isEmpty && audit.records.isEmpty, "a refused payment changes nothing")
            return error.message
        } catch {
            return "\(error)"
        }
    }

    func testAPaymentIsRefusedForACancelledInvoiceAnotherCurrencyANonPositiveAmountOrMoreThanTheBalance() {
        let ledger = RulesLedger()
        ledger.addInvoice("INV-1", amount: 100_00, paid: 30_00, fees: 5_00)
        ledger.addInvoice("INV-C", status: .cancelled)
        ledger.addInvoice("INV-P", amount: 100_00, paid: 100_00, status: .paid)
        XCTAssertEqual(refusal("NOPE", euros(1), in: ledger), "invoice NOPE: not found")
        XCTAssertEqual(refusal("INV-C", euros(1), in: ledger), "invoice INV-C: is cancelled; payments cannot be recorded")
        XCTAssertEqual(refusal("INV-1", Money(minorUnits: 1, currency: Currency(code: "USD")!), in: ledger),
                       "invoice INV-1: payment in USD but the invoice is in EUR")
        XCTAssertEqual(refusal("INV-1", euros(0), in: ledger), "invoice INV-1: payment amount must be greater than 0")
        XCTAssertEqual(refusal("INV-1", euros(75_01), in: ledger), "invoice INV-1: payment 75.01 EUR exceeds the balance 75.00 EUR")
        XCTAssertEqual(refusal("INV-P", euros(1), in: ledger), "invoice INV-P: is already paid in full")
    }

    func testAPaymentOfTheWholeBalanceMakesEvenAnEscalatedInvoicePaidAndIsAuditedWithTheNewTotal() throws {
        let ledger = RulesLedger()
        ledger.addInvoice("INV-1", amount: 100_00, paid: 30_00, fees: 5_00, status: .escalated)
        var audit = RecordedAudit()
        let after = try PaymentRules.recordPayment(invoice: "INV-1", amount: euros(75_00), on: day, in: ledger, audit: &audit, context: context)
        XCTAssertEqual(after.status, .paid)
        XCTAssertEqual(after.paid.minorUnits, 105_00)
        XCTAssertEqual(ledger.invoices["INV-1"]?.status, .paid)
        XCTAssertEqual(ledger.payments.map(\.reference), [nil])
        XCTAssertEqual(ledger.payments.first?.at, context.at)
        XCTAssertEqual(audit.lines, [#"invoice.paid INV-1 acme - {"amount":"75.00","currency":"EUR","paid_on":"2026-02-10","paid_total":"105.00","balance":"0.00","status":{"from":"escalated","to":"paid"}}"#])
    }

    func testAPartPaymentLeavesTheStatusAlone() throws {
        let ledger = RulesLedger()
        ledger.addInvoice("INV-1")
        var audit = RecordedAudit()
        XCTAssertEqual(try PaymentRules.recordPayment(invoice: "INV-1", amount: euros(10_00), on: day, in: ledger, audit: &audit,
                                                      context: context).status, .open)
        XCTAssertFalse(audit.lines[0].contains("status"))
    }

    func testAFileRecordsEachNewLineAgainstTheInvoiceAsEarlierLinesLeftItAndCountsWhatWasRecordedBefore() throws {
        let ledger = RulesLedger()
        ledger.addInvoice("INV-1", amount: 100_00)
        ledger.addInvoice("INV-2", amount: 50_00)
        ledger.payments = [(PaymentIdentity(invoice: "INV-2", date: day, minorUnits: 10_00, reference: "old"), "old", context.at)]
        let file = "invoice,amount,date,reference\nINV-1,60.00,2026-02-10,a\nINV-1,40.00,2026-02-11,b\nINV-2,10.00,2026-02-10,old\n"
        let lines = try PaymentFile.parse(Array(file.utf8), fileName: "bank.csv").get()
        var audit = RecordedAudit()
        let summary = try PaymentRules.importPayments(lines, source: "bank.csv", in: ledger, audit: &audit, context: context).get()
        XCTAssertEqual(summary, PaymentImportSummary(recorded: 2, alreadyRecorded: 1, paidInFull: ["INV-1"]))
        XCTAssertEqual(ledger.payments.map(\.reference), ["old", "a", "b"])
        XCTAssertEqual(audit.lines, [
            #"payment.recorded INV-1 acme - {"amount":"60.00","currency":"EUR","paid_on":"2026-02-10","paid_total":"60.00","balance":"40.00","reference":"a","source":"bank.csv","line":2}"#,
            #"payment.recorded INV-1 acme - {"amount":"40.00","currency":"EUR","paid_on":"2026-02-11","paid_total":"100.00","balance":"0.00","status":{"from":"open","to":"paid"},"reference":"b","source":"bank.csv","line":3}"#,
        ])
    }

    func testAFileWithARefusedLineRecordsNothing() throws {
        let ledger = RulesLedger()
        ledger.addInvoice("INV-1", amount: 100_00)
        let file = "invoice,amount,date\nINV-1,60.00,2026-02-10\nNOPE,1.00,2026-02-10\n"
        let lines = try PaymentFile.parse(Array(file.utf8), fileName: "bank.csv").get()
        var audit = RecordedAudit()
        guard case .failure(let failure) = try PaymentRules.importPayments(lines, source: "bank.csv", in: ledger, audit: &audit,
                                                                           context: context) else {
            return XCTFail("a file naming an unknown invoice is refused")
        }
        XCTAssertEqual(failure.problems.count, 1)
        XCTAssertTrue(ledger.payments.isEmpty && audit.records.isEmpty)
    }
}
