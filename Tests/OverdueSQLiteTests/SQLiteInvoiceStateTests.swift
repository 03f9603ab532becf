import Foundation
import OverdueCore
import OverdueSQLite
import XCTest

final class SQLiteInvoiceStateTests: LedgerTestCase {
    func testPartialPaymentsAddUpAndTheLastOneMarksTheInvoicePaid() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1", paid: 20_000)], source: "a.csv", context: context())
        let day = LocalDate("2026-02-10")!
        XCTAssertEqual(try store.recordPayment(invoice: "INV-1", amount: money(30_000), on: day, context: context()).paid, money(50_000))
        let after = try store.recordPayment(invoice: "INV-1", amount: money(70_000), on: day, context: context())
        XCTAssertEqual(after.paid, money(120_000))
        XCTAssertEqual(after.status, .paid)
        XCTAssertEqual(try store.invoice("INV-1"), after)
        XCTAssertEqual(try store.payments(invoice: "INV-1").map(\.amount), [money(30_000), money(70_000)])
        XCTAssertEqual(try auditEvents(store, AuditFilter(event: "invoice.paid")).count, 2)

        // Re-importing the CSV (paid column 200.00) keeps the recorded payments.
        _ = try store.importInvoices([row("INV-1", paid: 20_000)], source: "a.csv", context: context())
        XCTAssertEqual(try store.invoice("INV-1")?.paid, money(120_000))
    }

    /// The interest a message states needs each payment's date: one invoice's context carries them.
    func testOneInvoicesContextCarriesItsPaymentsWithTheirDates() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1", paid: 20_000)], source: "a.csv", context: context())
        XCTAssertEqual(try store.invoiceContext("INV-1")?.payments, [])
        _ = try store.recordPayment(invoice: "INV-1", amount: money(30_000), on: LocalDate("2026-02-10")!, context: context())
        _ = try store.recordPayment(invoice: "INV-1", amount: money(10_000), on: LocalDate("2026-02-20")!, context: context())
        let payments = try XCTUnwrap(try store.invoiceContext("INV-1")?.payments)
        XCTAssertEqual(payments.map(\.amount), [money(30_000), money(10_000)])
        XCTAssertEqual(payments.map(\.paidOn), [LocalDate("2026-02-10")!, LocalDate("2026-02-20")!])
        XCTAssertEqual(payments, try store.payments(invoice: "INV-1"))
    }

    func testOverpaymentWrongCurrencyAndUnknownInvoiceAreRefused() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1")], source: "a.csv", context: context())
        let day = LocalDate("2026-02-10")!
        assertFails(.dataError) { _ = try store.recordPayment(invoice: "INV-1", amount: money(120_001), on: day, context: context()) }
        assertFails(.dataError) {
            _ = try store.recordPayment(invoice: "INV-1", amount: Money(minorUnits: 1, currency: Currency(code: "USD")!), on: day, context: context())
        }
        let message = assertFails(.dataError) { _ = try store.recordPayment(invoice: "NOPE", amount: money(1), on: day, context: context()) }
        XCTAssertEqual(message, "invoice NOPE: not found")
        XCTAssertEqual(try store.invoice("INV-1")?.paid, money(0))
        XCTAssertEqual(try store.payments(invoice: "INV-1"), [])
    }

    func testHoldsAndBlocksAreStoredAuditedAndIdempotent() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1")], source: "a.csv", context: context())
        try store.setInvoiceHold("INV-1", onHold: true, reason: "disputed", context: context())
        try store.setInvoiceHold("INV-1", onHold: true, reason: "disputed", context: context())
        XCTAssertEqual(try store.invoice("INV-1")?.holdReason, "disputed")
        try store.setInvoiceHold("INV-1", onHold: false, reason: nil, context: context())
        XCTAssertEqual(try store.invoice("INV-1")?.onHold, false)

        try store.setClientHold("acme", onHold: true, reason: "talking", context: context())
        try store.setClientBlocked("acme", blocked: true, reason: "fraud", context: context())
        let client = try XCTUnwrap(store.client("acme"))
        XCTAssertEqual([client.onHold, client.blocked], [true, true])
        XCTAssertEqual([client.holdReason, client.blockReason], ["talking", "fraud"])
        XCTAssertEqual(try auditEvents(store, AuditFilter(event: "invoice.*")).filter { $0 != "invoice.imported" },
                       ["invoice.held", "invoice.released"])
        XCTAssertEqual(try auditEvents(store, AuditFilter(event: "client")), ["client.added", "client.held", "client.blocked"])
        assertFails(.dataError) { try store.setClientHold("ghost", onHold: true, reason: nil, context: context()) }
        assertFails(.dataError) { try store.setInvoiceHold("ghost", onHold: true, reason: nil, context: context()) }
    }

    func testStatusChangesFollowTheAllowedTransitions() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1"), row("INV-2", status: .paid)], source: "a.csv", context: context())
        try store.setInvoiceStatus("INV-1", to: .escalated, reason: "90 days", context: context())
        try store.setInvoiceStatus("INV-1", to: .escalated, reason: nil, context: context())
        try store.setInvoiceStatus("INV-1", to: .writtenOff, reason: "agency gave up", context: context())
        XCTAssertEqual(try store.invoice("INV-1")?.status, .writtenOff)
        assertFails(.dataError) { try store.setInvoiceStatus("INV-2", to: .escalated, reason: nil, context: context()) }
        assertFails(.dataError) { try store.setInvoiceStatus("INV-1", to: .open, reason: nil, context: context()) }
        XCTAssertEqual(try auditEvents(store, AuditFilter(invoice: "INV-1")),
                       ["invoice.imported", "invoice.escalated", "invoice.written_off"])
        XCTAssertEqual(try store.invoices(status: .writtenOff, clientID: nil).map(\.number), ["INV-1"])
        XCTAssertEqual(try store.invoices(status: nil, clientID: "acme").map(\.number), ["INV-1", "INV-2"])
        XCTAssertEqual(try store.invoices(status: nil, clientID: "other"), [])
    }
}
