import Foundation
import OverdueCore
import OverdueSQLite
import XCTest

final class SQLiteImportTests: LedgerTestCase {
    func testImportInsertsThenUpdatesChangedRowsAndLeavesIdenticalOnesAlone() throws {
        let store = try openStore()
        let first = try store.importInvoices([row("INV-1"), row("INV-2"), row("INV-3")], source: "a.csv", context: context())
        XCTAssertEqual(first, ImportSummary(inserted: 3))
        XCTAssertEqual(try auditEvents(store), ["client.added", "invoice.imported", "invoice.imported", "invoice.imported"])

        let again = try store.importInvoices([row("INV-1"), row("INV-2"), row("INV-3")], source: "a.csv", context: context(60))
        XCTAssertEqual(again, ImportSummary(unchanged: 3))
        XCTAssertEqual(try auditEvents(store).count, 4, "re-import must not add audit entries")

        let changed = try store.importInvoices([row("INV-1", amount: 130_000), row("INV-2"), row("INV-4")],
                                               source: "b.csv", context: context(120))
        XCTAssertEqual(changed, ImportSummary(inserted: 1, updated: 1, unchanged: 1))
        XCTAssertEqual(try store.invoice("INV-1")?.amount, money(130_000))
        var updates: [AuditEntry] = []
        try store.auditEntries(AuditFilter(event: "invoice.updated")) { updates.append($0) }
        XCTAssertEqual(updates.count, 1)
        XCTAssertEqual(updates.first?.invoice, "INV-1")
        XCTAssertEqual(updates.first?.detailsJSON,
                       #"{"source":"b.csv","line":2,"changes":{"amount":{"from":"1200.00","to":"1300.00"}}}"#)
    }

    func testANumberRepeatedInOneFileIsInsertedThenUpdated() throws {
        let store = try openStore()
        let summary = try store.importInvoices([row("INV-1"), row("INV-1", amount: 99_00, line: 3)], source: "a.csv", context: context())
        XCTAssertEqual(summary, ImportSummary(inserted: 1, updated: 1))
        XCTAssertEqual(try store.invoice("INV-1")?.amount, money(99_00))
        XCTAssertEqual(try auditEvents(store, AuditFilter(invoice: "INV-1")), ["invoice.imported", "invoice.updated"])
    }

    func testALargeFirstImportWrittenInBatchesKeepsEveryRowAndAnUnbrokenChain() throws {
        let store = try openStore()
        var rows = (0..<150).map { row(String(format: "INV-%03d", $0), client: "c\($0 % 7)", amount: Int64(100 + $0), line: $0 + 2) }
        rows.insert(row("INV-005", client: "c5", amount: 555, line: 200), at: 100)
        let summary = try store.importInvoices(rows, source: "big.csv", context: context())
        XCTAssertEqual(summary, ImportSummary(inserted: 150, updated: 1))
        XCTAssertEqual(try store.invoice("INV-005")?.amount, money(555))
        XCTAssertEqual(try store.invoice("INV-149")?.amount, money(249))
        XCTAssertEqual(try store.invoices(status: nil, clientID: nil).count, 150)
        var seqs: [Int64] = []
        try store.auditEntries(AuditFilter()) { seqs.append($0.seq) }
        XCTAssertEqual(seqs, Array(1...Int64(7 + 150 + 1)))
        XCTAssertNil(try store.verifyAudit())
        // A later transaction continues the chain from the batched head.
        try store.setInvoiceHold("INV-001", onHold: true, reason: nil, context: context())
        XCTAssertNil(try store.verifyAudit())
    }

    func testAClientAnotherWriterRemovesBetweenTwoChunksStillRefusesTheImportsInvoicesForIt() throws {
        // The import upserts c1 and c2 in its first chunk; another connection removes c2 while
        // the import lets go between chunks; c2's invoice comes in a later chunk, which must not
        // be written without its client.
        let store = try openStore()
        let path = dbPath
        let removed = DispatchSemaphore(value: 0)
        let failure = DispatchSemaphore(value: 0)
        var served = 0
        var removedSeen = false
        var c2Served = false
        let clients = [ImportClient(id: "c1", name: "One", emails: ["ap@one.example"]),
                       ImportClient(id: "c2", name: "Two", emails: ["ap@two.example"])]
        let message = assertFails(.ioError) {
            _ = try store.importInvoices(clients: clients, rowCount: 1000, source: "a.csv", context: context()) {
                served += 1
                if served == 1 {
                    // Waits for the first chunk's write lock, as the daemon would.
                    Thread.detachNewThread {
                        do {
                            let other = try SQLiteConnection(path: path)
                            try other.execute("PRAGMA foreign_keys = ON; BEGIN IMMEDIATE; DELETE FROM clients WHERE id = 'c2'; COMMIT")
                        } catch {
                            failure.signal()
                        }
                        removed.signal()
                    }
                }
                if !removedSeen, removed.wait(timeout: .now()) == .success { removedSeen = true }
                if !removedSeen {
                    // Slow rows, so the chunk runs out of time and commits.
                    Thread.sleep(forTimeInterval: 0.02)
                    return self.row(String(format: "INV-%04d", served), client: "c1", line: served + 1)
                }
                if c2Served { return nil }
                c2Served = true
                return self.row("INV-C2", client: "c2", line: served + 1)
            }
        }
        XCTAssertEqual(failure.wait(timeout: .now()), .timedOut, "the other writer's removal failed")
        XCTAssertTrue(removedSeen)
        XCTAssertTrue(message?.contains("FOREIGN KEY") ?? false, message ?? "")
        XCTAssertNil(try store.invoice("INV-C2"))
        XCTAssertNil(try store.connection.scalarText("PRAGMA foreign_key_check"), "an invoice without its client")
        XCTAssertGreaterThan(try store.connection.scalarInt("SELECT count(*) FROM invoices WHERE client_id = 'c1'") ?? 0, 0,
                             "the first chunk was committed before the other writer went in")
        XCTAssertEqual(try store.connection.scalarInt("PRAGMA foreign_keys"), 1, "the probe is switched back on")
        XCTAssertNil(try store.verifyAudit())
    }

    func testABatchSQLiteRefusesWhileTheImportBuildsTheNextFailsTheImportAndKeepsNothingOfItsChunk() throws {
        // SQLite writes each batch on a second thread while the import builds the next: a batch
        // it refuses there (here by a trigger, as a full disk or a constraint would) must fail
        // the import, roll its chunk back, and leave the connection as usable as before.
        let store = try openStore()
        try store.connection.execute("""
            CREATE TRIGGER refuse BEFORE INSERT ON invoices WHEN NEW.number = 'INV-0500'
            BEGIN SELECT RAISE(ABORT, 'refused by the test'); END
            """)
        let rows = (0..<1000).map { row(String(format: "INV-%04d", $0), client: "c\($0 % 9)", line: $0 + 2) }
        let message = assertFails(.ioError) { _ = try store.importInvoices(rows, source: "a.csv", context: context()) }
        XCTAssertTrue(message?.contains("refused by the test") ?? false, message ?? "")
        XCTAssertEqual(try store.connection.scalarInt("SELECT count(*) FROM invoices"), 0)
        XCTAssertEqual(try store.connection.scalarInt("SELECT count(*) FROM clients"), 0)
        XCTAssertEqual(try auditEvents(store), [])
        try store.connection.execute("DROP TRIGGER refuse")
        XCTAssertEqual(try store.importInvoices(rows, source: "a.csv", context: context()), ImportSummary(inserted: 1000))
        try store.setInvoiceHold("INV-0999", onHold: true, reason: nil, context: context())
        XCTAssertEqual(try store.connection.scalarInt("SELECT count(*) FROM audit"), 9 + 1000 + 1)
        XCTAssertNil(try store.verifyAudit())
    }

    func testPreviewReportsWhatImportWouldDoAndKeepsNothing() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1")], source: "a.csv", context: context())
        let before = try auditEvents(store)
        let rows = [row("INV-1", amount: 1), row("INV-2")]
        let preview = try store.previewImport(rows, source: "b.csv", context: context())
        XCTAssertEqual(preview, ImportSummary(inserted: 1, updated: 1))
        XCTAssertEqual(try auditEvents(store), before)
        XCTAssertNil(try store.invoice("INV-2"))
        XCTAssertEqual(try store.invoice("INV-1")?.amount, money(120_000))
        XCTAssertEqual(try store.importInvoices(rows, source: "b.csv", context: context()), preview)
    }

    func testImportIsOneTransactionSoAFailingRowLeavesNothing() throws {
        let store = try openStore()
        let bad = ImportRow(line: 3, number: "INV-2", clientID: "acme", clientName: "", clientEmails: [],
                            issueDate: LocalDate("2026-01-01")!, dueDate: LocalDate("2026-01-31")!,
                            amount: money(1), paid: money(0), status: .open)
        // A second client with no name cannot be created: the whole import must roll back.
        var other = bad
        other.clientID = "nobody"
        assertFails(.dataError) { _ = try store.importInvoices([row("INV-1"), other], source: "a.csv", context: context()) }
        XCTAssertNil(try store.invoice("INV-1"))
        XCTAssertEqual(try auditEvents(store), [])
    }

    func testNewInvoiceForBlockedClientImportsWithAWarning() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1")], source: "a.csv", context: context())
        try store.setClientBlocked("acme", blocked: true, reason: "never again", context: context())
        let summary = try store.importInvoices([row("INV-1"), row("INV-2")], source: "a.csv", context: context())
        XCTAssertEqual(summary.inserted, 1)
        XCTAssertEqual(summary.warnings, ["warning: client acme is blocked; invoice INV-2 imported but will never be reminded"])
        XCTAssertEqual(try store.client("acme")?.blocked, true, "import never unblocks a client")
    }

    func testCSVPaidOrCancelledWinsButOpenNeverReopens() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("E"), row("W"), row("P")], source: "a.csv", context: context())
        try store.setInvoiceStatus("E", to: .escalated, reason: nil, context: context())
        try store.setInvoiceStatus("W", to: .writtenOff, reason: nil, context: context())
        _ = try store.recordPayment(invoice: "P", amount: money(120_000), on: LocalDate("2026-02-01")!, context: context())

        let reimport = try store.importInvoices([row("E"), row("W"), row("P")], source: "a.csv", context: context())
        XCTAssertEqual(reimport, ImportSummary(unchanged: 3))
        XCTAssertEqual(try store.invoice("E")?.status, .escalated)
        XCTAssertEqual(try store.invoice("W")?.status, .writtenOff)
        XCTAssertEqual(try store.invoice("P")?.status, .paid)

        let settled = try store.importInvoices([row("E", paid: 120_000, status: .paid), row("W", status: .cancelled)],
                                               source: "b.csv", context: context())
        XCTAssertEqual(settled.updated, 2)
        XCTAssertEqual(try store.invoice("E")?.status, .paid)
        XCTAssertEqual(try store.invoice("W")?.status, .cancelled)
    }

    func testClientDetailsComeFromTheLastRowSoReimportStaysANoOp() throws {
        let store = try openStore()
        let rows = [row("INV-1", emails: ["old@acme.example"]), row("INV-2", emails: ["new@acme.example", "ap@acme.example"])]
        _ = try store.importInvoices(rows, source: "a.csv", context: context())
        XCTAssertEqual(try store.client("acme")?.emails, ["new@acme.example", "ap@acme.example"])
        let before = try auditEvents(store).count
        XCTAssertEqual(try store.importInvoices(rows, source: "a.csv", context: context()), ImportSummary(unchanged: 2))
        XCTAssertEqual(try auditEvents(store).count, before)

        _ = try store.importInvoices([row("INV-1", name: "Acme AG")], source: "c.csv", context: context())
        XCTAssertEqual(try store.client("acme")?.name, "Acme AG")
        XCTAssertEqual(try auditEvents(store, AuditFilter(client: "acme", event: "client.updated")), ["client.updated"])
    }

    func testAddInvoiceRefusesAnExistingNumberAndCreatesNewClients() throws {
        let store = try openStore()
        let invoice = Invoice(number: "INV-9", clientID: "new", issueDate: LocalDate("2026-01-01")!,
                              dueDate: LocalDate("2026-01-15")!, amount: money(5_000), paid: money(0))
        let client = Client(id: "new", name: "New Ltd", emails: ["pay@new.example"])
        XCTAssertEqual(try store.addInvoice(invoice, client: client, context: context()).inserted, 1)
        XCTAssertEqual(try store.client("new")?.emails, ["pay@new.example"])
        let message = assertFails(.dataError) { _ = try store.addInvoice(invoice, client: client, context: context()) }
        XCTAssertEqual(message, "invoice INV-9: already exists")
        XCTAssertEqual(try auditEvents(store), ["client.added", "invoice.added"])
    }
}
