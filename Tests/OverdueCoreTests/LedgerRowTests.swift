import Foundation
import OverdueCore
import XCTest

/// The Core decoders both stores read their rows with (`LedgerColumns` by position).
final class LedgerRowTests: XCTestCase {
    /// A row of text columns (nil is SQL NULL), as a store hands it over.
    struct Row: LedgerRow {
        var columns: [String?]
        func text(_ column: Int) -> String { columns[column] ?? "" }
        func optionalText(_ column: Int) -> String? { columns[column] }
        func int(_ column: Int) -> Int64 { Int64(columns[column] ?? "0")! }
        func optionalInt(_ column: Int) -> Int64? { columns[column].map { Int64($0)! } }
        func bool(_ column: Int) -> Bool { int(column) != 0 }
        func hex(_ column: Int) -> String { text(column).lowercased() }
    }

    private func invoiceRow(currency: String = "EUR", due: String = "2026-02-01") -> Row {
        Row(columns: ["INV-1", "acme", "2026-01-01", due, currency, "12000", "2000", "open", "1", "disputed", "500"])
    }

    func testAnInvoiceRowIsReadByPositionWithItsTotalsInItsCurrency() throws {
        var currencies: [Currency] = []
        let invoice = try Invoice(row: invoiceRow(), ledger: "l.sqlite", currencies: &currencies)
        XCTAssertEqual(invoice.number, "INV-1")
        XCTAssertEqual(invoice.dueDate, LocalDate("2026-02-01"))
        XCTAssertEqual([invoice.amount.minorUnits, invoice.paid.minorUnits, invoice.fees.minorUnits], [12000, 2000, 500])
        XCTAssertEqual(invoice.balance.minorUnits, 10500)
        XCTAssertEqual(invoice.onHold, true)
        XCTAssertEqual(invoice.holdReason, "disputed")
    }

    func testAColumnThatHoldsNoValidValueIsAnIOErrorNamingTheLedgerTheInvoiceAndTheColumn() {
        var currencies: [Currency] = []
        XCTAssertThrowsError(try Invoice(row: invoiceRow(currency: "EURO"), ledger: "db", currencies: &currencies)) {
            XCTAssertEqual($0 as? OverdueError, OverdueError(.ioError, "db: invoice INV-1: stored currency is not valid"))
        }
        XCTAssertThrowsError(try Invoice(row: invoiceRow(due: "2026-13-01"), ledger: "db", currencies: &currencies)) {
            XCTAssertEqual($0 as? OverdueError, OverdueError(.ioError, "db: invoice INV-1: stored due_date is not valid"))
        }
    }

    func testADispatchRowKeepsItsNullsAndSplitsItsRecipients() throws {
        let row = Row(columns: ["7", "INV-1", "final", "email", "2026-02-08", "1770000000", "retrying", "2", "1770003600", nil, "451 later",
                                "ap@acme.example\ncfo@acme.example", "1500", nil])
        let dispatch = try Dispatch(row: row, ledger: "db")
        XCTAssertEqual(dispatch, Dispatch(id: 7, invoiceNumber: "INV-1", stage: "final", action: .email, localDate: LocalDate("2026-02-08")!,
                                          queuedAt: Date(timeIntervalSince1970: 1_770_000_000), state: .retrying, attempts: 2,
                                          nextAttemptAt: Date(timeIntervalSince1970: 1_770_003_600), messageID: nil, lastReply: "451 later",
                                          recipients: ["ap@acme.example", "cfo@acme.example"], feeMinorUnits: 1500, subject: nil))
        var bad = row
        bad.columns[6] = "lost"
        XCTAssertThrowsError(try Dispatch(row: bad, ledger: "db")) {
            XCTAssertEqual($0 as? OverdueError, OverdueError(.ioError, "db: dispatch 7: stored state is not valid"))
        }
    }

    func testAClientIsReadFromAnyStartingColumn() {
        let client = Client(row: Row(columns: ["x", "acme", "Acme", "", "0", nil, "1", "lawyer"]), from: 1)
        XCTAssertEqual(client, Client(id: "acme", name: "Acme", emails: [], blocked: true, blockReason: "lawyer"))
    }

    func testPaymentsFeesAndAuditEntriesAreReadInTheirInvoicesCurrency() throws {
        let eur = Currency(code: "EUR")!
        XCTAssertEqual(try Payment(row: Row(columns: ["2500", "2026-03-02", "1770000000"]), currency: eur, ledger: "db", invoice: "INV-1"),
                       Payment(amount: Money(minorUnits: 2500, currency: eur), paidOn: LocalDate("2026-03-02")!,
                               recordedAt: Date(timeIntervalSince1970: 1_770_000_000)))
        XCTAssertThrowsError(try Payment(row: Row(columns: ["1", "yesterday", "0"]), currency: eur, ledger: "db", invoice: "INV-1")) {
            XCTAssertEqual($0 as? OverdueError, OverdueError(.ioError, "db: invoice INV-1: stored payment date is not valid"))
        }
        XCTAssertEqual(ChargedFee(row: Row(columns: ["final", "1500", "1770000000", nil, nil]), currency: eur),
                       ChargedFee(stage: "final", amount: Money(minorUnits: 1500, currency: eur), chargedAt: Date(timeIntervalSince1970: 1_770_000_000)))
        let entry = AuditEntry(row: Row(columns: ["3", "1770000000", nil, "invoice.paid", "INV-1", "acme", nil, "{}", "AB", "CD"]))
        XCTAssertEqual([entry.prevHash, entry.hash, entry.event], ["ab", "cd", "invoice.paid"])
        XCTAssertNil(entry.asOf)
    }
}
