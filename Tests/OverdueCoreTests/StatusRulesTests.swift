import Foundation
import OverdueCore
import OverdueTestSupport
import XCTest

/// `StatusRules`, the one implementation of holds, blocks and invoice status moves that the
/// SQLite and PostgreSQL stores (and the runtime tests' memory ledger) run.
final class StatusRulesTests: XCTestCase {
    let context = ChangeContext(at: Date(timeIntervalSince1970: 1_770_600_000))

    private func ledger() -> RulesLedger {
        let ledger = RulesLedger()
        ledger.clients["acme"] = Client(id: "acme", name: "Acme", emails: ["ap@acme.example"])
        ledger.addInvoice("INV-1")
        return ledger
    }

    func testHoldingAnInvoiceTwiceWithTheSameReasonRecordsItOnceAndReleasingDropsTheReason() throws {
        let ledger = ledger()
        var audit = RecordedAudit()
        for _ in 0..<2 {
            try StatusRules.setInvoiceHold("INV-1", onHold: true, reason: "disputed", in: ledger, audit: &audit, context: context)
        }
        try StatusRules.setInvoiceHold("INV-1", onHold: false, reason: "settled", in: ledger, audit: &audit, context: context)
        XCTAssertEqual(ledger.invoices["INV-1"]?.onHold, false)
        XCTAssertNil(ledger.invoices["INV-1"]?.holdReason)
        XCTAssertEqual(audit.lines, [#"invoice.held INV-1 acme - {"reason":"disputed"}"#, #"invoice.released INV-1 acme - {"reason":"settled"}"#])
    }

    func testReleasingAClientForgetsItsBouncesEvenWhenItWasNotHeld() throws {
        let ledger = ledger()
        ledger.failing["acme"] = ["ap@acme.example"]
        var audit = RecordedAudit()
        try StatusRules.setClientHold("acme", onHold: false, reason: nil, in: ledger, audit: &audit, context: context)
        XCTAssertNil(ledger.failing["acme"])
        XCTAssertEqual(audit.records.count, 0, "nothing else changed, so nothing is recorded")
        try StatusRules.setClientHold("acme", onHold: true, reason: "talks", in: ledger, audit: &audit, context: context)
        try StatusRules.setClientBlocked("acme", blocked: true, reason: "lawyer", in: ledger, audit: &audit, context: context)
        try StatusRules.setClientBlocked("acme", blocked: true, reason: "lawyer", in: ledger, audit: &audit, context: context)
        XCTAssertEqual(audit.lines, [#"client.held - acme - {"reason":"talks"}"#, #"client.blocked - acme - {"reason":"lawyer"}"#])
        XCTAssertThrowsError(try StatusRules.setClientBlocked("nobody", blocked: true, reason: nil, in: ledger, audit: &audit,
                                                              context: context)) {
            XCTAssertEqual($0 as? OverdueError, OverdueError(.dataError, "client nobody: not found"))
        }
    }

    func testAnInvoiceMovesOnlyAlongTheAllowedStatusesAndOpenOrPaidCannotBeSetByHand() throws {
        let ledger = ledger()
        var audit = RecordedAudit()
        XCTAssertThrowsError(try StatusRules.statusChange("INV-1", to: .paid)) {
            XCTAssertEqual($0 as? OverdueError, OverdueError(.dataError, "invoice INV-1: cannot be set to paid by hand"))
        }
        try StatusRules.statusChange("INV-1", to: .writtenOff).apply(reason: "gone", in: ledger, audit: &audit, context: context)
        try StatusRules.statusChange("INV-1", to: .writtenOff).apply(reason: "again", in: ledger, audit: &audit, context: context)
        XCTAssertThrowsError(try StatusRules.statusChange("INV-1", to: .escalated).apply(reason: nil, in: ledger, audit: &audit,
                                                                                        context: context)) {
            XCTAssertEqual($0 as? OverdueError, OverdueError(.dataError, "invoice INV-1: is written_off; cannot become escalated"))
        }
        try StatusRules.statusChange("INV-1", to: .cancelled).apply(reason: nil, in: ledger, audit: &audit, context: context)
        XCTAssertEqual(ledger.invoices["INV-1"]?.status, .cancelled)
        XCTAssertEqual(audit.lines, [#"invoice.written_off INV-1 acme - {"from":"open","reason":"gone"}"#,
                                     #"invoice.cancelled INV-1 acme - {"from":"written_off","reason":null}"#])
    }
}
