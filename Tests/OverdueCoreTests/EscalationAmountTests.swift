import Foundation
import OverdueCore
import XCTest

/// `amount_due`: the balance (amount + fees charged − paid) + this stage's fee, in exact minor
/// units. A fee a dispatch recorded is owed only once it was charged (its message was sent).
final class EscalationAmountTests: XCTestCase {
    func testChargedFeesAreInTheAmountDue() {
        let context = Fixture.context(due: "2026-01-01", fees: "45.00", dispatches: [
            Fixture.dispatch("firm", on: "2026-01-15", fee: 500),
            Fixture.dispatch("final-notice", on: "2026-03-02", fee: 4000),
        ])
        let line = Fixture.planner().plan(context, at: Fixture.instant("2026-04-01"))   // 90 days
        assertLine(line, stage: "hand-off", action: .escalate, amountDue: "1245.00")
        XCTAssertEqual(line.feeMinorUnits, 0)
    }

    func testFeesDispatchesStatedButTheLedgerNeverChargedAreNotAsked() {
        // Both messages failed: their fees were never charged, so nobody owes them.
        let context = Fixture.context(due: "2026-01-01", dispatches: [
            Fixture.dispatch("firm", on: "2026-01-15", fee: 500, state: .failed),
            Fixture.dispatch("final-notice", on: "2026-03-02", fee: 4000, state: .failed),
        ])
        let line = Fixture.planner().plan(context, at: Fixture.instant("2026-04-01"))
        assertLine(line, stage: "hand-off", action: .escalate, amountDue: "1200.00")
    }

    func testDueStageFeeIsAddedToTheBalanceAndReported() {
        let context = Fixture.context(due: "2026-01-01", fees: "5.00", dispatches: [Fixture.dispatch("firm", on: "2026-01-15", fee: 500)])
        let line = Fixture.planner().plan(context, at: Fixture.instant("2026-03-02"))   // 60 days
        assertLine(line, stage: "final-notice", action: .email, amountDue: "1245.00", superseded: ["reminder-30"])
        XCTAssertEqual(line.feeMinorUnits, 4000)
    }

    func testTheChargedFeeIsUsedNotTheCurrentConfig() {
        // The fee was 7.00 when firm went out and was charged; the config now says 5.00.
        let context = Fixture.context(fees: "7.00", dispatches: [Fixture.dispatch("firm", on: "2026-03-15", fee: 700)])
        let line = Fixture.planner().plan(context, at: Fixture.instant("2026-03-31"))
        assertLine(line, stage: "reminder-30", action: .email, amountDue: "1207.00")
    }

    func testAnInvoiceWhoseOnlyDebtIsAChargedFeeIsStillOpen() {
        let context = Fixture.context(due: "2026-01-01", amount: "850.00", paid: "850.00", fees: "15.00",
                                      dispatches: [Fixture.dispatch("firm", on: "2026-01-15", fee: 1500)])
        let line = Fixture.planner().plan(context, at: Fixture.instant("2026-01-31"))
        assertLine(line, stage: "reminder-30", action: .email, amountDue: "15.00")
    }

    func testAnInvoiceWhoseFeeWasPaidIsClosedAtZero() {
        let context = Fixture.context(due: "2026-01-01", amount: "850.00", paid: "865.00", fees: "15.00",
                                      dispatches: [Fixture.dispatch("firm", on: "2026-01-15", fee: 1500)])
        let line = Fixture.planner().plan(context, at: Fixture.instant("2026-01-31"))
        assertLine(line, stage: nil, action: .none, reason: .closed, amountDue: "0.00")
    }

    func testTheAmountDueSaturatesInsteadOfWrapping() {
        let euro = Currency(code: "EUR")!
        let invoice = Invoice(number: "INV-1", clientID: "acme", issueDate: Fixture.date("2026-01-01"), dueDate: Fixture.date("2026-01-01"),
                              amount: Money(minorUnits: .max - 10, currency: euro), paid: Money(minorUnits: 0, currency: euro),
                              fees: Money(minorUnits: 5, currency: euro))
        XCTAssertEqual(invoice.amountDue(stageFeeMinorUnits: 4000).minorUnits, .max)
        let context = InvoiceContext(invoice: invoice, client: Client(id: "acme", name: "Acme", emails: ["ap@acme.example"]),
                                     dispatches: [])
        let line = Fixture.planner().plan(context, at: Fixture.instant("2026-03-02"))
        XCTAssertEqual(line.amountDue.minorUnits, .max)
    }

    func testSupersededStageFeesAreNotCharged() {
        let line = Fixture.planner().plan(Fixture.context(due: "2026-01-01"), at: Fixture.instant("2026-03-02"))
        assertLine(line, stage: "final-notice", action: .email, amountDue: "1240.00",
                   superseded: ["courtesy", "friendly", "firm", "reminder-30"])
    }

    func testPartialPaymentsReduceTheBalance() {
        let context = Fixture.context(amount: "1200.00", paid: "200.50")
        let line = Fixture.planner().plan(context, at: Fixture.instant("2026-03-15"))
        assertLine(line, stage: "firm", action: .email, amountDue: "1004.50")
    }

    func testZeroDigitCurrencyFee() {
        let context = Fixture.context(amount: "120000", paid: "20000", currency: "JPY")
        let line = Fixture.planner().plan(context, at: Fixture.instant("2026-03-15"))
        assertLine(line, stage: "firm", action: .email, amountDue: "100005")
        XCTAssertEqual(line.amountDue.currency.code, "JPY")
        XCTAssertEqual(line.feeMinorUnits, 5)
    }

    func testThreeDigitCurrencyFee() {
        let context = Fixture.context(amount: "12.500", paid: "0.250", currency: "KWD")
        let line = Fixture.planner().plan(context, at: Fixture.instant("2026-03-15"))
        assertLine(line, stage: "firm", action: .email, amountDue: "17.250")
        XCTAssertEqual(line.feeMinorUnits, 5000)
    }

    func testAnInvoiceInACurrencyWithoutAFeeIsChargedNone() {
        let context = Fixture.context(amount: "1200.00", currency: "GBP")
        let line = Fixture.planner().plan(context, at: Fixture.instant("2026-03-15"))
        assertLine(line, stage: "firm", action: .email, amountDue: "1200.00")
        XCTAssertEqual(line.feeMinorUnits, 0)
    }

    func testEachCurrencyIsChargedItsOwnFee() {
        let stages = [Fixture.email("late", 1, fees: ["40.50 EUR", "6000 JPY"])]
        let yen = Fixture.planner(stages: stages).plan(Fixture.context(amount: "1000", currency: "JPY"),
                                                       at: Fixture.instant("2026-03-05"))
        assertLine(yen, stage: "late", action: .email, amountDue: "7000")
        XCTAssertEqual(yen.feeMinorUnits, 6000)
        let euro = Fixture.planner(stages: stages).plan(Fixture.context(amount: "1000.00", currency: "EUR"),
                                                        at: Fixture.instant("2026-03-05"))
        assertLine(euro, stage: "late", action: .email, amountDue: "1040.50")
    }
}
