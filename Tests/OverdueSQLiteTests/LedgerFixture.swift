import Foundation
import OverdueCore
import OverdueSQLite
import XCTest

/// A fresh folder per test holding real SQLite files, removed afterwards.
class LedgerTestCase: XCTestCase {
    var folder: URL!
    var dbPath: String { folder.appendingPathComponent("ledger.sqlite").path }
    let eur = Currency(code: "EUR")!
    /// A fixed real-time instant; tests never read the wall clock.
    let t0 = Date(timeIntervalSince1970: 1_772_355_600)   // 2026-03-01T09:00:00Z

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("overdue-sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func openStore() throws -> SQLiteLedgerStore { try SQLiteLedgerStore(path: dbPath) }

    func context(_ offsetSeconds: TimeInterval = 0) -> ChangeContext { ChangeContext(at: t0.addingTimeInterval(offsetSeconds)) }

    func money(_ minor: Int64) -> Money { Money(minorUnits: minor, currency: eur) }

    func row(_ number: String, client: String = "acme", amount: Int64 = 120_000, paid: Int64 = 0,
             status: InvoiceStatus = .open, due: String = "2026-01-31", line: Int = 2,
             emails: [String] = ["ap@acme.example"], name: String = "Acme GmbH") -> ImportRow {
        ImportRow(line: line, number: number, clientID: client, clientName: name, clientEmails: emails,
                  issueDate: LocalDate("2026-01-01")!, dueDate: LocalDate(due)!, amount: money(amount),
                  paid: money(paid), status: status)
    }

    func auditEvents(_ store: SQLiteLedgerStore, _ filter: AuditFilter = AuditFilter()) throws -> [String] {
        var events: [String] = []
        try store.auditEntries(filter) { events.append($0.event) }
        return events
    }

    func newDispatch(_ invoice: String, _ stage: String, superseded: [String] = []) -> NewDispatch {
        NewDispatch(invoiceNumber: invoice, stage: stage, action: .email, localDate: LocalDate("2026-03-01")!,
                    recipients: ["ap@acme.example"], feeMinorUnits: 0, superseded: superseded)
    }

    /// Asserts `body` throws an `OverdueError` with `code`; returns its message.
    @discardableResult
    func assertFails(_ code: ExitCode, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) -> String? {
        do {
            try body()
            XCTFail("expected exit \(code.rawValue), nothing was thrown", file: file, line: line)
        } catch let error as OverdueError {
            XCTAssertEqual(error.exitCode, code, error.message, file: file, line: line)
            return error.message
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return nil
    }
}
