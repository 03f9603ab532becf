import Foundation
import OverdueCore
import OverdueSQLite
import XCTest

final class SQLiteStreamingTests: LedgerTestCase {
    func testInvoicesStreamInByteOrderWithTheirOwnDispatchHistory() throws {
        let store = try openStore()
        let numbers = ["a", "INV-9", "Z", "INV-10", "É-1", "E-2", "inv-1"]
        _ = try store.importInvoices(numbers.map { row($0) }, source: "a.csv", context: context())
        _ = try store.queue([newDispatch("INV-9", "s1"), newDispatch("a", "s1"), newDispatch("INV-9", "s2"),
                             newDispatch("É-1", "s1")], context: context())

        var seen: [(String, [String])] = []
        try store.forEachInvoiceContext { seen.append(($0.invoice.number, $0.dispatches.map(\.stage))) }
        XCTAssertEqual(seen.map(\.0), ["E-2", "INV-10", "INV-9", "Z", "a", "inv-1", "É-1"])
        XCTAssertEqual(seen.map(\.0), numbers.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        XCTAssertEqual(seen.first { $0.0 == "INV-9" }?.1, ["s1", "s2"])
        XCTAssertEqual(seen.first { $0.0 == "a" }?.1, ["s1"])
        XCTAssertEqual(seen.first { $0.0 == "É-1" }?.1, ["s1"])
        XCTAssertEqual(seen.first { $0.0 == "Z" }?.1, [])
        XCTAssertEqual(try store.invoices(status: nil, clientID: nil).map(\.number), seen.map(\.0))
        XCTAssertEqual(try store.invoiceContext("INV-9")?.dispatches.map(\.stage), ["s1", "s2"])
        XCTAssertNil(try store.invoiceContext("nope"))
    }

    func testTheBodyMayCallBackIntoTheStore() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1"), row("INV-2")], source: "a.csv", context: context())
        var queued = 0
        try store.forEachInvoiceContext { item in
            XCTAssertEqual(try store.invoice(item.invoice.number), item.invoice)
            queued += try store.queue([newDispatch(item.invoice.number, "s1")], context: context()).count
        }
        XCTAssertEqual(queued, 2)
        XCTAssertEqual(try store.dispatches(in: [.queued]).count, 2)
    }

    func testPlannerQueriesUseIndexesNotSorts() throws {
        let store = try openStore()
        for sql in ["SELECT number FROM invoices ORDER BY number", "SELECT d.id, m.message_id FROM dispatches d LEFT JOIN messages m ON m.id = d.message ORDER BY d.invoice, d.id"] {
            var plan: [String] = []
            try store.connection.explainQueryPlan(sql) { plan.append($0) }
            XCTAssertFalse(plan.joined().contains("TEMP B-TREE"), "\(sql): \(plan)")
        }
    }
}
