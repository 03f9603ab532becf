import Foundation
import OverdueCore
import XCTest

/// Every reason for doing nothing, alone and against each other reason (the first that applies wins).
final class EscalationSkipReasonTests: XCTestCase {
    /// Base: due 2026-03-01, planned Friday 2026-03-20 12:00 Berlin (day 19), friendly sent on
    /// 2026-03-08, so `firm` (fee 5.00) is due. Each reason is one change to this base;
    /// `notice-period` makes `firm` a hand-off, 12 days after that email.
    struct Scenario {
        var reasons: Set<SkipReason>

        var context: InvoiceContext {
            var dispatches = [Fixture.dispatch("friendly", on: reasons.contains(.minGap) ? "2026-03-19" : "2026-03-08")]
            if reasons.contains(.done) { dispatches.append(Fixture.dispatch("firm", on: "2026-03-15", fee: 500)) }
            // A sent firm reminder's fee was charged to the invoice.
            return Fixture.context(fees: reasons.contains(.done) ? "5.00" : "0", status: reasons.contains(.closed) ? .paid : .open,
                                   onHold: reasons.contains(.hold), clientOnHold: reasons.contains(.clientHold),
                                   clientBlocked: reasons.contains(.blocked), dispatches: dispatches)
        }

        var instant: Date {
            let date = reasons.contains(.notDue) ? "2026-02-20" : "2026-03-20"   // both Fridays
            let time = reasons.contains(.window) ? "20:00:00" : "12:00:00"
            return Fixture.instant("\(date)T\(time)+01:00")
        }

        func plan() -> PlanLine {
            let stages = reasons.contains(.noticePeriod)
                ? Fixture.ladder.map { $0.name == "firm" ? Stage(name: "firm", days: 14, action: .escalate, template: nil, subject: nil) : $0 }
                : Fixture.ladder
            return Fixture.planner(stages: stages, window: Fixture.officeHours).plan(context, at: instant)
        }
    }

    func testBaseScenarioSendsTheFirmReminder() {
        assertLine(Scenario(reasons: []).plan(), stage: "firm", action: .email, reason: nil, days: 19,
                   amountDue: "1205.00", to: ["ap@acme.example"])
    }

    func testEachReasonAlone() {
        let expectedStage: [SkipReason: String?] = [
            .closed: nil, .blocked: "firm", .clientHold: "firm", .hold: "firm",
            .notDue: nil, .done: nil, .noticePeriod: "firm", .minGap: "firm", .window: "firm",
        ]
        for reason in SkipReason.allCases {
            let line = Scenario(reasons: [reason]).plan()
            XCTAssertEqual(line.reason, reason, "\(reason)")
            XCTAssertEqual(line.action, PlanLine.Action.none, "\(reason)")
            XCTAssertEqual(line.stage, expectedStage[reason]!, "\(reason)")
            XCTAssertEqual(line.to, [], "\(reason)")
        }
    }

    func testEarlierReasonWinsOverEveryLaterOne() {
        let order = SkipReason.allCases
        XCTAssertEqual(order, [.closed, .blocked, .clientHold, .hold, .notDue, .done, .noticePeriod, .minGap, .window])
        for (i, first) in order.enumerated() {
            for second in order[(i + 1)...] {
                let line = Scenario(reasons: [first, second]).plan()
                XCTAssertEqual(line.reason, first, "\(first) + \(second) gave \(String(describing: line.reason))")
                XCTAssertEqual(line.action, PlanLine.Action.none)
            }
        }
    }

    func testAllReasonsTogetherGiveClosed() {
        XCTAssertEqual(Scenario(reasons: Set(SkipReason.allCases)).plan().reason, .closed)
    }

    func testEveryNonOpenStatusIsClosed() {
        for status in InvoiceStatus.allCases where status != .open {
            let line = Fixture.planner().plan(Fixture.context(status: status), at: Fixture.instant("2026-03-20"))
            assertLine(line, stage: nil, action: .none, reason: .closed, days: 19, to: [], superseded: [])
        }
    }

    func testFullyPaidOpenInvoiceIsClosed() {
        let line = Fixture.planner().plan(Fixture.context(amount: "100.00", paid: "100.00"), at: Fixture.instant("2026-03-20"))
        assertLine(line, stage: nil, action: .none, reason: .closed, amountDue: "0.00")
    }

    func testOverpaidOpenInvoiceIsClosed() {
        let line = Fixture.planner().plan(Fixture.context(amount: "100.00", paid: "100.01"), at: Fixture.instant("2026-03-20"))
        assertLine(line, stage: nil, action: .none, reason: .closed, amountDue: "-0.01")
    }

    func testClosedLineShowsChargedFeesButNoStageFee() {
        let context = Fixture.context(fees: "5.00", status: .paid, dispatches: [Fixture.dispatch("firm", on: "2026-03-15", fee: 500)])
        let line = Fixture.planner().plan(context, at: Fixture.instant("2026-05-01"))
        assertLine(line, stage: nil, action: .none, reason: .closed, amountDue: "1205.00")
        XCTAssertEqual(line.feeMinorUnits, 0)
    }

    func testSkippedLineWithADueStageIncludesThatStagesFee() {
        let line = Scenario(reasons: [.hold]).plan()
        assertLine(line, stage: "firm", action: .none, reason: .hold, amountDue: "1205.00")
        XCTAssertEqual(line.feeMinorUnits, 500)
    }

    func testBlockedWithoutADueStageHasNoStage() {
        let line = Scenario(reasons: [.blocked, .notDue]).plan()
        assertLine(line, stage: nil, action: .none, reason: .blocked, amountDue: "1200.00")
        let done = Scenario(reasons: [.hold, .done]).plan()
        assertLine(done, stage: nil, action: .none, reason: .hold, amountDue: "1205.00")
    }

    // MARK: min_days_between

    func testMinimumGapCountsLocalDates() {
        let planner = Fixture.planner(minDaysBetween: 3)
        func line(lastOn date: String, at instant: String) -> PlanLine {
            planner.plan(Fixture.context(dispatches: [Fixture.dispatch("friendly", on: date)]), at: Fixture.instant(instant))
        }
        assertLine(line(lastOn: "2026-03-17", at: "2026-03-20"), stage: "firm", action: .email)
        assertLine(line(lastOn: "2026-03-18", at: "2026-03-20"), stage: "firm", action: .none, reason: .minGap)
        assertLine(line(lastOn: "2026-03-20", at: "2026-03-20"), stage: "firm", action: .none, reason: .minGap)
        // 23:30 UTC on 19 March is already 20 March in Berlin: three local days after the 17th.
        assertLine(line(lastOn: "2026-03-17", at: "2026-03-19T23:30:00Z"), stage: "firm", action: .email)
        assertLine(line(lastOn: "2026-03-17", at: "2026-03-19T22:59:59Z"), stage: "firm", action: .none, reason: .minGap)
    }

    func testMinimumGapUsesTheMostRecentDispatchDate() {
        let context = Fixture.context(due: "2026-01-01", dispatches: [
            Fixture.dispatch("reminder-30", on: "2026-01-31"),
            Fixture.dispatch("friendly", on: "2026-03-01"),   // recorded out of order, but the latest date
        ])
        let line = Fixture.planner(minDaysBetween: 3).plan(context, at: Fixture.instant("2026-03-02"))
        assertLine(line, stage: "final-notice", action: .none, reason: .minGap)
    }

    func testZeroMinimumGapAllowsTwoStagesOnOneDay() {
        let context = Fixture.context(dispatches: [Fixture.dispatch("friendly", on: "2026-03-20")])
        let line = Fixture.planner(minDaysBetween: 0).plan(context, at: Fixture.instant("2026-03-20"))
        assertLine(line, stage: "firm", action: .email)
    }

    func testDispatchDatedAfterTheAsOfDateIsWithinTheGap() {
        // date(T) - date(last) is negative, which is less than any minimum.
        let context = Fixture.context(dispatches: [Fixture.dispatch("courtesy", on: "2026-03-25")])
        let line = Fixture.planner(minDaysBetween: 0).plan(context, at: Fixture.instant("2026-03-20"))
        assertLine(line, stage: "firm", action: .none, reason: .minGap)
    }

    // MARK: send window

    func window(at instant: String, _ window: SendWindow = Fixture.officeHours) -> PlanLine {
        Fixture.planner(window: window).plan(Fixture.context(due: "2026-01-01"), at: Fixture.instant(instant))
    }

    func testWindowStartIsInclusiveAndEndExclusive() {
        XCTAssertEqual(window(at: "2026-03-20T08:59:59+01:00").reason, .window)
        XCTAssertEqual(window(at: "2026-03-20T09:00:00+01:00").reason, nil)
        XCTAssertEqual(window(at: "2026-03-20T16:59:59+01:00").reason, nil)
        XCTAssertEqual(window(at: "2026-03-20T17:00:00+01:00").reason, .window)
    }

    func testWindowIsClosedAtWeekendsAndOnHolidays() {
        XCTAssertEqual(window(at: "2026-03-21T12:00:00+01:00").reason, .window)   // Saturday
        XCTAssertEqual(window(at: "2026-03-22T12:00:00+01:00").reason, .window)   // Sunday
        XCTAssertEqual(window(at: "2026-03-23T12:00:00+01:00").reason, nil)    // Monday
        XCTAssertEqual(window(at: "2026-12-25T12:00:00+01:00").reason, .window)   // Friday, holiday
        XCTAssertEqual(window(at: "2026-12-24T12:00:00+01:00").reason, nil)
    }

    func testWindowUsesLocalTimeAndWeekday() {
        // Friday 23:30 UTC is Saturday 00:30 in Berlin, and 08:30 UTC is 09:30 local.
        let allDay = SendWindow(days: [.fri], start: LocalTime(hhmm: "00:00")!, end: LocalTime(hhmm: "24:00")!, holidays: [])
        XCTAssertEqual(window(at: "2026-03-20T23:30:00Z", allDay).reason, .window)
        XCTAssertEqual(window(at: "2026-03-20T22:59:59Z", allDay).reason, nil)
        XCTAssertEqual(window(at: "2026-03-20T08:30:00Z").reason, nil)
        XCTAssertEqual(window(at: "2026-03-20T07:30:00Z").reason, .window)
        // After spring forward Berlin is +02: 07:30 UTC is 09:30 local.
        XCTAssertEqual(window(at: "2026-03-30T07:30:00Z").reason, nil)
    }

    func testNoWindowIsAlwaysOpen() {
        let line = Fixture.planner(window: nil).plan(Fixture.context(due: "2026-01-01"), at: Fixture.instant("2026-03-22T03:00:00Z"))
        XCTAssertEqual(line.action, .email)
    }
}
