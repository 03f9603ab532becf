import Foundation
import OverdueCore
import OverdueTestSupport
import XCTest

/// `InboundRecord.apply`, the one implementation of what an inbox verdict does to the ledger
/// that the SQLite and PostgreSQL stores run.
final class InboxRulesTests: XCTestCase {
    let context = ChangeContext(at: Date(timeIntervalSince1970: 1_770_600_000))

    private func message(_ verdict: InboxVerdict, key: String = "<r1@acme.example>", from: String = "Jane <Jane@Acme.example>") -> InboundRecord {
        InboundRecord(key: key, uidValidity: 7, uid: 42, verdict: verdict, from: from, subject: "Re: INV-1",
                      date: Date(timeIntervalSince1970: 1_770_590_000), day: LocalDate("2026-02-08")!, excerpt: ["We paid."])
    }

    private func ledger() -> RulesLedger {
        let ledger = RulesLedger()
        ledger.clients["acme"] = Client(id: "acme", name: "Acme", emails: ["ap@acme.example", "Jane@Acme.example"])
        ledger.addInvoice("INV-1")
        ledger.addInvoice("INV-2", onHold: true)
        ledger.addInvoice("INV-3", status: .paid)
        return ledger
    }

    func testAReplyHoldsEachOpenInvoiceNotHeldYetAuditsEveryNamedOneAndClearsTheSendersBounce() throws {
        let ledger = ledger()
        ledger.failing["acme"] = ["jane@acme.example", "ap@acme.example"]
        var audit = RecordedAudit()
        let effect = try message(.reply(clientID: "acme", invoices: ["INV-1", "INV-2", "INV-3", "GONE"], byThread: true))
            .apply(to: ledger, audit: &audit, context: context)
        XCTAssertEqual(effect, InboundEffect(heldInvoices: ["INV-1"]))
        XCTAssertEqual(ledger.holds, ["INV-1": "client replied on 2026-02-08"])
        XCTAssertEqual(ledger.inbound["<r1@acme.example>"]?.kind, "reply")
        XCTAssertEqual(ledger.inbound["<r1@acme.example>"]?.note, "thread")
        XCTAssertEqual(ledger.failing["acme"], ["ap@acme.example"])
        XCTAssertEqual(audit.lines, ["INV-1", "INV-2", "INV-3"].map {
            #"reply.received \#($0) acme - {"from":"Jane <Jane@Acme.example>","date":"2026-02-08T22:33:20Z","subject":"Re: INV-1","message_id":"<r1@acme.example>","match":"thread","excerpt":["We paid."],"held":\#($0 == "INV-1")}"#
        })
    }

    func testABounceOfEveryAddressHoldsTheClientAndSaysNoneRemains() throws {
        let ledger = ledger()
        ledger.failing["acme"] = ["ap@acme.example"]
        var audit = RecordedAudit()
        let effect = try message(.bounce(clientID: "acme", invoice: "INV-1", addresses: ["JANE@acme.example"], status: "5.1.1",
                                         diagnostic: "no such user")).apply(to: ledger, audit: &audit, context: context)
        XCTAssertEqual(effect, InboundEffect(clientHeld: true, remainingAddresses: []))
        XCTAssertEqual(ledger.failing["acme"], ["ap@acme.example", "jane@acme.example"])
        XCTAssertEqual(ledger.holds["acme"], "every address bounced (ap@acme.example, Jane@Acme.example)")
        XCTAssertEqual(ledger.inbound["<r1@acme.example>"]?.note, "5.1.1 JANE@acme.example")
        XCTAssertEqual(audit.records.map(\.event), [.reminderBounced])
        XCTAssertTrue(audit.lines[0].hasSuffix(#""addresses":["JANE@acme.example"],"status":"5.1.1","diagnostic":"no such user","remaining":[],"client_held":true}"#))
    }

    func testABounceLeavingAnAddressHoldsNothingAndNamesWhatRemains() throws {
        let ledger = ledger()
        var audit = RecordedAudit()
        let effect = try message(.bounce(clientID: "acme", invoice: nil, addresses: ["ap@acme.example"], status: "5.1.1", diagnostic: nil))
            .apply(to: ledger, audit: &audit, context: context)
        XCTAssertEqual(effect, InboundEffect(clientHeld: false, remainingAddresses: ["Jane@Acme.example"]))
        XCTAssertTrue(ledger.holds.isEmpty)
    }

    func testABounceForAnUnknownClientIsADataError() throws {
        var audit = RecordedAudit()
        XCTAssertThrowsError(try message(.bounce(clientID: "nobody", invoice: nil, addresses: ["x@y.example"], status: "5.1.1",
                                                 diagnostic: nil)).apply(to: ledger(), audit: &audit, context: context)) {
            XCTAssertEqual($0 as? OverdueError, OverdueError(.dataError, "client nobody: not found"))
        }
    }

    func testAnAutoReplyIsShownWithoutAHoldAndDelayedOrIgnoredMailIsOnlyRecorded() throws {
        let ledger = ledger()
        var audit = RecordedAudit()
        XCTAssertEqual(try message(.autoReply(clientID: "acme", invoice: "INV-1"), key: "a").apply(to: ledger, audit: &audit, context: context),
                       InboundEffect())
        XCTAssertEqual(try message(.delayed(clientID: "acme", invoice: nil, addresses: ["ap@acme.example"], status: "4.4.1"), key: "d")
            .apply(to: ledger, audit: &audit, context: context), InboundEffect())
        XCTAssertEqual(try message(.ignored("not ours"), key: "i").apply(to: ledger, audit: &audit, context: context), InboundEffect())
        XCTAssertTrue(ledger.holds.isEmpty)
        XCTAssertEqual(audit.records.map(\.event), [.reminderAutoReply])
        XCTAssertEqual(ledger.inbound["d"]?.note, "4.4.1 ap@acme.example")
        XCTAssertEqual(ledger.inbound["i"]?.note, "not ours")
        XCTAssertEqual(ledger.inbound["i"]?.kind, "ignored")
    }

    func testAMessageRecordedBeforeDoesNothing() throws {
        let ledger = ledger()
        var audit = RecordedAudit()
        let reply = message(.reply(clientID: "acme", invoices: ["INV-1"], byThread: false))
        XCTAssertNotNil(try reply.apply(to: ledger, audit: &audit, context: context))
        ledger.invoices["INV-1"]?.onHold = false
        XCTAssertNil(try reply.apply(to: ledger, audit: &audit, context: context))
        XCTAssertEqual(ledger.invoices["INV-1"]?.onHold, false)
        XCTAssertEqual(audit.records.count, 1)
    }
}
