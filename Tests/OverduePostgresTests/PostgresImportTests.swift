import Foundation
import OverdueCore
@testable import OverduePostgres
import OverdueSQLite
import XCTest

/// The PostgreSQL import's write path (streamed COPY, no lookups into an empty ledger) against
/// a real server (`OVERDUE_TEST_POSTGRES_URL`) and against the SQLite store's import.
final class PostgresImportTests: PostgresStoreTestCase {
    private func row(_ number: String, client: String = "acme", amount: Int64 = 120_000, line: Int = 2,
                     status: InvoiceStatus = .open) -> ImportRow {
        ImportRow(line: line, number: number, clientID: client, clientName: "\(client) GmbH", clientEmails: ["ap@\(client).example"],
                  issueDate: LocalDate("2026-01-01")!, dueDate: LocalDate("2026-01-31")!, amount: money(amount), paid: money(0),
                  status: status)
    }

    private func hashes(_ store: any AuditLog) throws -> [String] {
        var list: [String] = []
        try store.auditEntries(AuditFilter()) { list.append($0.hash) }
        return list
    }

    func testNumbersRepeatedInOneGroupAcrossGroupsAndAcrossChunksOfAFirstImportAreComparedAsOnSQLite() throws {
        // More than one chunk (and many COPY blocks) into an empty ledger: a repeat in the same
        // group (unchanged), one in a later group of the same chunk (now paid, its earlier self
        // still in the open COPY), one in a later chunk (new amount).
        var rows = (0..<(PostgresLedgerStore.chunkRows + 6000)).map { index in
            row("INV-\(index)", client: "c\(index % 900)", amount: Int64(1000 + index), line: index + 2)
        }
        rows[4000] = row("INV-3900", client: "c\(3900 % 900)", amount: 1000 + 3900, line: 4002)
        rows[6000] = row("INV-100", client: "c100", amount: 1100, line: 6002, status: .paid)
        rows[PostgresLedgerStore.chunkRows + 1000] = row("INV-7", client: "c7", amount: 99, line: PostgresLedgerStore.chunkRows + 1002)
        let sqlite = try SQLiteLedgerStore(path: folder.appendingPathComponent("l.sqlite").path)
        defer { sqlite.close() }
        let postgres = try PostgresLedgerStore(url: url)
        defer { postgres.close() }
        var summaries: [[Int]] = []
        for store in [sqlite, postgres] as [any LedgerStore] {
            let summary = try store.importInvoices(rows, source: "big.csv", context: context())
            summaries.append([summary.inserted, summary.updated, summary.unchanged])
        }
        XCTAssertEqual(summaries[1], [rows.count - 3, 2, 1])
        XCTAssertEqual(summaries[1], summaries[0])
        XCTAssertEqual(try postgres.invoice("INV-7")?.amount, money(99))
        XCTAssertEqual(try postgres.invoice("INV-100")?.status, .paid)
        XCTAssertEqual(try postgres.invoices(status: nil, clientID: nil), try sqlite.invoices(status: nil, clientID: nil))
        XCTAssertEqual(try hashes(postgres), try hashes(sqlite), "the same entries, hash for hash")
        XCTAssertNil(try postgres.verifyAudit())
    }

    func testAnInvoiceAnotherWriterAddsBetweenTwoChunksOfAnImportIsComparedNotInsertedAgain() throws {
        let store = try PostgresLedgerStore(url: url)
        defer { store.close() }
        let other = try PostgresLedgerStore(url: url)
        defer { other.close() }
        var importer = PGImporter(store: store, now: storedSeconds(t0))
        // Two chunks of an import, as `importInvoices` commits them, with the other writer between.
        func chunk(_ rows: [ImportRow]) throws {
            let seq = try store.writing(context(), batched: true) { audit -> Int64 in
                try importer.guarded { importer in
                    try importer.beginChunk(audit: &audit)
                    try importer.upsertClients(PGImporter.clients(of: rows), audit: &audit)
                    try importer.upsert(rows, source: "a.csv", audit: &audit)
                    try importer.finish()
                    return try audit.headSeq()
                }
            }
            importer.committed(seq: seq)
        }
        try chunk([row("INV-1"), row("INV-2")])
        _ = try other.addInvoice(Invoice(number: "INV-9", clientID: "acme", issueDate: LocalDate("2026-01-01")!,
                                         dueDate: LocalDate("2026-01-31")!, amount: money(500), paid: money(0)),
                                 client: Client(id: "acme", name: "acme GmbH", emails: ["ap@acme.example"]), context: context(5))
        try chunk([row("INV-3"), row("INV-9", amount: 700)])
        XCTAssertEqual([importer.summary.inserted, importer.summary.updated, importer.summary.unchanged], [3, 1, 0])
        XCTAssertEqual(try store.invoice("INV-9")?.amount, money(700))
        var events: [String] = []
        try store.auditEntries(AuditFilter(invoice: "INV-9")) { events.append($0.event) }
        XCTAssertEqual(events, ["invoice.added", "invoice.updated"])
        XCTAssertNil(try store.verifyAudit())
    }

    func testAnImportFailingWithItsCopyOpenRollsBackItsChunkAndLeavesTheSessionUsable() throws {
        let store = try PostgresLedgerStore(url: url)
        defer { store.close() }
        struct ReadFailure: Error {}
        var served = 0
        XCTAssertThrowsError(try store.importInvoices(clients: [ImportClient(id: "acme", name: "acme GmbH", emails: ["ap@acme.example"])],
                                                      rowCount: 10_000, source: "a.csv", context: context()) { () throws -> ImportRow? in
            served += 1
            // Past the first group: its rows are in the open COPY when the file fails.
            if served == PostgresLedgerStore.importGroup + 10 { throw ReadFailure() }
            return self.row("INV-\(served)")
        })
        XCTAssertEqual(try store.invoices(status: nil, clientID: nil), [], "the failed chunk left nothing")
        let summary = try store.importInvoices([row("INV-1")], source: "b.csv", context: context(10))
        XCTAssertEqual(summary.inserted, 1)
        XCTAssertNil(try store.verifyAudit())
    }

    func testAFailureInALaterChunkKeepsTheCommittedChunksAndSaysHowManyRowsWentIn() throws {
        let store = try PostgresLedgerStore(url: url)
        defer { store.close() }
        let total = PostgresLedgerStore.chunkRows + 5000
        let rows = (0..<total).map { row("INV-\($0)", client: "c\($0 % 300)", line: $0 + 2) }
        var served = 0
        XCTAssertThrowsError(try store.importInvoices(clients: PGImporter.clients(of: rows), rowCount: total, source: "a.csv",
                                                      context: context()) { () throws -> ImportRow? in
            served += 1
            if served == PostgresLedgerStore.chunkRows + 10 { throw OverdueError(.ioError, "a.csv: cannot read") }
            return rows[served - 1]
        }) { error in
            XCTAssertEqual((error as? OverdueError)?.details,
                           ["a.csv: \(PostgresLedgerStore.chunkRows) of \(total) rows were imported before this failure; run the same import again to finish it"])
        }
        XCTAssertEqual(try store.invoices(status: nil, clientID: nil).count, PostgresLedgerStore.chunkRows)
        let again = try store.importInvoices(rows, source: "a.csv", context: context(10))
        XCTAssertEqual([again.inserted, again.updated, again.unchanged], [5000, 0, PostgresLedgerStore.chunkRows])
        XCTAssertNil(try store.verifyAudit())
    }
}
