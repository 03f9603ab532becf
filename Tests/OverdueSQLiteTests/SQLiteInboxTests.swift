import Foundation
import OverdueCore
import OverdueSQLite
import XCTest

/// The inbox's ledger side on a real SQLite file: one transaction per message, nothing done
/// twice, bounced addresses left out of planning until the owner releases the client.
final class SQLiteInboxTests: LedgerTestCase {
    private func record(_ key: String, _ verdict: InboxVerdict, from: String = "Anna <ap@acme.example>") -> InboundRecord {
        InboundRecord(key: key, uidValidity: 7, uid: 1, verdict: verdict, from: from, subject: "Re: INV-1",
                      date: t0, day: LocalDate("2026-03-02")!, excerpt: ["Paid."])
    }

    private func planningEmails(_ store: SQLiteLedgerStore, _ number: String) throws -> [String] {
        var found: [String] = []
        try store.forEachInvoiceContext { if $0.invoice.number == number { found = $0.client.emails } }
        XCTAssertEqual(try store.invoiceContext(number)?.client.emails, found)
        return found
    }

    func testAReplyHoldsItsOpenInvoiceOnceAndIsRecordedOnce() throws {
        let store = try openStore()
        defer { store.close() }
        _ = try store.importInvoices([row("INV-1"), row("INV-2", line: 3)], source: "t.csv", context: context())
        let reply = record("<r1@acme.example>", .reply(clientID: "acme", invoices: ["INV-1"], byThread: true))
        XCTAssertEqual(try store.recordInbound(reply, context: context(60)), InboundEffect(heldInvoices: ["INV-1"]))
        XCTAssertNil(try store.recordInbound(reply, context: context(120)))
        XCTAssertTrue(try store.inboundRecorded("<r1@acme.example>"))
        let invoice = try XCTUnwrap(try store.invoice("INV-1"))
        XCTAssertTrue(invoice.onHold)
        XCTAssertEqual(invoice.holdReason, "client replied on 2026-03-02")
        XCTAssertFalse(try XCTUnwrap(try store.invoice("INV-2")).onHold)
        XCTAssertEqual(try auditEvents(store, AuditFilter(event: "reply.received")), ["reply.received"])
        XCTAssertNil(try store.verifyAudit())
    }

    func testABounceLeavesTheAddressOutAndHoldsTheClientWhenNoneIsLeft() throws {
        let store = try openStore()
        defer { store.close() }
        _ = try store.importInvoices([row("INV-1", emails: ["ap@acme.example", "Boss@acme.example"])], source: "t.csv", context: context())
        let first = try store.recordInbound(record("<b1@mx>", .bounce(clientID: "acme", invoice: "INV-1", addresses: ["ap@acme.example"],
                                                                         status: "5.1.1", diagnostic: nil)), context: context(60))
        XCTAssertEqual(first, InboundEffect(clientHeld: false, remainingAddresses: ["Boss@acme.example"]))
        XCTAssertEqual(try planningEmails(store, "INV-1"), ["Boss@acme.example"])
        // The client's own record still lists both: `client show` shows what was imported.
        XCTAssertEqual(try store.client("acme")?.emails, ["ap@acme.example", "Boss@acme.example"])
        let second = try store.recordInbound(record("<b2@mx>", .bounce(clientID: "acme", invoice: "INV-1", addresses: ["boss@acme.example"],
                                                                          status: "5.1.1", diagnostic: nil)), context: context(120))
        XCTAssertEqual(second, InboundEffect(clientHeld: true, remainingAddresses: []))
        XCTAssertTrue(try XCTUnwrap(try store.client("acme")).onHold)
        XCTAssertEqual(try planningEmails(store, "INV-1"), [])
        try store.setClientHold("acme", onHold: false, reason: nil, context: context(180))
        XCTAssertEqual(try planningEmails(store, "INV-1"), ["ap@acme.example", "Boss@acme.example"])
    }

    func testIgnoredDelayedAndAutomaticMailHoldNothing() throws {
        let store = try openStore()
        defer { store.close() }
        _ = try store.importInvoices([row("INV-1")], source: "t.csv", context: context())
        for (key, verdict) in [("<i@x>", InboxVerdict.ignored("unrelated")),
                               ("<d@x>", .delayed(clientID: "acme", invoice: "INV-1", addresses: ["ap@acme.example"], status: "4.4.1")),
                               ("<a@x>", .autoReply(clientID: "acme", invoice: "INV-1"))] {
            XCTAssertEqual(try store.recordInbound(record(key, verdict), context: context(60)), InboundEffect())
        }
        XCTAssertFalse(try XCTUnwrap(try store.invoice("INV-1")).onHold)
        XCTAssertEqual(try planningEmails(store, "INV-1"), ["ap@acme.example"])
        XCTAssertEqual(try auditEvents(store, AuditFilter(event: "reminder.auto_reply")), ["reminder.auto_reply"])
    }

    func testFactsFindTheClientOfAnAddressWithItsOpenInvoices() throws {
        let store = try openStore()
        defer { store.close() }
        _ = try store.importInvoices([row("INV-1", emails: ["AP@acme.example"]), row("INV-2", status: .paid, line: 3, emails: ["AP@acme.example"])],
                                     source: "t.csv", context: context())
        let facts = try store.inboxFacts(messageIDs: ["<none@x>"], addresses: ["ap@acme.example", "p@acme.example"])
        XCTAssertEqual(facts.sent, [])
        XCTAssertEqual(facts.clients, ["ap@acme.example": ClientMail(clientID: "acme", emails: ["AP@acme.example"], openInvoices: ["INV-1"])])
    }
}
