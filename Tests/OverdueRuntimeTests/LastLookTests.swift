import Foundation
import OverdueCore
import OverdueSMTP
import OverdueSQLite
import XCTest
@testable import OverdueRuntime

/// The last look before a message's first byte: a change committed meanwhile by another
/// connection (a command in another process) withdraws the rest of the batch in flight; with no
/// such change the tick sends without reading each invoice again. Real SQLite file, real outbox.
final class LastLookTests: TickTestCase {
    /// The file outbox, running `before(n)` ahead of the n-th message (1-based).
    final class HookedTransport: MailTransport {
        let inner: any MailTransport
        let before: (Int) throws -> Void
        var count = 0

        init(_ inner: any MailTransport, before: @escaping (Int) throws -> Void) {
            self.inner = inner
            self.before = before
        }

        func send(_ message: OutgoingMessage) -> DeliveryResult {
            count += 1
            try? before(count)
            return inner.send(message)
        }

        func close() { inner.close() }
    }

    func testAClientBlockCommittedByAnotherConnectionMidBatchWithdrawsTheRestOfTheBatch() throws {
        let config = try config()
        let numbers = (1...12).map { "INV-\($0)" }
        let store = try store(config, invoices: numbers)
        XCTAssertNotNil(try store.othersChangeToken())
        let transport = HookedTransport(try makeTransport(config.smtp)) { count in
            // The first batch is one message; the second holds the rest: block during its second.
            guard count == 3 else { return }
            let command = try SQLiteLedgerStore(path: config.daemon.database)
            try command.setClientBlocked("acme", blocked: true, reason: "disputes everything",
                                         context: ChangeContext(at: self.at("2026-02-08T10:00:01Z")))
        }
        let summary = try runner(config, store, asOf: "2026-02-08T10:00:00Z", transport: transport).run()
        XCTAssertEqual(summary.sent, 3, "the message on the wire when the block landed still went")
        XCTAssertEqual(summary.withdrawn, 9)
        XCTAssertEqual(outboxFiles().count, 3)
        XCTAssertEqual(try store.dispatches(in: [.withdrawn]).count, 9)
        XCTAssertNil(try store.verifyAudit())
    }

    func testWithNoOtherWriterTheTokenStaysPutThroughATicksOwnWrites() throws {
        let config = try config()
        let store = try store(config, invoices: ["INV-1", "INV-2"])
        let before = try store.othersChangeToken()
        XCTAssertEqual(try runner(config, store, asOf: "2026-02-08T10:00:00Z").run().sent, 2)
        XCTAssertEqual(try store.othersChangeToken(), before, "this store's own commits do not move it")
        let other = try SQLiteLedgerStore(path: config.daemon.database)
        try other.setClientBlocked("acme", blocked: true, reason: nil, context: ChangeContext(at: at("2026-02-08T11:00:00Z")))
        XCTAssertNotEqual(try store.othersChangeToken(), before, "another connection's commit does")
    }
}
