import Foundation
import OverdueCore
@testable import OverduePostgres
import OverdueSQLite
import Synchronization
import XCTest

/// The PostgreSQL store against a real server (`OVERDUE_TEST_POSTGRES_URL`), and against the
/// SQLite store on the same scenario: the same rows, the same plan input and the same audit
/// chain, hash for hash.
final class PostgresLedgerStoreTests: PostgresStoreTestCase {
    private func row(_ number: String, client: String = "acme", amount: Int64 = 120_000, due: String = "2026-01-31",
                     status: InvoiceStatus = .open) -> ImportRow {
        ImportRow(line: 2, number: number, clientID: client, clientName: "\(client) GmbH", clientEmails: ["ap@\(client).example"],
                  issueDate: LocalDate("2026-01-01")!, dueDate: LocalDate(due)!, amount: money(amount), paid: money(0), status: status)
    }

    private func newDispatch(_ invoice: String, _ stage: String, fee: Int64 = 0) -> NewDispatch {
        NewDispatch(invoiceNumber: invoice, stage: stage, action: .email, localDate: LocalDate("2026-03-01")!,
                    recipients: ["ap@acme.example"], feeMinorUnits: fee, superseded: [])
    }

    private func openPG(_ creating: PostgresLedgerStore.Creation = .ifMissing) throws -> PostgresLedgerStore {
        try PostgresLedgerStore(url: url, creating: creating)
    }

    private func entries(_ store: any AuditLog) throws -> [AuditEntry] {
        var list: [AuditEntry] = []
        try store.auditEntries(AuditFilter()) { list.append($0) }
        return list
    }

    private func contexts(_ store: any PlanningSource) throws -> [InvoiceContext] {
        var list: [InvoiceContext] = []
        try store.forEachInvoiceContext { list.append($0) }
        return list
    }

    /// The owner's and the daemon's changes, the same on any store.
    private func scenario(_ store: any LedgerStore) throws {
        _ = try store.importInvoices([row("INV-2", client: "beta"), row("INV-1"), row("Ä-3", client: "gamma"), row("INV-4")],
                                     source: "a.csv", context: context())
        // A changed row, an identical one and a paid one.
        _ = try store.importInvoices([row("INV-1", amount: 130_000), row("INV-2", client: "beta"), row("INV-4", status: .paid)],
                                     source: "b.csv", context: context(10))
        let queued = try store.queue([newDispatch("INV-1", "firm", fee: 1500), newDispatch("INV-2", "firm"),
                                      newDispatch("Ä-3", "firm"), newDispatch("INV-1", "firm")], context: context(20))
        XCTAssertEqual(queued.count, 3, "a stage queued twice in one call is one dispatch")
        let ids = queued.map(\.id)
        let claimed = try store.markSending([SendingMark(dispatchIDs: [ids[0]], messageID: "<1@x>", recipients: ["ap@acme.example"],
                                                         subject: "Reminder", data: Array("bytes\u{0}\r\n\u{ff}".utf8)),
                                             SendingMark(dispatchIDs: [ids[1]], messageID: "<2@x>", recipients: ["ap@beta.example"]),
                                             SendingMark(dispatchIDs: [ids[2]], messageID: "<3@x>", recipients: ["ap@gamma.example"])],
                                            context: context(30))
        XCTAssertEqual(claimed, ids)
        try store.recordOutcomes([RecordedOutcome(dispatchIDs: [ids[0]], .sent(reply: "250 ok")),
                                  RecordedOutcome(dispatchIDs: [ids[1]], .failed(reply: "550 no"))],
                                 unsent: [queued[2]], context: context(40))
        _ = try store.recordPayment(invoice: "INV-1", amount: money(10_000), on: LocalDate("2026-03-02")!, context: context(50))
        _ = try store.waiveFees(invoice: "INV-1", reason: "goodwill", context: context(60))
        try store.setInvoiceHold("Ä-3", onHold: true, reason: "disputed", context: context(70))
        try store.setClientBlocked("beta", blocked: true, reason: "lawyer", context: context(80))
        try store.requeueFailed(invoice: "INV-2", stage: "firm", context: context(90))
        try store.setInvoiceStatus("INV-2", to: .cancelled, reason: "credit note", context: context(100))
        try store.setMeta("k", "v")
        // The inbox: a reply holding the open invoice it names (once: recorded again, it does
        // nothing), then a bounce of a client's only address, which holds the client.
        let reply = InboundRecord(key: "<r@acme.example>", uidValidity: 1, uid: 1,
                                  verdict: .reply(clientID: "acme", invoices: ["INV-4", "INV-1"], byThread: true),
                                  from: "AP <ap@acme.example>", subject: "Re: INV-1", date: t0, day: LocalDate("2026-03-01")!,
                                  excerpt: ["We paid."])
        XCTAssertEqual(try store.recordInbound(reply, context: context(110))?.heldInvoices, ["INV-1"])
        XCTAssertNil(try store.recordInbound(reply, context: context(115)))
        let bounce = InboundRecord(key: "<b@mx.example>", uidValidity: 1, uid: 2,
                                   verdict: .bounce(clientID: "gamma", invoice: "Ä-3", addresses: ["AP@gamma.example"],
                                                    status: "5.1.1", diagnostic: "no such user"),
                                   from: "MAILER-DAEMON@mx.example", subject: "Undelivered", date: nil, day: LocalDate("2026-03-01")!,
                                   excerpt: [])
        XCTAssertEqual(try store.recordInbound(bounce, context: context(120))?.clientHeld, true)
        let bank = try PaymentFile.parse(Array("invoice,amount,date,reference\nINV-1,100.00,2026-03-03,b-1\n".utf8), fileName: "p.csv").get()
        XCTAssertEqual(try store.importPayments(bank, source: "p.csv", dryRun: false, context: context(130)).get().recorded, 1)
    }

    func testTheSameChangesGiveTheSameLedgerAndTheSameAuditHashesAsSQLite() throws {
        let sqlite = try SQLiteLedgerStore(path: folder.appendingPathComponent("l.sqlite").path)
        defer { sqlite.close() }
        let postgres = try openPG()
        defer { postgres.close() }
        try scenario(sqlite)
        try scenario(postgres)

        XCTAssertEqual(try postgres.invoices(status: nil, clientID: nil), try sqlite.invoices(status: nil, clientID: nil))
        XCTAssertEqual(try postgres.clients(), try sqlite.clients())
        XCTAssertEqual(try contexts(postgres).map(\.invoice), try contexts(sqlite).map(\.invoice))
        XCTAssertEqual(try contexts(postgres).map(\.dispatches), try contexts(sqlite).map(\.dispatches))
        XCTAssertEqual(try postgres.fees(invoice: "INV-1"), try sqlite.fees(invoice: "INV-1"))
        XCTAssertEqual(try postgres.payments(invoice: "INV-1"), try sqlite.payments(invoice: "INV-1"))
        XCTAssertEqual(try postgres.sentMessages(invoice: "INV-1"), try sqlite.sentMessages(invoice: "INV-1"))
        XCTAssertEqual(try postgres.sentMessages(invoice: "INV-1").first?.data, Array("bytes\u{0}\r\n\u{ff}".utf8))
        XCTAssertEqual(try postgres.dispatchedStageNames(), ["firm"])
        XCTAssertEqual(try postgres.meta("k"), "v")
        let pgEntries = try entries(postgres), sqliteEntries = try entries(sqlite)
        XCTAssertGreaterThan(pgEntries.count, 15)
        XCTAssertEqual(pgEntries.map(\.hash), sqliteEntries.map(\.hash), "every entry hashes the same on both stores")
        XCTAssertEqual(pgEntries.map(\.detailsJSON), sqliteEntries.map(\.detailsJSON))
        XCTAssertNil(try postgres.verifyAudit())
        var families: [String] = []
        try postgres.auditEntries(AuditFilter(invoice: "INV-1", event: "invoice")) { families.append($0.event) }
        var expected: [String] = []
        try sqlite.auditEntries(AuditFilter(invoice: "INV-1", event: "invoice")) { expected.append($0.event) }
        XCTAssertEqual(families, expected)
        XCTAssertFalse(families.isEmpty)
    }

    func testALargeImportWithAwkwardTextStoresAndAuditsTheSameAsSQLiteAndReimportsAsANoOp() throws {
        // Beyond one group and one audit batch, with every character COPY's text format escapes.
        let awkward = "M\u{fc}ller \\N\tGmbH\r\n\\ \"x\""
        let rows = (0..<12_000).map { index -> ImportRow in
            var row = self.row(index % 1000 == 0 ? "A\\B\t\(index)" : "INV-\(index)", client: "c\(index % 700)",
                               amount: Int64(1000 + index))
            if index % 7 == 0 { row.clientName = awkward + "\(index % 700)" }
            return row
        }
        let sqlite = try SQLiteLedgerStore(path: folder.appendingPathComponent("l.sqlite").path)
        defer { sqlite.close() }
        let postgres = try openPG()
        defer { postgres.close() }
        for store in [sqlite, postgres] as [any LedgerStore] {
            let first = try store.importInvoices(rows, source: "big.csv", context: context())
            XCTAssertEqual(first.inserted, 12_000)
        }
        XCTAssertEqual(try postgres.invoices(status: nil, clientID: nil), try sqlite.invoices(status: nil, clientID: nil))
        XCTAssertEqual(try postgres.clients(), try sqlite.clients())
        XCTAssertTrue(try postgres.clients().contains { $0.name.hasPrefix(awkward) })
        XCTAssertEqual(try entries(postgres).map(\.hash), try entries(sqlite).map(\.hash))
        XCTAssertNil(try postgres.verifyAudit())

        let count = try entries(postgres).count
        let again = try postgres.importInvoices(rows, source: "big.csv", context: context(10))
        XCTAssertEqual([again.inserted, again.updated, again.unchanged], [0, 0, 12_000], "re-import is a no-op")
        XCTAssertEqual(try entries(postgres).count, count, "and writes no audit entry")

        var changed = rows
        changed[5].amount = money(1)
        changed[6001].status = .paid
        for store in [sqlite, postgres] as [any LedgerStore] {
            let update = try store.importInvoices(changed, source: "big2.csv", context: context(20))
            XCTAssertEqual([update.inserted, update.updated, update.unchanged], [0, 2, 11_998])
        }
        XCTAssertEqual(try postgres.invoices(status: nil, clientID: nil), try sqlite.invoices(status: nil, clientID: nil))
        XCTAssertEqual(try entries(postgres).suffix(2).map(\.hash), try entries(sqlite).suffix(2).map(\.hash))
        XCTAssertNil(try postgres.verifyAudit())
    }

    func testTheServersNoticesGoToTheStoresHandlerAsOneLineWithTheirSeverity() throws {
        let store = try openPG()
        defer { store.close() }
        let heard = Mutex<[String]>([])
        store.onServerNotice = { line in heard.withLock { $0.append(line) } }
        try store.connection.execute("DO $$ BEGIN RAISE WARNING 'disk nearly full'; RAISE NOTICE 'chatter'; END $$")
        let lines = heard.withLock { $0 }
        XCTAssertEqual(lines.count, 1, "below a warning the session asks for nothing: \(lines)")
        XCTAssertTrue(lines.first?.hasSuffix("the server says: WARNING:  disk nearly full") ?? false, "\(lines)")
        XCTAssertFalse(lines.first?.contains("\n") ?? true)
    }

    func testRulesRefuseTheSameAsOnSQLite() throws {
        let store = try openPG()
        defer { store.close() }
        _ = try store.importInvoices([row("INV-1")], source: "a.csv", context: context())
        XCTAssertThrowsError(try store.recordPayment(invoice: "INV-1", amount: money(999_999), on: LocalDate("2026-03-02")!,
                                                     context: context())) { error in
            XCTAssertEqual((error as? OverdueError)?.exitCode, .dataError)
        }
        XCTAssertThrowsError(try store.recordPayment(invoice: "NOPE", amount: money(1), on: LocalDate("2026-03-02")!, context: context()))
        XCTAssertThrowsError(try store.addInvoice(Invoice(number: "INV-1", clientID: "acme", issueDate: LocalDate("2026-01-01")!,
                                                          dueDate: LocalDate("2026-01-31")!, amount: money(1), paid: money(0),
                                                          status: .open),
                                                  client: Client(id: "acme", name: "", emails: []), context: context()))
        XCTAssertThrowsError(try store.resolveAmbiguous(invoice: "INV-1", stage: "firm", sent: true, context: context()))
        // The database itself refuses a second claim of a dispatch on the wire.
        let id = try store.queue([newDispatch("INV-1", "firm")], context: context())[0].id
        try store.markSending([id], messageID: "<1@x>", recipients: ["a@b.example"], context: context())
        XCTAssertThrowsError(try store.connection.query("UPDATE dispatches SET state = 'sending' WHERE id = $1", [.int(id)]))
        XCTAssertThrowsError(try store.connection.query("UPDATE dispatches SET state = 'done' WHERE id = $1", [.int(id)])) { error in
            XCTAssertTrue("\(error)".contains("illegal dispatch state change"), "\(error)")
        }
        XCTAssertThrowsError(try store.connection.query("DELETE FROM audit"))
        XCTAssertNil(try store.verifyAudit())
    }

    func testOpeningADatabaseWithoutALedgerIsRefusedUnlessAskedToCreateOne() throws {
        XCTAssertThrowsError(try openPG(.never)) { error in
            XCTAssertEqual((error as? OverdueError)?.exitCode, .ioError)
            XCTAssertTrue("\(error)".contains("no ledger here"), "\(error)")
        }
        try openPG(.new).close()
        XCTAssertThrowsError(try openPG(.new)) { error in
            XCTAssertEqual((error as? OverdueError)?.exitCode, .cannotCreate)
        }
        let store = try openPG(.never)
        defer { store.close() }
        XCTAssertEqual(try store.schemaVersion(), 6)
    }

    func testThreeProcessesOpeningAnEmptyDatabaseTogetherMigrateItOnce() throws {
        let url = self.url
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 3) { _ in
            do {
                let store = try PostgresLedgerStore(url: url)
                store.close()
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, [])
        let store = try openPG(.never)
        defer { store.close() }
        XCTAssertEqual(try store.connection.scalarInt("SELECT version FROM overdue_schema"), 6)
        XCTAssertEqual(try store.connection.scalarInt("SELECT count(*) FROM overdue_schema"), 1)
    }

    func testPlanningOnSeveralDaemonsAtOnceCreatesOneDispatchPerStage() throws {
        let setup = try openPG()
        _ = try setup.importInvoices((0..<40).map { row("INV-\($0)") }, source: "a.csv", context: context())
        setup.close()
        let url = self.url
        let items = (0..<40).map { NewDispatch(invoiceNumber: "INV-\($0)", stage: "firm", action: .email,
                                               localDate: LocalDate("2026-03-01")!, recipients: ["ap@acme.example"],
                                               feeMinorUnits: 0, superseded: []) }
        let created = Mutex<Int>(0)
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 3) { _ in
            do {
                let store = try PostgresLedgerStore(url: url)
                defer { store.close() }
                let made = try store.queue(items, context: ChangeContext(at: Date(timeIntervalSince1970: 1_772_355_600)))
                created.withLock { $0 += made.count }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, [])
        XCTAssertEqual(created.withLock { $0 }, 40)
        let store = try openPG()
        defer { store.close() }
        XCTAssertEqual(try store.dispatches(in: [.queued]).count, 40)
        var queuedEntries = 0
        try store.auditEntries(AuditFilter(event: "reminder.queued")) { _ in queuedEntries += 1 }
        XCTAssertEqual(queuedEntries, 40)
        XCTAssertNil(try store.verifyAudit())
    }

    func testTwoSendersNeverClaimTheSameDispatch() throws {
        let first = try openPG()
        defer { first.close() }
        let second = try openPG()
        defer { second.close() }
        try first.lockForSending()
        try second.lockForSending()
        XCTAssertNotEqual(first.daemonID, second.daemonID)
        _ = try first.importInvoices([row("INV-1"), row("INV-2"), row("INV-3")], source: "a.csv", context: context())
        let ids = try first.queue([newDispatch("INV-1", "firm"), newDispatch("INV-2", "firm"), newDispatch("INV-3", "firm")],
                                  context: context()).map(\.id)
        let marks = ids.map { SendingMark(dispatchIDs: [$0], messageID: "<\($0)@x>", recipients: ["a@b.example"]) }
        XCTAssertEqual(try first.markSending(Array(marks.prefix(2)), context: context()), Array(ids.prefix(2)))
        XCTAssertEqual(try second.markSending(marks, context: context()), [ids[2]], "the other sender's claims are left out")
        let senders = try first.connection.query("SELECT sending_daemon FROM dispatches ORDER BY id")
        XCTAssertEqual((0..<senders.count).map { senders.text($0, 0) },
                       [first.daemonID!, first.daemonID!, second.daemonID!])
        XCTAssertEqual(try first.liveDaemons().map(\.id).sorted(), [first.daemonID!, second.daemonID!].sorted())
        XCTAssertEqual(try first.liveDaemons().first { $0.id == second.daemonID }?.claimed, 1)
    }

    func testThreeSendersClaimingTheSameDispatchesAtOnceShareThemWithoutOverlap() throws {
        let setup = try openPG()
        _ = try setup.importInvoices((0..<60).map { row("INV-\($0)") }, source: "a.csv", context: context())
        let ids = try setup.queue((0..<60).map { newDispatch("INV-\($0)", "firm") }, context: context()).map(\.id)
        setup.close()
        let url = self.url
        let claims = Mutex<[Int64]>([])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 3) { sender in
            do {
                let store = try PostgresLedgerStore(url: url)
                defer { store.close() }
                try store.lockForSending()
                // Each sender walks the same due list in batches of 5, as ticks do.
                for start in stride(from: 0, to: ids.count, by: 5) {
                    let marks = ids[start..<start + 5].map { SendingMark(dispatchIDs: [$0], messageID: "<\($0)@x>", recipients: ["a@b.example"]) }
                    let got = try store.markSending(marks, context: ChangeContext(at: Date(timeIntervalSince1970: 1_772_355_600)))
                    claims.withLock { $0 += got }
                }
            } catch {
                failures.withLock { $0.append("sender \(sender): \(error)") }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, [])
        XCTAssertEqual(claims.withLock { $0 }.sorted(), ids, "every dispatch claimed exactly once")
    }

    func testADeadDaemonsSendingDispatchesBecomeAmbiguousAndALiveOnesAreLeftAlone() throws {
        let dying = try openPG()
        try dying.lockForSending()
        _ = try dying.importInvoices([row("INV-1"), row("INV-2")], source: "a.csv", context: context())
        let ids = try dying.queue([newDispatch("INV-1", "firm"), newDispatch("INV-2", "firm")], context: context()).map(\.id)
        try dying.markSending([ids[0]], messageID: "<1@x>", recipients: ["a@b.example"], context: context())
        let survivor = try openPG()
        defer { survivor.close() }
        try survivor.lockForSending()

        XCTAssertEqual(try survivor.markInterruptedAsAmbiguous(context: context(5)), [], "a live sender's batch is its own")
        // The process dies: its session ends without a word, and with it the advisory lock.
        dying.connection.close()
        // The server ends the session (and frees its lock) a moment later: the failover's bound.
        var settled: [Dispatch] = []
        for _ in 0..<50 where settled.isEmpty {
            settled = try survivor.markInterruptedAsAmbiguous(context: context(10))
            if settled.isEmpty { Thread.sleep(forTimeInterval: 0.1) }
        }
        XCTAssertEqual(settled.map(\.id), [ids[0]])
        XCTAssertEqual(try survivor.dispatches(in: [.ambiguous]).map(\.id), [ids[0]])
        try survivor.markSending([ids[1]], messageID: "<2@x>", recipients: ["a@b.example"], context: context(15))
        XCTAssertEqual(try survivor.dispatches(in: [.sending]).map(\.id), [ids[1]])
        XCTAssertEqual(try survivor.liveDaemons().map(\.id), [survivor.daemonID!])
        // The survivor's own outcome goes on as usual.
        try survivor.recordOutcome([ids[1]], .sent(reply: "250 ok"), context: context(20))
        XCTAssertEqual(try survivor.dispatches(in: [.sent]).map(\.id), [ids[1]])
        XCTAssertNil(try survivor.verifyAudit())
    }

    func testASendersOwnClaimWhoseCommitReplyWasLostIsSettledAmbiguousAtItsNextCheckNotLeftSending() throws {
        let sender = try openPG()
        defer { sender.close() }
        try sender.lockForSending()
        _ = try sender.importInvoices([row("INV-1")], source: "a.csv", context: context())
        let ids = try sender.queue([newDispatch("INV-1", "firm")], context: context()).map(\.id)
        // The claim commits, then the server goes down before its reply arrives: the sender
        // takes the batch as not claimed and sends nothing. Its next session takes its lock again.
        try sender.markSending([ids[0]], messageID: "<1@x>", recipients: ["a@b.example"], context: context())
        let admin = try openPG()
        defer { admin.close() }
        _ = try admin.connection.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database()")
        try sender.checkStillOnDisk()
        XCTAssertEqual(try sender.liveDaemons().map(\.id), [sender.daemonID!], "the sender holds its lock again")
        // Between batches nothing of its own is in flight: what is still `sending` under its
        // name can never be finished by anyone, so it is settled, not left for ever.
        XCTAssertEqual(try sender.markInterruptedAsAmbiguous(context: context(5)).map(\.id), [ids[0]])
        XCTAssertEqual(try sender.dispatches(in: [.ambiguous]).map(\.id), [ids[0]])
        XCTAssertNil(try sender.verifyAudit())
    }

    func testSeveralWritersAtOnceMakeOneAuditChain() throws {
        let url = self.url
        try openPG().close()
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 3) { writer in
            do {
                let store = try PostgresLedgerStore(url: url)
                defer { store.close() }
                for n in 0..<30 {
                    try store.appendAudit([AuditRecord(.tickStarted, details: [("writer", .int(Int64(writer))), ("n", .int(Int64(n)))])],
                                          context: ChangeContext(at: Date(timeIntervalSince1970: 1_772_355_600)))
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, [])
        let store = try openPG()
        defer { store.close() }
        XCTAssertEqual(try entries(store).map(\.seq), Array(1...90))
        XCTAssertNil(try store.verifyAudit())
    }

    func testACopyToPostgreSQLAndBackKeepsEveryRowAndEveryHash() throws {
        let sqlitePath = folder.appendingPathComponent("from.sqlite").path
        let sqlite = try SQLiteLedgerStore(path: sqlitePath)
        try scenario(sqlite)
        let postgres = try openPG()
        defer { postgres.close() }
        try LedgerCopy.copy(from: sqlite, to: postgres)
        XCTAssertNil(try postgres.verifyAudit())
        XCTAssertEqual(try entries(postgres).map(\.hash), try entries(sqlite).map(\.hash))
        XCTAssertEqual(try postgres.invoices(status: nil, clientID: nil), try sqlite.invoices(status: nil, clientID: nil))
        XCTAssertEqual(try contexts(postgres).map(\.dispatches), try contexts(sqlite).map(\.dispatches))
        XCTAssertEqual(try postgres.sentMessages(invoice: "INV-1"), try sqlite.sentMessages(invoice: "INV-1"))
        // New rows after the copy continue the ids and the chain.
        _ = try postgres.importInvoices([row("INV-9")], source: "c.csv", context: context(200))
        let next = try postgres.queue([newDispatch("INV-9", "firm")], context: context(200))
        XCTAssertGreaterThan(next[0].id, 3)
        XCTAssertNil(try postgres.verifyAudit())

        XCTAssertThrowsError(try LedgerCopy.copy(from: sqlite, to: postgres)) { error in
            XCTAssertEqual((error as? OverdueError)?.exitCode, .cannotCreate)
        }
        let back = try SQLiteLedgerStore(path: folder.appendingPathComponent("back.sqlite").path, creating: .new)
        defer { back.close() }
        try LedgerCopy.copy(from: postgres, to: back)
        XCTAssertNil(try back.verifyAudit())
        XCTAssertEqual(try entries(back).map(\.hash), try entries(postgres).map(\.hash))
        XCTAssertEqual(try back.invoices(status: nil, clientID: nil), try postgres.invoices(status: nil, clientID: nil))
        sqlite.close()
    }
}

final class PostgresConnectionTests: XCTestCase {
    func testThePasswordOfADatabaseURLNeverReachesAMessage() {
        XCTAssertEqual(PGConnection.redacted("postgresql://u:s3cret@db.example:5432/overdue?sslmode=verify-full&password=x"),
                       "postgresql://u@db.example:5432/overdue?sslmode=verify-full")
        XCTAssertFalse(PGConnection.redacted("postgres://u:s3cret@h/d").contains("s3cret"))
    }

    func testTheServerDropsACutOffSessionOnTheClientsKeepaliveClock() throws {
        let url = try PostgresTestDatabase.emptied()
        let defaults = try PGConnection(url: url, password: nil)
        defer { defaults.close() }
        XCTAssertEqual(try defaults.scalarText("SELECT current_setting('tcp_user_timeout')"), "30000")
        let separator = url.contains("?") ? "&" : "?"
        let tuned = try PGConnection(url: url + separator + "keepalives_idle=3&tcp_user_timeout=4000", password: nil)
        defer { tuned.close() }
        XCTAssertEqual(try tuned.scalarText("SELECT current_setting('tcp_user_timeout')"), "4000")
        XCTAssertEqual(try tuned.scalarText("SELECT current_setting('synchronous_commit')"), "on")
        // Over TCP the server reports the idle time it now uses (0 on a Unix socket, which has none).
        let idle = try tuned.scalarText("SELECT current_setting('tcp_keepalives_idle')")
        XCTAssertTrue(idle == "3" || idle == "0", idle ?? "nil")
    }

    func testAServerThatIsNotThereIsAnIOErrorNamingTheDatabase() {
        XCTAssertThrowsError(try PGConnection(url: "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", password: "pw")) { error in
            XCTAssertEqual((error as? OverdueError)?.exitCode, .ioError)
            XCTAssertTrue("\(error)".contains("postgresql://nobody@127.0.0.1:1/none"), "\(error)")
            XCTAssertFalse("\(error)".contains("pw\""), "\(error)")
        }
    }
}
