import Foundation
import OverdueCore
import OverdueSQLite
import XCTest

final class SQLiteOutboxTests: LedgerTestCase {
    func testAStageIsNeverQueuedTwiceAcrossCallsAndReopens() throws {
        var store: SQLiteLedgerStore? = try openStore()
        _ = try store!.importInvoices([row("INV-1"), row("INV-2")], source: "a.csv", context: context())
        let first = try store!.queue([newDispatch("INV-1", "reminder-30", superseded: ["reminder-7"])], context: context())
        XCTAssertEqual(first.map(\.stage), ["reminder-30"])
        XCTAssertEqual(try store!.queue([newDispatch("INV-1", "reminder-30"), newDispatch("INV-2", "reminder-30")],
                                        context: context()).map(\.invoiceNumber), ["INV-2"])
        store = nil

        let reopened = try openStore()
        XCTAssertEqual(try reopened.queue([newDispatch("INV-1", "reminder-30"), newDispatch("INV-2", "reminder-30")], context: context()), [])
        XCTAssertEqual(try reopened.connection.scalarInt("SELECT count(*) FROM dispatches"), 2)
        XCTAssertEqual(try auditEvents(reopened, AuditFilter(event: "reminder")),
                       ["reminder.queued", "reminder.superseded", "reminder.queued"])
        // The database itself refuses a duplicate, whoever writes it.
        XCTAssertThrowsError(try reopened.connection.execute("""
            INSERT INTO dispatches (invoice, stage, action, local_date, queued_at, state, recipients)
            VALUES ('INV-1', 'reminder-30', 'email', '2026-03-02', 0, 'queued', '')
            """))
    }

    func testQueueForAnUnknownInvoiceQueuesNothing() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1")], source: "a.csv", context: context())
        assertFails(.dataError) { _ = try store.queue([newDispatch("INV-1", "s1"), newDispatch("GHOST", "s1")], context: context()) }
        XCTAssertEqual(try store.dispatches(in: Set(DispatchState.allCases)), [])
    }

    func testTheSubjectAMessageWentOutWithIsKeptWithItsDispatch() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1")], source: "a.csv", context: context())
        let id = try store.queue([newDispatch("INV-1", "s1")], context: context())[0].id
        XCTAssertNil(try store.invoiceContext("INV-1")?.dispatches.first?.subject, "no subject before it is sent")
        try store.markSending([SendingMark(dispatchIDs: [id], messageID: "<s@x>", recipients: ["ap@acme.example"],
                                           subject: "Invoice INV-1 from Jane Doe Design: €1,200.00 due")], context: context())
        try store.recordOutcome([id], .sent(reply: "250 ok"), context: context())
        XCTAssertEqual(try store.invoiceContext("INV-1")?.dispatches.first?.subject, "Invoice INV-1 from Jane Doe Design: €1,200.00 due")
    }

    func testSendingThenSentRecordsMessageRecipientsAndReply() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1"), row("INV-2")], source: "a.csv", context: context())
        let queued = try store.queue([newDispatch("INV-1", "s1"), newDispatch("INV-2", "s1")], context: context())
        let ids = queued.map(\.id)
        try store.markSending(ids, messageID: "<abc@overdue>", recipients: ["ap@acme.example"], context: context())
        XCTAssertEqual(try store.dispatches(in: [.sending]).map(\.id), ids)
        try store.recordOutcome(ids, .sent(reply: "250 2.0.0 Ok: queued as X1"), context: context(5))

        let sent = try store.dispatches(in: [.sent])
        XCTAssertEqual(sent.map(\.messageID), ["<abc@overdue>", "<abc@overdue>"])
        XCTAssertEqual(sent.map(\.lastReply), ["250 2.0.0 Ok: queued as X1", "250 2.0.0 Ok: queued as X1"])
        XCTAssertEqual(sent.map(\.attempts), [1, 1])
        var entries: [AuditEntry] = []
        try store.auditEntries(AuditFilter(invoice: "INV-1", event: "reminder.sent")) { entries.append($0) }
        XCTAssertEqual(entries.first?.detailsJSON,
                       #"{"recipients":["ap@acme.example"],"message_id":"<abc@overdue>","reply":"250 2.0.0 Ok: queued as X1","attempts":1}"#)
        XCTAssertEqual(entries.first?.client, "acme")
    }

    func testRetryDefersWithNextAttemptAndCountsAttempts() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1")], source: "a.csv", context: context())
        let id = try store.queue([newDispatch("INV-1", "s1")], context: context())[0].id
        try store.markSending([id], messageID: "<m1@x>", recipients: ["ap@acme.example"], context: context())
        let next = t0.addingTimeInterval(300)
        try store.recordOutcome([id], .retry(at: next, reply: "451 try later"), context: context())
        let retrying = try XCTUnwrap(store.dispatches(in: [.retrying]).first)
        XCTAssertEqual(retrying.nextAttemptAt, next)
        try store.markSending([id], messageID: "<m1@x>", recipients: ["ap@acme.example"], context: context(300))
        try store.recordOutcome([id], .failed(reply: "550 no such user"), context: context(301))
        let failed = try XCTUnwrap(store.dispatches(in: [.failed]).first)
        XCTAssertEqual(failed.attempts, 2)
        XCTAssertEqual(try auditEvents(store, AuditFilter(event: "reminder")), ["reminder.queued", "reminder.deferred", "reminder.failed"])
        assertFails(.dataError) { try store.markSending([id], messageID: "<m2@x>", recipients: [], context: context()) }
    }

    func testInterruptedSendBecomesAmbiguousAfterReopenAndIsResolvedByTheOwner() throws {
        var store: SQLiteLedgerStore? = try openStore()
        _ = try store!.importInvoices([row("INV-1"), row("INV-2")], source: "a.csv", context: context())
        let ids = try store!.queue([newDispatch("INV-1", "s1"), newDispatch("INV-2", "s1")], context: context()).map(\.id)
        try store!.markSending([ids[0]], messageID: "<m1@x>", recipients: ["ap@acme.example"], context: context())
        try store!.markSending([ids[1]], messageID: "<m2@x>", recipients: ["ap@acme.example"], context: context())
        store = nil   // the process dies before any outcome is recorded

        let restarted = try openStore()
        let ambiguous = try restarted.markInterruptedAsAmbiguous(context: context(60))
        XCTAssertEqual(ambiguous.map(\.id), ids)
        XCTAssertEqual(ambiguous.map(\.state), [.ambiguous, .ambiguous])
        XCTAssertEqual(try restarted.markInterruptedAsAmbiguous(context: context(61)), [], "a second start-up finds nothing new")
        XCTAssertEqual(try restarted.dispatches(in: [.queued, .retrying, .released]), [], "ambiguous is never due by itself")

        try restarted.resolveAmbiguous(invoice: "INV-1", stage: "s1", sent: true, context: context(120))
        try restarted.resolveAmbiguous(invoice: "INV-2", stage: "s1", sent: false, context: context(120))
        XCTAssertEqual(try restarted.dispatches(in: [.sent]).map(\.invoiceNumber), ["INV-1"])
        XCTAssertEqual(try restarted.dispatches(in: [.released]).map(\.invoiceNumber), ["INV-2"])
        assertFails(.dataError) { try restarted.resolveAmbiguous(invoice: "INV-1", stage: "s1", sent: true, context: context()) }
        assertFails(.dataError) { try restarted.resolveAmbiguous(invoice: "INV-1", stage: "nope", sent: true, context: context()) }
        XCTAssertEqual(try auditEvents(restarted, AuditFilter(event: "reminder.*")).filter { $0 != "reminder.queued" },
                       ["reminder.ambiguous", "reminder.ambiguous", "reminder.resolved", "reminder.resolved"])
    }

    func testTheDatabaseRefusesExactlyTheStateChangesTheLifecycleForbids() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1")], source: "a.csv", context: context())
        var stage = 0
        for from in DispatchState.allCases {
            for to in DispatchState.allCases {
                stage += 1
                try store.connection.execute("""
                    INSERT INTO dispatches (invoice, stage, action, local_date, queued_at, state, recipients)
                    VALUES ('INV-1', 's\(stage)', 'email', '2026-03-01', 0, '\(from.rawValue)', '')
                    """)
                let update = "UPDATE dispatches SET state = '\(to.rawValue)' WHERE stage = 's\(stage)'"
                if from.canMove(to: to) {
                    XCTAssertNoThrow(try store.connection.execute(update), "\(from) -> \(to)")
                } else {
                    XCTAssertThrowsError(try store.connection.execute(update), "\(from) -> \(to)")
                }
            }
        }
    }

    func testMarkingSendingRefusesADispatchAnotherSenderAlreadyHasOnTheWire() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1")], source: "a.csv", context: context())
        let id = try store.queue([newDispatch("INV-1", "s1")], context: context())[0].id
        try store.markSending([id], messageID: "<m1@x>", recipients: ["ap@acme.example"], context: context())
        let message = assertFails(.dataError) {
            try store.markSending([id], messageID: "<m1@x>", recipients: ["ap@acme.example"], context: context(1))
        }
        XCTAssertEqual(message, "invoice INV-1 stage s1: is sending; cannot be sent")
        XCTAssertEqual(try store.dispatches(in: [.sending]).map(\.attempts), [1])
    }

    func testRequeueReleasesOnlyAFailedDispatchAndIsAudited() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1")], source: "a.csv", context: context())
        let id = try store.queue([newDispatch("INV-1", "s1")], context: context())[0].id
        assertFails(.dataError) { try store.requeueFailed(invoice: "INV-1", stage: "s1", context: context()) }
        try store.markSending([id], messageID: "<m1@x>", recipients: ["ap@acme.example"], context: context())
        try store.recordOutcome([id], .failed(reply: "550 no such user"), context: context(1))
        try store.requeueFailed(invoice: "INV-1", stage: "s1", context: context(60))
        let released = try XCTUnwrap(store.dispatches(in: [.released]).first)
        XCTAssertEqual(released.queuedAt, t0.addingTimeInterval(60), "give_up_after counts afresh")
        XCTAssertEqual(released.messageID, "<m1@x>", "the same Message-ID: it is the same reminder")
        assertFails(.dataError) { try store.requeueFailed(invoice: "INV-1", stage: "s1", context: context()) }
        assertFails(.dataError) { try store.requeueFailed(invoice: "INV-1", stage: "nope", context: context()) }
        XCTAssertEqual(try auditEvents(store, AuditFilter(event: "reminder.requeued")), ["reminder.requeued"])
    }
}
