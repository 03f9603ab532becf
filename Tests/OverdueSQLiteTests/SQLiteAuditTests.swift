import Foundation
import OverdueCore
import OverdueSQLite
import XCTest

final class SQLiteAuditTests: LedgerTestCase {
    private func ledgerWithFiveEntries() throws -> SQLiteLedgerStore {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1"), row("INV-2"), row("INV-3"), row("INV-4")], source: "a.csv", context: context())
        XCTAssertEqual(try auditEvents(store).count, 5)
        XCTAssertNil(try store.verifyAudit())
        return store
    }

    func testTheLastEntryIsTheChainsHeadOrTheNewestOfAnEvent() throws {
        let store = try ledgerWithFiveEntries()
        try store.appendAudit([AuditRecord(.tickStarted), AuditRecord(.tickFinished)], context: context())
        XCTAssertEqual(try store.lastAuditEntry(AuditFilter())?.seq, 7)
        XCTAssertEqual(try store.lastAuditEntry(AuditFilter())?.event, "tick.finished")
        XCTAssertEqual(try store.lastAuditEntry(AuditFilter(event: "invoice.imported"))?.seq, 5)
        XCTAssertEqual(try store.lastAuditEntry(AuditFilter(event: "invoice.imported"))?.invoice, "INV-4")
        XCTAssertNil(try store.lastAuditEntry(AuditFilter(event: "audit.witnessed")))
    }

    func testTheDatabaseRefusesToUpdateOrDeleteAuditEntries() throws {
        let store = try ledgerWithFiveEntries()
        for sql in ["UPDATE audit SET event = 'x' WHERE seq = 2", "DELETE FROM audit WHERE seq = 5"] {
            XCTAssertThrowsError(try store.connection.execute(sql)) { error in
                XCTAssertTrue("\(error)".contains("append-only"), "\(error)")
            }
        }
        XCTAssertNil(try store.verifyAudit())
    }

    func testEditingAnEntryBehindTheTriggersIsFoundAtItsSeq() throws {
        _ = try ledgerWithFiveEntries()
        let raw = try SQLiteConnection(path: dbPath)
        try raw.execute("DROP TRIGGER audit_no_update; UPDATE audit SET details = replace(details, '1200.00', '12.00') WHERE seq = 3")
        let problem = try openStore().verifyAudit()
        XCTAssertEqual(problem?.seq, 3)
        XCTAssertEqual(problem?.problem, "content does not match its hash")
    }

    func testRewritingAnEntryWithAFreshHashIsFoundAtTheNextLink() throws {
        let store = try ledgerWithFiveEntries()
        var second: AuditEntry?
        try store.auditEntries(AuditFilter()) { if $0.seq == 2 { second = $0 } }
        // A forger edits entry 2 and recomputes its own hash; entry 3 still points at the old one.
        var forged = try XCTUnwrap(second)
        forged.detailsJSON = forged.detailsJSON.replacingOccurrences(of: "1200.00", with: "12.00")
        forged.hash = AuditChain.hash(of: forged)
        let details = forged.detailsJSON.replacingOccurrences(of: "'", with: "''")
        try SQLiteConnection(path: dbPath).execute("""
            DROP TRIGGER audit_no_update;
            UPDATE audit SET details = '\(details)', hash = X'\(forged.hash)' WHERE seq = 2
            """)
        let problem = try openStore().verifyAudit()
        XCTAssertEqual(problem?.seq, 3)
        XCTAssertEqual(problem?.problem, "prev hash does not match the previous entry")
    }

    func testDeletingAnEntryInTheMiddleIsFoundAsAGap() throws {
        _ = try ledgerWithFiveEntries()
        try SQLiteConnection(path: dbPath).execute("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 2")
        let problem = try openStore().verifyAudit()
        XCTAssertEqual(problem?.seq, 3)
        XCTAssertEqual(problem?.problem, "sequence gap: expected seq 2")
    }

    func testCuttingEntriesOffTheEndIsFound() throws {
        _ = try ledgerWithFiveEntries()
        try SQLiteConnection(path: dbPath).execute("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq >= 4")
        XCTAssertEqual(try openStore().verifyAudit()?.seq, 4)
    }

    func testEntriesWithEscapedAndNonASCIITextVerify() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("É-1\u{2028}", client: "cl\"ient", name: "Bücher\tGmbH"), row("INV-\u{85}")],
                                     source: "dir/fäktura \"x\".csv", context: ChangeContext(at: t0, asOf: t0.addingTimeInterval(-86_400)))
        XCTAssertNil(try store.verifyAudit())
        var lines: [String] = []
        try store.auditEntries(AuditFilter(invoice: "É-1\u{2028}")) { lines.append($0.detailsJSON) }
        XCTAssertEqual(lines.first?.hasPrefix(#"{"source":"dir/fäktura \"x\".csv","line":2,"#), true, lines.first ?? "")
    }

    func testEntriesChainAcrossTransactionsAndRecordAsOf() throws {
        let store = try openStore()
        let asOf = Date(timeIntervalSince1970: 1_780_000_000.75)
        try store.appendAudit([AuditRecord(.tickStarted)], context: ChangeContext(at: t0.addingTimeInterval(0.9), asOf: asOf))
        try store.appendAudit([AuditRecord(.tickFinished, details: [("queued", .int(0))])], context: context(10))
        var entries: [AuditEntry] = []
        try store.auditEntries(AuditFilter()) { entries.append($0) }
        XCTAssertEqual(entries.map(\.seq), [1, 2])
        XCTAssertEqual(entries[0].prevHash, AuditChain.genesis)
        XCTAssertEqual(entries[1].prevHash, entries[0].hash)
        XCTAssertEqual(entries[0].at, t0, "stored at whole seconds")
        XCTAssertEqual(entries[0].asOf, Date(timeIntervalSince1970: 1_780_000_000))
        XCTAssertNil(entries[1].asOf)
        XCTAssertNil(try store.verifyAudit())
    }

    func testFiltersSelectByInvoiceClientEventFamilyAndTime() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1"), row("INV-2", client: "bolt")], source: "a.csv", context: context())
        try store.setInvoiceHold("INV-1", onHold: true, reason: nil, context: context(3600))
        try store.appendAudit([AuditRecord(.reminderSent, invoice: "INV-2", client: "bolt")], context: context(7200))

        XCTAssertEqual(try auditEvents(store, AuditFilter(invoice: "INV-1")), ["invoice.imported", "invoice.held"])
        XCTAssertEqual(try auditEvents(store, AuditFilter(client: "bolt")), ["client.added", "invoice.imported", "reminder.sent"])
        XCTAssertEqual(try auditEvents(store, AuditFilter(event: "invoice.held")), ["invoice.held"])
        XCTAssertEqual(try auditEvents(store, AuditFilter(event: "reminder")), ["reminder.sent"])
        XCTAssertEqual(try auditEvents(store, AuditFilter(event: "reminder.*")), ["reminder.sent"])
        XCTAssertEqual(try auditEvents(store, AuditFilter(event: "remind")), [], "a family is a whole dotted prefix")
        XCTAssertEqual(try auditEvents(store, AuditFilter(since: t0.addingTimeInterval(3600))), ["invoice.held", "reminder.sent"])
        XCTAssertEqual(try auditEvents(store, AuditFilter(since: t0.addingTimeInterval(1), until: t0.addingTimeInterval(3600))),
                       ["invoice.held"])
    }
}
