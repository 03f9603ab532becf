import Foundation
import OverdueCore
import OverdueSMTP
import OverdueSQLite
import XCTest
@testable import OverdueRuntime

/// Ticks against a real SQLite file, the real file outbox (or libcurl against a closed port);
/// only the clock is fixed.
final class TickRunnerTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("overdue-tick-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("templates"), withIntermediateDirectories: true)
        for name in ["reminder-7", "reminder-30"] {
            try "Invoice {{invoice.number}}: {{invoice.amount_due}} {{invoice.currency}} due ({{stage.name}}).\n"
                .write(to: folder.appendingPathComponent("templates/\(name).txt"), atomically: true, encoding: .utf8)
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func config(smtpURL: String? = nil, thirdStage: String = "action = \"escalate\"") throws -> Config {
        let outbox = folder.appendingPathComponent("outbox").path
        let text = """
            [daemon]
            interval = "15m"
            timezone = "Europe/Berlin"
            database = "\(folder.appendingPathComponent("ledger.sqlite").path)"
            [business]
            name = "Jane Doe Design"
            from = "Jane Doe Design <billing@janedoe.example>"
            owner = "jane@janedoe.example"
            small_claims_limit = "12500.00 EUR"
            [smtp]
            url = "\(smtpURL ?? "file://\(outbox)")"
            starttls = "none"
            timeout = "5s"
            [delivery]
            retry = ["5m", "30m"]
            give_up_after = "1h"
            min_days_between = 3
            [[stage]]
            name = "reminder-7"
            days = 7
            template = "reminder-7"
            subject = "Invoice {{invoice.number}} is overdue"
            [[stage]]
            name = "reminder-30"
            days = 30
            template = "reminder-30"
            subject = "Invoice {{invoice.number}} is {{days_overdue}} days overdue"
            [[stage]]
            name = "last"
            days = 90
            \(thirdStage)
            """
        let path = folder.appendingPathComponent("overdue.toml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try ConfigLoader.load(path: path)
    }

    func at(_ text: String) -> Date { parseTimestamp(text)! }

    func store(_ config: Config, invoices: [String]) throws -> SQLiteLedgerStore {
        let store = try SQLiteLedgerStore(path: config.daemon.database)
        let eur = Currency(code: "EUR")!
        let rows = invoices.enumerated().map { index, number in
            ImportRow(line: index + 2, number: number, clientID: "acme", clientName: "Acme Ltd", clientEmails: ["ap@acme.example"],
                      issueDate: LocalDate("2026-01-01")!, dueDate: LocalDate("2026-01-31")!,
                      amount: Money(minorUnits: 120_000, currency: eur), paid: Money(minorUnits: 0, currency: eur), status: .open)
        }
        _ = try store.importInvoices(rows, source: "test.csv", context: ChangeContext(at: at("2026-01-01T00:00:00Z")))
        return store
    }

    func runner(_ config: Config, _ store: SQLiteLedgerStore, asOf: String, transport: (any MailTransport)? = nil) throws -> TickRunner {
        let composer = LedgerComposer(config: config, templates: try MessageTemplates.load(config),
                                      messageIDs: MessageIDGenerator(secret: Array(repeating: 7, count: 32)))
        return TickRunner(config: config, store: store, transport: try transport ?? makeTransport(config.smtp),
                          composer: composer, clock: FixedClock(at(asOf)), asOf: at(asOf),
                          log: Logger(threshold: .error))
    }

    func outboxFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("outbox").path)) ?? [])
            .filter { $0.hasSuffix(".eml") }
    }

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

    func testUnreachableServerDefersOnTheRetryScheduleThenFailsAndTheOwnerNoticeIsAudited() throws {
        let config = try config(smtpURL: "smtp://127.0.0.1:\(closedPort())")
        let store = try store(config, invoices: ["INV-1"])
        let t0 = "2026-02-08T10:00:00Z"
        XCTAssertEqual(try runner(config, store, asOf: t0).run().deferred, 1)
        XCTAssertEqual(try store.dispatches(in: [.retrying]).first?.nextAttemptAt, at("2026-02-08T10:05:00Z"))
        // Not yet due: nothing is tried.
        XCTAssertEqual(try runner(config, store, asOf: "2026-02-08T10:04:59Z").run().deferred, 0)
        XCTAssertEqual(try runner(config, store, asOf: "2026-02-08T10:05:00Z").run().deferred, 1)
        XCTAssertEqual(try store.dispatches(in: [.retrying]).first?.nextAttemptAt, at("2026-02-08T10:35:00Z"))
        XCTAssertEqual(try runner(config, store, asOf: "2026-02-08T10:35:00Z").run().deferred, 1)
        XCTAssertEqual(try store.dispatches(in: [.retrying]).first?.nextAttemptAt, at("2026-02-08T11:05:00Z"))
        // Past give_up_after (1h since it was queued at 10:00): failed, and the owner notice attempted and audited.
        let last = try runner(config, store, asOf: "2026-02-08T11:05:00Z").run()
        XCTAssertEqual(last.failed, 1)
        XCTAssertEqual(try store.dispatches(in: [.failed]).map(\.attempts), [4])
        var notices: [AuditEntry] = []
        try store.auditEntries(AuditFilter(event: "owner.notified")) { notices.append($0) }
        XCTAssertEqual(notices.count, 1)
        XCTAssertTrue(notices.first?.detailsJSON.contains("\"kind\":\"delivery-failed\"") == true)
    }

    func testWriteOffStageMarksTheInvoiceWithoutMail() throws {
        let config = try config(thirdStage: "action = \"write-off\"")
        let store = try store(config, invoices: ["INV-1"])
        let summary = try runner(config, store, asOf: "2026-05-01T10:00:00Z").run()
        XCTAssertEqual(summary.done, 1)
        XCTAssertEqual(outboxFiles(), [])
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

    func closedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return Int(UInt16(bigEndian: address.sin_port))   // bound but never listening: connections are refused
    }
}
