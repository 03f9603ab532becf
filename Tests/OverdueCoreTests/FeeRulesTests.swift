import Foundation
import OverdueCore
import OverdueTestSupport
import XCTest

/// `FeeRules`, the one implementation of charging and waiving fees both ledger stores run.
final class FeeRulesTests: XCTestCase {
    let sentAt = ChangeContext(at: Date(timeIntervalSince1970: 1_770_600_000), asOf: Date(timeIntervalSince1970: 1_770_500_000))

    func testASentDispatchIsChargedItsQueuedFeeOnceDatedAsOfTheSendAndAudited() throws {
        let ledger = RulesLedger()
        ledger.addInvoice("INV-1", amount: 100_00, paid: 40_00)
        ledger.addDispatch(7, invoice: "INV-1", stage: "final", state: .sent, fee: 15_00)
        var audit = RecordedAudit()
        try FeeRules.chargeFees(forSent: [7, 7], in: ledger, audit: &audit, context: sentAt)
        XCTAssertEqual(ledger.fees.map(\.amount), [15_00])
        XCTAssertEqual(ledger.fees.first?.chargedAt, sentAt.asOf)
        XCTAssertEqual(ledger.invoiceUpdates["INV-1"], sentAt.at)
        XCTAssertEqual(ledger.invoices["INV-1"]?.fees.minorUnits, 15_00)
        XCTAssertEqual(audit.lines, [#"invoice.fee_charged INV-1 acme final {"amount":"15.00","currency":"EUR","balance":"75.00"}"#])
    }

    func testAPaidInvoiceAFeeLeavesOwingIsOpenAgainAndTheEntrySaysSo() throws {
        let ledger = RulesLedger()
        ledger.addInvoice("INV-1", amount: 100_00, paid: 100_00, status: .paid)
        ledger.addDispatch(7, invoice: "INV-1", stage: "final", state: .sent, fee: 5_00)
        var audit = RecordedAudit()
        try FeeRules.chargeFees(forSent: [7], in: ledger, audit: &audit, context: sentAt)
        XCTAssertEqual(ledger.invoices["INV-1"]?.status, .open)
        XCTAssertEqual(audit.lines.first?.hasSuffix(#""balance":"5.00","status":{"from":"paid","to":"open"}}"#), true)
    }

    func testADispatchNotSentOrWithoutAFeeIsNotCharged() throws {
        let ledger = RulesLedger()
        ledger.addInvoice("INV-1")
        ledger.addDispatch(1, invoice: "INV-1", stage: "a", state: .retrying, fee: 5_00)
        ledger.addDispatch(2, invoice: "INV-1", stage: "b", state: .sent, fee: 0)
        var audit = RecordedAudit()
        try FeeRules.chargeFees(forSent: [1, 2], in: ledger, audit: &audit, context: sentAt)
        XCTAssertTrue(ledger.fees.isEmpty)
        XCTAssertEqual(audit.records.count, 0)
    }

    func testWaivingTakesEveryUnwaivedFeeOffAndAnInvoiceOwingNothingBecomesPaid() throws {
        let ledger = RulesLedger()
        ledger.addInvoice("INV-1", amount: 100_00, paid: 100_00, fees: 20_00, status: .escalated)
        ledger.fees = [("INV-1", 1, "a", 5_00, sentAt.at, sentAt.at, nil), ("INV-1", 2, "b", 8_00, sentAt.at, nil, nil),
                       ("INV-1", 3, "c", 12_00, sentAt.at, nil, nil)]
        var audit = RecordedAudit()
        let (waived, invoice) = try FeeRules.waiveFees(invoice: "INV-1", reason: "goodwill", in: ledger, audit: &audit, context: sentAt)
        XCTAssertEqual(waived.minorUnits, 20_00)
        XCTAssertEqual(invoice.status, .paid)
        XCTAssertEqual(ledger.invoices["INV-1"]?.fees.minorUnits, 0)
        XCTAssertEqual(ledger.fees.map(\.reason), [nil, "goodwill", "goodwill"])
        XCTAssertEqual(audit.lines, [#"invoice.fee_waived INV-1 acme - {"amount":"20.00","currency":"EUR","stages":["b","c"],"reason":"goodwill","balance":"0.00","status":{"from":"escalated","to":"paid"}}"#])
    }

    func testACancelledInvoiceStaysCancelledWhenItsFeesAreWaived() throws {
        let ledger = RulesLedger()
        ledger.addInvoice("INV-1", amount: 100_00, paid: 100_00, fees: 5_00, status: .cancelled)
        ledger.fees = [("INV-1", 1, "a", 5_00, sentAt.at, nil, nil)]
        var audit = RecordedAudit()
        XCTAssertEqual(try FeeRules.waiveFees(invoice: "INV-1", reason: nil, in: ledger, audit: &audit, context: sentAt).invoice.status,
                       .cancelled)
    }

    func testNothingToWaiveIsADataErrorAndChangesNothing() throws {
        let ledger = RulesLedger()
        ledger.addInvoice("INV-1")
        var audit = RecordedAudit()
        XCTAssertThrowsError(try FeeRules.waiveFees(invoice: "INV-1", reason: nil, in: ledger, audit: &audit, context: sentAt)) {
            XCTAssertEqual(($0 as? OverdueError)?.message, "invoice INV-1: has no charged fees to waive")
            XCTAssertEqual(($0 as? OverdueError)?.exitCode, .dataError)
        }
        XCTAssertThrowsError(try FeeRules.waiveFees(invoice: "NOPE", reason: nil, in: ledger, audit: &audit, context: sentAt)) {
            XCTAssertEqual(($0 as? OverdueError)?.message, "invoice NOPE: not found")
        }
        XCTAssertNil(ledger.invoiceUpdates["INV-1"])
        XCTAssertEqual(audit.records.count, 0)
    }
}
