import Foundation
import OverdueCore
import OverdueSQLite
import XCTest

final class SQLiteSentMessageTests: LedgerTestCase {
    /// A retry re-renders the message (its Date header): what is kept is the last attempt's bytes,
    /// the ones the server accepted, and `reminder.sent` states their SHA-256.
    func testTheBytesOfTheAttemptTheServerAcceptedAreKeptAndTheirDigestIsInReminderSent() throws {
        let store = try openStore()
        _ = try store.importInvoices([row("INV-1"), row("INV-2")], source: "a.csv", context: context())
        let id = try store.queue([newDispatch("INV-1", "s1")], context: context())[0].id
        let first = Array("Date: Mon, 2 Mar 2026 09:00:00 +0000\r\nMessage-ID: <m@x>\r\n\r\nhello\r\n".utf8)
        let second = Array("Date: Mon, 2 Mar 2026 09:05:00 +0000\r\nMessage-ID: <m@x>\r\n\r\nhello\r\n".utf8)
        try store.markSending([SendingMark(dispatchIDs: [id], messageID: "<m@x>", recipients: ["ap@acme.example"], data: first)],
                              context: context())
        try store.recordOutcome([id], .retry(at: Date(timeIntervalSince1970: 1_800_000_000), reply: "451 later"), context: context())
        XCTAssertEqual(try store.sentMessages(invoice: "INV-1"), [], "nothing is evidence of notice before the server accepts it")
        try store.markSending([SendingMark(dispatchIDs: [id], messageID: "<m@x>", recipients: ["ap@acme.example"], data: second)],
                              context: context())
        try store.recordOutcome([id], .sent(reply: "250 ok"), context: context())

        XCTAssertEqual(try store.sentMessages(invoice: "INV-1"), [SentMessage(messageID: "<m@x>", data: second, sha256: sha256Hex(second))])
        XCTAssertEqual(try store.sentMessages(invoice: "INV-2"), [])
        var entries: [AuditEntry] = []
        try store.auditEntries(AuditFilter(invoice: "INV-1", event: "reminder.sent")) { entries.append($0) }
        XCTAssertEqual(entries.map(\.detailsJSON),
                       [#"{"recipients":["ap@acme.example"],"message_id":"<m@x>","reply":"250 ok","sha256":"\#(sha256Hex(second))","attempts":2}"#])
    }
}
