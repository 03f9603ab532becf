import Foundation
import XCTest
@testable import OverdueCore

final class MailThreadHeaderTests: XCTestCase {
    private func content(references: [String], suppress: Bool = true) throws -> MailContent {
        MailContent(from: try Mailbox(parsing: "Jane <billing@janedoe.example>"), to: [try Mailbox(address: "ap@acme.example")],
                    subject: "Reminder", date: Date(timeIntervalSince1970: 1_772_355_603), timeZone: TimeZone(identifier: "UTC")!,
                    messageID: "<new@janedoe.example>", text: "Hello\n", references: references, suppressAutoReplies: suppress)
    }

    private func dispatch(_ id: Int64, _ stage: String, _ state: DispatchState, action: Stage.Action = .email) -> Dispatch {
        Dispatch(id: id, invoiceNumber: "INV-7", stage: stage, action: action, localDate: LocalDate("2026-02-01")!,
                 queuedAt: Date(timeIntervalSince1970: 0), state: state, messageID: "<\(stage)@janedoe.example>")
    }

    func testReferencesListEarlierRemindersAndInReplyToTheLatest() throws {
        let message = try MessageBuilder.build(content(references: ["<a@janedoe.example>", "<b@janedoe.example>"]))
        let headers = message.headers
        XCTAssertEqual(headers.first { $0.0 == "References" }?.1, "<a@janedoe.example> <b@janedoe.example>")
        XCTAssertEqual(headers.first { $0.0 == "In-Reply-To" }?.1, "<b@janedoe.example>")
        XCTAssertEqual(headers.first { $0.0 == "X-Auto-Response-Suppress" }?.1, "OOF, AutoReply")
        XCTAssertFalse(headers.contains { ["list-unsubscribe", "precedence", "auto-submitted"].contains($0.0.lowercased()) })
    }

    func testAFirstReminderHasNoThreadHeadersAndOwnerMailNoSuppression() throws {
        let first = try MessageBuilder.build(content(references: []))
        XCTAssertFalse(first.headers.contains { $0.0 == "References" || $0.0 == "In-Reply-To" })
        XCTAssertTrue(first.headers.contains { $0.0 == "X-Auto-Response-Suppress" })
        let other = try MessageBuilder.build(content(references: [], suppress: false))
        XCTAssertFalse(other.headers.contains { $0.0 == "X-Auto-Response-Suppress" })
    }

    func testManyReferencesAreFoldedWithinSeventyEightOctetsAndKeptWhole() throws {
        let ids = (1...40).map { "<reminder-\($0).\(String(repeating: "f", count: 32))@janedoe.example>" }
        let message = try MessageBuilder.build(content(references: ids + [ids[3]]))
        let head = message.text.components(separatedBy: "\r\n\r\n")[0]
        for line in head.components(separatedBy: "\r\n") { XCTAssertLessThanOrEqual(line.utf8.count, 78, line) }
        XCTAssertEqual(message.headers.first { $0.0 == "References" }?.1, ids.joined(separator: " "), "duplicates dropped, order kept")
    }

    func testAReferenceThatIsNotAMessageIDIsRefused() throws {
        for bad in ["<a@x>\r\nBcc: evil@x.example", "no-brackets@x", "<spa ce@x>"] {
            XCTAssertThrowsError(try MessageBuilder.build(content(references: [bad]))) { error in
                XCTAssertEqual((error as? MessageError)?.field, "References")
            }
        }
    }

    func testThreadCountsSentAndAmbiguousClientEmailsBeforeThisStageOnly() {
        let context = InvoiceContext(
            invoice: Invoice(number: "INV-7", clientID: "acme", issueDate: LocalDate("2026-01-01")!, dueDate: LocalDate("2026-01-31")!,
                             amount: Money(minorUnits: 100, currency: Currency(code: "EUR")!),
                             paid: Money(minorUnits: 0, currency: Currency(code: "EUR")!)),
            client: Client(id: "acme", name: "Acme", emails: ["ap@acme.example"]),
            dispatches: [dispatch(1, "courtesy", .sent), dispatch(2, "friendly", .failed), dispatch(3, "reminder-7", .ambiguous),
                         dispatch(4, "reminder-14", .retrying), dispatch(5, "reminder-30", .sent), dispatch(6, "final", .queued),
                         dispatch(7, "hand-off", .sent, action: .escalate)])
        XCTAssertEqual(context.threadReferences(forStage: "final"),
                       ["<courtesy@janedoe.example>", "<reminder-7@janedoe.example>", "<reminder-30@janedoe.example>"])
        XCTAssertEqual(context.threadReferences(forStage: "reminder-7"), ["<courtesy@janedoe.example>"])
        XCTAssertEqual(context.threadReferences(forStage: "not-yet-dispatched").count, 3)
    }

    func testTheRenderedReminderCarriesTheThreadHeaders() throws {
        var fixture = try MailFixture()
        fixture.context.dispatches = [dispatch(1, "reminder-7", .sent)]
        let message = try fixture.message()
        XCTAssertEqual(message.headers.first { $0.0 == "In-Reply-To" }?.1, "<reminder-7@janedoe.example>")
        XCTAssertEqual(message.headers.first { $0.0 == "References" }?.1, "<reminder-7@janedoe.example>")
        XCTAssertEqual(message.headers.first { $0.0 == "X-Auto-Response-Suppress" }?.1, "OOF, AutoReply")
    }
}
