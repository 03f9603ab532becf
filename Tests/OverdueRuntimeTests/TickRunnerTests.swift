import Foundation
import OverdueCore
import OverdueSQLite
import XCTest
@testable import OverdueRuntime

/// Ticks against a real SQLite file, the real file outbox (or libcurl against a closed port);
/// only the clock is fixed.
final class TickRunnerTests: TickTestCase {
    func testTickSendsEachDueReminderOnceAndASecondTickAtTheSameInstantSendsNothing() throws {
        let config = try config()
        let store = try store(config, invoices: ["INV-1", "INV-2"])
        let first = try runner(config, store, asOf: "2026-02-08T10:00:00Z").run()
        XCTAssertEqual(first.queued, 2)
        XCTAssertEqual(first.sent, 2)
        XCTAssertEqual(outboxFiles().count, 2)
        let second = try runner(config, store, asOf: "2026-02-08T10:00:00Z").run()
        XCTAssertEqual(second.queued, 0)
        XCTAssertEqual(second.sent, 0)
        XCTAssertEqual(outboxFiles().count, 2)
        let sent = try store.dispatches(in: [.sent])
        XCTAssertEqual(sent.map(\.stage), ["reminder-7", "reminder-7"])
        XCTAssertTrue(sent.allSatisfy { $0.messageID != nil && $0.localDate == LocalDate("2026-02-08") })
        XCTAssertNil(try store.verifyAudit())
    }

    func testDispatchInterruptedWhileSendingBecomesAmbiguousAndIsNeverResentByItself() throws {
        let config = try config()
        let store = try store(config, invoices: ["INV-1"])
        let change = ChangeContext(at: at("2026-02-08T10:00:00Z"))
        let queued = try store.queue([NewDispatch(invoiceNumber: "INV-1", stage: "reminder-7", action: .email,
                                                  localDate: LocalDate("2026-02-08")!, recipients: ["ap@acme.example"],
                                                  feeMinorUnits: 0, superseded: [])], context: change)
        // What a process killed mid-send leaves behind.
        try store.markSending(queued.map(\.id), messageID: "<x@janedoe.example>", recipients: ["ap@acme.example"], context: change)

        let runner = try runner(config, store, asOf: "2026-02-08T10:05:00Z")
        XCTAssertEqual(try runner.recoverInterrupted().map(\.invoiceNumber), ["INV-1"])
        let summary = try runner.run()
        XCTAssertEqual(summary.sent, 0)
        XCTAssertEqual(outboxFiles(), [])
        XCTAssertEqual(try store.dispatches(in: [.ambiguous]).count, 1)
        let report = try StatusReport.read(store: store, config: config, at: at("2026-02-08T10:05:00Z"))
        XCTAssertEqual(report.ambiguous.map(\.stage), ["reminder-7"])

        // Released by the owner, it goes out at the next tick, once.
        try store.resolveAmbiguous(invoice: "INV-1", stage: "reminder-7", sent: false, context: change)
        XCTAssertEqual(try self.runner(config, store, asOf: "2026-02-08T10:10:00Z").run().sent, 1)
        XCTAssertEqual(try self.runner(config, store, asOf: "2026-02-08T10:15:00Z").run().sent, 0)
        XCTAssertEqual(outboxFiles().count, 1)
    }

    func testAnUnreachableServerStopsTheTickAndRetriesOnTheScheduleWithoutEverFailingOrNotifyingTheOwner() throws {
        let config = try config(smtpURL: "smtp://127.0.0.1:\(closedPort())")
        let store = try store(config, invoices: ["INV-1", "INV-2", "INV-3"])
        // Ticks replayed with --as-of months before the real time.
        let realTime = "2026-06-01T09:00:00Z"
        func tick(_ asOf: String) throws -> TickSummary { try runner(config, store, asOf: asOf, realTime: realTime).run() }
        let first = try tick("2026-02-08T10:00:00Z")
        XCTAssertEqual([first.deferred, first.leftForLater, first.failed], [1, 2, 0], "one attempt, then the tick stops")
        XCTAssertEqual(try store.dispatches(in: [.retrying]).first?.nextAttemptAt, at("2026-02-08T10:05:00Z"))
        XCTAssertEqual(try store.dispatches(in: [.queued]).count, 2)
        let report = try StatusReport.read(store: store, config: config, at: at("2026-02-08T10:00:00Z"))
        XCTAssertTrue(report.tableLines.contains { $0.hasPrefix("server problem: since 2026-06-01T09:00:00Z: ") }, "\(report.tableLines)")
        // Long past give_up_after (1h): a failing server still fails no reminder.
        for asOf in ["2026-02-08T10:05:00Z", "2026-02-08T12:00:00Z", "2026-02-10T12:00:00Z"] {
            XCTAssertEqual(try tick(asOf).failed, 0)
        }
        XCTAssertEqual(try store.dispatches(in: [.failed]), [])
        XCTAssertEqual(try store.dispatches(in: [.retrying, .queued]).count, 3)
        var notices: [AuditEntry] = []
        try store.auditEntries(AuditFilter(event: "owner.notified")) { notices.append($0) }
        XCTAssertEqual(notices.count, 0, "nothing goes through the failing server")
    }

    func testAMessageTheTransportRefusesPermanentlyIsFailedOnceAndTheOwnerNoticeIsAudited() throws {
        // The file outbox refuses permanently when its folder is a file.
        try "not a folder".write(to: folder.appendingPathComponent("outbox"), atomically: true, encoding: .utf8)
        let config = try config()
        let store = try store(config, invoices: ["INV-1"])
        XCTAssertEqual(try runner(config, store, asOf: "2026-02-08T10:00:00Z").run().failed, 1)
        XCTAssertEqual(try store.dispatches(in: [.failed]).map(\.attempts), [1])
        var notices: [AuditEntry] = []
        try store.auditEntries(AuditFilter(event: "owner.notified")) { notices.append($0) }
        XCTAssertEqual(notices.count, 1)
        XCTAssertTrue(notices.first?.detailsJSON.contains("\"kind\":\"delivery-failed\"") == true)
    }

    func testWriteOffStageMarksTheInvoiceWithoutMail() throws {
        let config = try config(thirdStage: "action = \"write-off\"")
        let store = try store(config, invoices: ["INV-1"])
        // Never a silent hand-off: day 90 without any email gets the reminder first.
        XCTAssertEqual(try runner(config, store, asOf: "2026-05-01T10:00:00Z").run().sent, 1)
        XCTAssertEqual(try store.invoice("INV-1")?.status, .open)
        let mailed = outboxFiles()
        let summary = try runner(config, store, asOf: "2026-05-15T10:00:00Z").run()   // final_notice_days later
        XCTAssertEqual(summary.done, 1)
        XCTAssertEqual(outboxFiles(), mailed)
        XCTAssertEqual(try store.invoice("INV-1")?.status, .writtenOff)
        XCTAssertEqual(try store.dispatches(in: [.done]).map(\.stage), ["last"])
    }

    func testEscalationMarksTheInvoiceAndSendsTheOwnerOneDecisionNotice() throws {
        let config = try config()
        let store = try store(config, invoices: ["INV-1"])
        try runner(config, store, asOf: "2026-02-08T10:00:00Z").run()
        try runner(config, store, asOf: "2026-03-05T10:00:00Z").run()
        try runner(config, store, asOf: "2026-05-01T10:00:00Z").run()
        try runner(config, store, asOf: "2026-05-08T10:00:00Z").run()
        XCTAssertEqual(try store.invoice("INV-1")?.status, .escalated)
        let messages = try outboxFiles().map { try String(contentsOf: folder.appendingPathComponent("outbox/\($0)"), encoding: .utf8) }
        let decisions = messages.filter { $0.contains("Subject: Decision needed") }
        XCTAssertEqual(messages.count, 3)
        XCTAssertEqual(decisions.count, 1)
        XCTAssertTrue(decisions[0].contains("To: jane@janedoe.example"))
        XCTAssertTrue(decisions[0].contains("small claims court"))
    }
}
