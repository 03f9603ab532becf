import Foundation
import OverdueCore
import XCTest
@testable import OverdueRuntime

/// The tick against the in-memory outbox (`MemoryLedger`) and the real file outbox transport:
/// what the runtime decides, apart from how SQLite stores it.
final class MemoryTickTests: TickTestCase {
    func testATickOnTheMemoryOutboxSendsEachDueReminderOnceAndAuditsAnIntactChain() throws {
        let config = try config()
        let ledger = memoryLedger(invoices: ["INV-1", "INV-2"])
        let first = try runner(config, ledger: ledger, clock: FixedClock(at("2026-02-08T10:00:00Z"))).run()
        XCTAssertEqual([first.queued, first.sent], [2, 2])
        let second = try runner(config, ledger: ledger, clock: FixedClock(at("2026-02-08T10:00:00Z"))).run()
        XCTAssertEqual([second.queued, second.sent], [0, 0])
        XCTAssertEqual(outboxFiles().count, 2)
        let sent = try ledger.dispatches(in: [.sent])
        XCTAssertEqual(sent.map(\.stage), ["reminder-7", "reminder-7"])
        XCTAssertTrue(sent.allSatisfy { $0.attempts == 1 && $0.messageID != nil && $0.subject != nil })
        XCTAssertEqual(ledger.events.filter { $0 == "reminder.sent" }.count, 2)
        XCTAssertEqual(try ledger.meta(MetaKey.lastTickSummary), second.text)
        XCTAssertNil(try ledger.verifyAudit())
    }

    func testAnInterruptedSendIsAmbiguousAtStartAndNotResentByTheNextTick() throws {
        let config = try config()
        let ledger = memoryLedger(invoices: ["INV-1"])
        let change = ChangeContext(at: at("2026-02-08T10:00:00Z"))
        let queued = try ledger.queue([NewDispatch(invoiceNumber: "INV-1", stage: "reminder-7", action: .email,
                                                   localDate: LocalDate("2026-02-08")!, recipients: ["ap@acme.example"],
                                                   feeMinorUnits: 0, superseded: [])], context: change)
        try ledger.markSending(queued.map(\.id), messageID: "<x@janedoe.example>", recipients: ["ap@acme.example"], context: change)
        let runner = try runner(config, ledger: ledger, clock: FixedClock(at("2026-02-08T10:05:00Z")))
        XCTAssertEqual(try runner.recoverInterrupted().map(\.stage), ["reminder-7"])
        XCTAssertEqual(try runner.run().sent, 0)
        XCTAssertEqual(outboxFiles(), [])
        XCTAssertEqual(try ledger.dispatches(in: [.ambiguous]).count, 1)
    }

    func testAStopAskedForBeforeTheFirstMessageLeavesEveryDueDispatchQueuedForTheNextTick() throws {
        let config = try config()
        let ledger = memoryLedger(invoices: ["INV-1", "INV-2", "INV-3"])
        let runner = try runner(config, ledger: ledger, clock: FixedClock(at("2026-02-08T10:00:00Z")))
        runner.shouldStop = { true }
        let summary = try runner.run()
        XCTAssertEqual([summary.queued, summary.sent, summary.leftForLater], [3, 0, 3])
        XCTAssertEqual(try ledger.dispatches(in: [.queued]).count, 3)
        XCTAssertEqual(outboxFiles(), [])
    }

    func testAWriteOffStageChangesTheInvoiceThroughTheOutboxWithoutMail() throws {
        let config = try config(thirdStage: "action = \"write-off\"")
        let ledger = memoryLedger(invoices: ["INV-1"])
        XCTAssertEqual(try runner(config, ledger: ledger, clock: FixedClock(at("2026-05-01T10:00:00Z"))).run().sent, 1)
        let mailed = outboxFiles()
        let summary = try runner(config, ledger: ledger, clock: FixedClock(at("2026-05-15T10:00:00Z"))).run()
        XCTAssertEqual(summary.done, 1)
        XCTAssertEqual(outboxFiles(), mailed)
        XCTAssertEqual(ledger.invoices["INV-1"]?.status, .writtenOff)
        XCTAssertEqual(try ledger.dispatches(in: [.done]).map(\.stage), ["last"])
    }
}
