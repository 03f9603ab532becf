import Foundation
import OverdueCore
import OverdueSQLite
import XCTest
@testable import OverdueRuntime

/// The store's batch writes that a tick relies on, and a clean stop in the middle of a batch,
/// against a real SQLite file and the real file outbox.
final class OutboxBatchTests: TickTestCase {
    func testUnsentMembersOfABatchGoBackExactlyAsTheyWereAndSynchronousIsFullAgain() throws {
        let config = try config()
        let store = try store(config, invoices: ["INV-1", "INV-2", "INV-3"])
        let change = ChangeContext(at: at("2026-02-08T10:00:00Z"))
        let queued = try store.queue(["INV-1", "INV-2", "INV-3"].map {
            NewDispatch(invoiceNumber: $0, stage: "reminder-7", action: .email, localDate: LocalDate("2026-02-08")!,
                        recipients: ["ap@acme.example"], feeMinorUnits: 0, superseded: [])
        }, context: change)
        // INV-3 was deferred once already: it has a message, an attempt and a retry time.
        try store.markSending([queued[2].id], messageID: "<m3@x>", recipients: ["ap@acme.example"], context: change)
        try store.recordOutcome([queued[2].id], .retry(at: at("2026-02-08T10:05:00Z"), reply: "451 later"), context: change)
        let before = try store.dispatches(in: [.queued, .retrying])
        XCTAssertEqual(before.map(\.state), [.queued, .queued, .retrying])

        try store.markSending(before.map {
            SendingMark(dispatchIDs: [$0.id], messageID: $0.messageID ?? "<m\($0.id)@x>", recipients: ["new@acme.example"])
        }, context: change)
        XCTAssertEqual(try store.dispatches(in: [.sending]).count, 3)
        try store.recordOutcomes([RecordedOutcome(dispatchIDs: [before[0].id], .sent(reply: "250 ok"))],
                                 unsent: Array(before[1...]), context: change)

        XCTAssertEqual(try store.dispatches(in: [.sent]).map(\.invoiceNumber), ["INV-1"])
        XCTAssertEqual(try store.dispatches(in: [.queued, .retrying]), Array(before[1...]))
        XCTAssertEqual(try store.connection.scalarInt("SELECT count(*) FROM messages WHERE message_id = '<m\(before[1].id)@x>'"), 0)
        XCTAssertEqual(try store.connection.scalarInt("SELECT attempts FROM messages WHERE message_id = '<m3@x>'"), 1)
        XCTAssertEqual(store.pragmas().synchronous, 2, "the relaxed commit must not leave the connection at NORMAL")
        XCTAssertEqual(try store.markInterruptedAsAmbiguous(context: change), [])
        var events: [String] = []
        try store.auditEntries(AuditFilter(event: "reminder")) { events.append($0.event) }
        XCTAssertEqual(events.filter { $0 != "reminder.queued" }, ["reminder.deferred", "reminder.sent"])
        XCTAssertNil(try store.verifyAudit())
    }

    func testAStopInTheMiddleOfABatchLeavesNothingAmbiguousAndTheNextTickSendsTheRestOnce() throws {
        let config = try config()
        let numbers = (1...30).map { "INV-\($0)" }
        let store = try store(config, invoices: numbers)
        let tick = try runner(config, store, asOf: "2026-02-08T10:00:00Z")
        // The file outbox takes well under a millisecond per message, so by the third batch
        // they are 50 long and the stop lands inside one.
        tick.shouldStop = { [unowned self] in self.outboxFiles().count >= 12 }
        let first = try tick.run()
        XCTAssertEqual(first.sent, 12)
        XCTAssertEqual(first.leftForLater, 18)
        XCTAssertEqual(try store.dispatches(in: [.sending, .ambiguous]), [])
        let rest = try store.dispatches(in: [.queued])
        XCTAssertEqual(rest.count, 18)
        XCTAssertTrue(rest.allSatisfy { $0.attempts == 0 && $0.messageID == nil })
        XCTAssertEqual(try store.connection.scalarInt("SELECT count(*) FROM messages"), 12)

        let fresh = try runner(config, store, asOf: "2026-02-08T10:15:00Z")
        XCTAssertEqual(try fresh.recoverInterrupted(), [])
        XCTAssertEqual(try fresh.run().sent, 18)
        XCTAssertEqual(outboxFiles().count, 30)
        XCTAssertEqual(Set(try store.dispatches(in: [.sent]).map(\.invoiceNumber)), Set(numbers))
        XCTAssertNil(try store.verifyAudit())
    }
}
