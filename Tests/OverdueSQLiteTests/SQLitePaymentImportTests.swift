import Foundation
import OverdueCore
import OverdueSQLite
import XCTest

/// Payment files against a real SQLite ledger: all-or-nothing, once per identity, audited.
final class SQLitePaymentImportTests: LedgerTestCase {
    private func lines(_ text: String) throws -> [PaymentLine] {
        try PaymentFile.parse(Array(text.utf8), fileName: "pay.csv").get()
    }

    func testTheSameExportTwiceRecordsEachPaymentOnceAndAuditsIt() throws {
        let store = try openStore()
        defer { store.close() }
        _ = try store.importInvoices([row("INV-1"), row("INV-2", amount: 500_00)], source: "a.csv", context: context())
        let file = try lines("invoice,amount,date,reference\nINV-1,200.00,2026-03-02,TX1\nINV-2,500,2026-03-02,TX2\n")
        let first = try store.importPayments(file, source: "pay.csv", dryRun: false, context: context(60)).get()
        XCTAssertEqual(first, PaymentImportSummary(recorded: 2, alreadyRecorded: 0, paidInFull: ["INV-2"]))
        let second = try store.importPayments(file, source: "pay.csv", dryRun: false, context: context(120)).get()
        XCTAssertEqual(second, PaymentImportSummary(recorded: 0, alreadyRecorded: 2, paidInFull: []))
        XCTAssertEqual(try store.invoice("INV-1")?.paid, money(200_00))
        XCTAssertEqual(try store.invoice("INV-2")?.status, .paid)
        XCTAssertEqual(try store.payments(invoice: "INV-1").count, 1)
        XCTAssertEqual(try auditEvents(store, AuditFilter(event: "payment.recorded")).count, 2)
        XCTAssertNil(try store.verifyAudit())
    }

    func testAFileWithOneBadLineRecordsNothing() throws {
        let store = try openStore()
        defer { store.close() }
        _ = try store.importInvoices([row("INV-1")], source: "a.csv", context: context())
        let file = try lines("invoice,amount,date\nINV-1,100,2026-03-02\nINV-X,5,2026-03-02\nINV-1,1200,2026-03-03\n")
        guard case .failure(let failure) = try store.importPayments(file, source: "pay.csv", dryRun: false, context: context(60)) else {
            return XCTFail("the file was accepted")
        }
        XCTAssertEqual(failure.problems, [
            #"pay.csv:3: invoice: "INV-X" is not in the ledger"#,
            "pay.csv:4: amount: 1200.00 EUR exceeds the balance 1100.00 EUR of invoice INV-1 left after the file's earlier lines (an overpayment)",
        ])
        XCTAssertEqual(try store.invoice("INV-1")?.paid, money(0))
        XCTAssertEqual(try store.payments(invoice: "INV-1"), [])
    }

    func testADryRunCountsWhatWouldBeRecordedAndWritesNothing() throws {
        let store = try openStore()
        defer { store.close() }
        _ = try store.importInvoices([row("INV-1")], source: "a.csv", context: context())
        let summary = try store.importPayments(try lines("invoice,amount,date\nINV-1,1200,2026-03-02\n"), source: "pay.csv",
                                               dryRun: true, context: context(60)).get()
        XCTAssertEqual(summary, PaymentImportSummary(recorded: 1, alreadyRecorded: 0, paidInFull: ["INV-1"]))
        XCTAssertEqual(try store.invoice("INV-1")?.status, .open)
        XCTAssertEqual(try auditEvents(store, AuditFilter(event: "payment.recorded")), [])
    }

    func testAHandEnteredPaymentIsNotTakenForAFilesPayment() throws {
        let store = try openStore()
        defer { store.close() }
        _ = try store.importInvoices([row("INV-1")], source: "a.csv", context: context())
        _ = try store.recordPayment(invoice: "INV-1", amount: money(100_00), on: LocalDate("2026-03-02")!, context: context(30))
        _ = try store.recordPayment(invoice: "INV-1", amount: money(100_00), on: LocalDate("2026-03-02")!, context: context(40))
        let summary = try store.importPayments(try lines("invoice,amount,date\nINV-1,100,2026-03-02\n"), source: "pay.csv",
                                               dryRun: false, context: context(60)).get()
        XCTAssertEqual(summary.recorded, 1)
        XCTAssertEqual(try store.invoice("INV-1")?.paid, money(300_00))
    }
}
