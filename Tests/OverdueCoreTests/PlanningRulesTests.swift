import Foundation
import OverdueCore
import OverdueTestSupport
import XCTest

/// What planning reads, assembled once for both stores (`InvoiceContext.merge` and `.read`).
final class PlanningRulesTests: XCTestCase {
    private func stream<T>(_ items: [T]) -> () -> T? {
        var rest = items[...]
        return { rest.popFirst() }
    }

    func testTheMergeGivesEachInvoiceItsOwnHistoryInByteOrderAndSkipsDispatchesOfNoListedInvoice() throws {
        let ledger = RulesLedger()
        // Byte order: "INV-1" < "INV-10" < "INV-2" < "Ä-1".
        for number in ["INV-1", "INV-10", "INV-2", "Ä-1"] { ledger.addInvoice(number) }
        ledger.clients["acme"] = Client(id: "acme", name: "Acme", emails: ["ap@acme.example"])
        ledger.addDispatch(1, invoice: "INV-1", stage: "a", state: .sent)
        ledger.addDispatch(2, invoice: "INV-1", stage: "b", state: .queued)
        ledger.addDispatch(3, invoice: "INV-15", stage: "a", state: .sent)
        ledger.addDispatch(4, invoice: "Ä-1", stage: "a", state: .failed)
        let invoices = ["INV-1", "INV-10", "INV-2", "Ä-1"].map { ledger.invoices[$0]! }
        let history = [1, 2, 3, 4].map { ledger.dispatches[Int64($0)]! }
        var seen: [String] = []
        try InvoiceContext.merge(invoices: stream(invoices), history: stream(history), clients: ClientTable(ledger.clients.values), ledger: "db") {
            seen.append("\($0.invoice.number):\($0.dispatches.map { String($0.id) }.joined(separator: ","))")
        }
        XCTAssertEqual(seen, ["INV-1:1,2", "INV-10:", "INV-2:", "Ä-1:4"])
    }

    func testAnInvoiceWhoseClientIsMissingIsAnIOError() {
        let ledger = RulesLedger()
        ledger.addInvoice("INV-1", client: "gone")
        XCTAssertThrowsError(try InvoiceContext.merge(invoices: stream([ledger.invoices["INV-1"]!]), history: stream([Dispatch]()),
                                                      clients: ClientTable([]), ledger: "db") { _ in }) {
            XCTAssertEqual($0 as? OverdueError, OverdueError(.ioError, "db: invoice INV-1: client gone is missing"))
        }
        XCTAssertThrowsError(try InvoiceContext.read("INV-1", from: ledger, ledger: "db")) {
            XCTAssertEqual($0 as? OverdueError, OverdueError(.ioError, "db: invoice INV-1: client gone is missing"))
        }
    }

    func testOneInvoicesContextLeavesOutBouncedAddressesAndCarriesItsPayments() throws {
        let ledger = RulesLedger()
        ledger.addInvoice("INV-1")
        ledger.clients["acme"] = Client(id: "acme", name: "Acme", emails: ["AP@acme.example", "cfo@acme.example"])
        ledger.failing["acme"] = ["ap@acme.example"]
        ledger.addDispatch(1, invoice: "INV-1", stage: "a", state: .sent)
        ledger.payments = [(PaymentIdentity(invoice: "INV-1", date: LocalDate("2026-02-10")!, minorUnits: 500, reference: ""), nil,
                            Date(timeIntervalSince1970: 1_770_000_000))]
        let context = try XCTUnwrap(try InvoiceContext.read("INV-1", from: ledger, ledger: "db"))
        XCTAssertEqual(context.client.emails, ["cfo@acme.example"])
        XCTAssertEqual(context.dispatches.map(\.id), [1])
        XCTAssertEqual(context.payments.map(\.amount.minorUnits), [500])
        XCTAssertNil(try InvoiceContext.read("NOPE", from: ledger, ledger: "db"))
    }
}
