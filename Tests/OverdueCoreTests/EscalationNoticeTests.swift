import Foundation
import OverdueCore
import XCTest

/// Notice before a hand-off: an `escalate` or `write-off` stage happens only after an email to
/// the client, and `final_notice_days` local days after the last one.
final class EscalationNoticeTests: XCTestCase {
    let planner = Fixture.planner()

    // MARK: never a silent hand-off

    func testInvoiceImported91DaysLateGetsTheFinalNoticeNotTheHandOff() {
        let line = planner.plan(Fixture.context(due: "2026-01-01"), at: Fixture.instant("2026-04-02"))   // 91 days
        assertLine(line, stage: "final-notice", action: .email, days: 91, amountDue: "1240.00", to: ["ap@acme.example"],
                   superseded: ["courtesy", "friendly", "firm", "reminder-30"])
        XCTAssertEqual(line.feeMinorUnits, 4000)
    }

    func testInvoiceImported120DaysLateGetsTheFinalNoticeNotTheWriteOff() {
        let line = planner.plan(Fixture.context(due: "2026-01-01"), at: Fixture.instant("2026-05-02"))   // 121 days
        assertLine(line, stage: "final-notice", action: .email, days: 121,
                   superseded: ["courtesy", "friendly", "firm", "reminder-30"])
    }

    func testHandOffFollowsFinalNoticeDaysAfterTheLateFinalNotice() {
        let context = Fixture.context(due: "2026-01-01", dispatches: [Fixture.dispatch("final-notice", on: "2026-04-02", fee: 4000)])
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-15")), stage: "hand-off", action: .none,
                   reason: .noticePeriod, days: 104, to: [])
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-16")), stage: "hand-off", action: .escalate,
                   days: 105, to: ["jane@janedoe.example"], superseded: [])
    }

    func testWriteOffAfterALateEscalationAlsoWaitsForTheNotice() {
        // Final notice on day 100, the hand-off 14 days later; the write-off (day 120) is then
        // due on day 120 because the last client email is more than 14 days old.
        let context = Fixture.context(due: "2026-01-01", dispatches: [
            Fixture.dispatch("final-notice", on: "2026-04-11"), Fixture.dispatch("hand-off", on: "2026-04-25", action: .escalate),
        ])
        assertLine(planner.plan(context, at: Fixture.instant("2026-05-01")), stage: "write-off", action: .writeOff, days: 120)
    }

    func testWithoutAnyEmailStageAboveTheLadderPositionTheHandOffWaitsForNotice() {
        // A ledger from before the rule: escalated silently at 90 days, then the write-off is reached.
        let context = Fixture.context(due: "2026-01-01", dispatches: [Fixture.dispatch("hand-off", on: "2026-04-01", action: .escalate)])
        assertLine(planner.plan(context, at: Fixture.instant("2026-05-02")), stage: "write-off", action: .none,
                   reason: .noticePeriod, to: [], superseded: [])
    }

    func testWriteOffStageOfALadderWithoutEscalateAlsoGetsAnEmailFirst() {
        let stages = [Fixture.email("reminder", 7), Stage(name: "write-off", days: 30, action: .writeOff, template: nil, subject: nil)]
        let line = Fixture.planner(stages: stages).plan(Fixture.context(due: "2026-01-01"), at: Fixture.instant("2026-03-01"))
        assertLine(line, stage: "reminder", action: .email, days: 59, superseded: [])
    }

    func testAnyEarlierEmailIsNoticeEvenIfNotTheFinalOne() {
        // The spec asks for an email and the notice period, not for the final-notice stage.
        let context = Fixture.context(due: "2026-01-01", dispatches: [Fixture.dispatch("courtesy", on: "2025-12-29")])
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-02")), stage: "hand-off", action: .escalate,
                   superseded: ["friendly", "firm", "reminder-30", "final-notice"])
    }

    // MARK: which dispatches are an email to the client

    func testEveryStateOfAnEmailDispatchCountsAsNoticeFromTheDayItWasQueued() {
        for state in DispatchState.allCases {
            let context = Fixture.context(due: "2026-01-01", dispatches: [Fixture.dispatch("final-notice", on: "2026-03-20", state: state)])
            assertLine(planner.plan(context, at: Fixture.instant("2026-04-02")), stage: "hand-off", action: .none,
                       reason: .noticePeriod)
            assertLine(planner.plan(context, at: Fixture.instant("2026-04-03")), stage: "hand-off", action: .escalate)
        }
    }

    func testAnEmailOfAStageNoLongerConfiguredCountsAsNotice() {
        let context = Fixture.context(due: "2026-01-01", dispatches: [Fixture.dispatch("old-final", on: "2026-03-20")])
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-02")), stage: "hand-off", action: .none, reason: .noticePeriod)
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-03")), stage: "hand-off", action: .escalate,
                   superseded: ["courtesy", "friendly", "firm", "reminder-30", "final-notice"])
    }

    func testTheOwnersDecisionNoticeIsNotNoticeToTheClient() {
        let context = Fixture.context(due: "2026-01-01", dispatches: [
            Fixture.dispatch("final-notice", on: "2026-03-02"), Fixture.dispatch("hand-off", on: "2026-04-25", action: .escalate),
        ])
        // The last client email is the final notice of 2 March, not the decision notice of 25 April.
        assertLine(planner.plan(context, at: Fixture.instant("2026-05-01")), stage: "write-off", action: .writeOff)
    }

    func testTheLatestEmailDateCountsEvenWhenRecordedOutOfOrder() {
        let context = Fixture.context(due: "2026-01-01", dispatches: [
            Fixture.dispatch("final-notice", on: "2026-03-02"), Fixture.dispatch("firm", on: "2026-03-25"),
        ])
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-07")), stage: "hand-off", action: .none, reason: .noticePeriod)
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-08")), stage: "hand-off", action: .escalate)
    }

    // MARK: the period

    func testFinalNoticeDaysIsConfigurable() {
        let context = Fixture.context(due: "2026-01-01", dispatches: [Fixture.dispatch("final-notice", on: "2026-03-20")])
        let at = Fixture.instant("2026-04-09")   // 20 days after the final notice
        assertLine(Fixture.planner(finalNoticeDays: 21).plan(context, at: at), stage: "hand-off", action: .none, reason: .noticePeriod)
        assertLine(Fixture.planner(finalNoticeDays: 20).plan(context, at: at), stage: "hand-off", action: .escalate)
    }

    func testZeroFinalNoticeDaysAllowsTheHandOffOnTheDayOfTheEmail() {
        let context = Fixture.context(due: "2026-01-01", dispatches: [Fixture.dispatch("final-notice", on: "2026-04-02")])
        let line = Fixture.planner(minDaysBetween: 0, finalNoticeDays: 0).plan(context, at: Fixture.instant("2026-04-02"))
        assertLine(line, stage: "hand-off", action: .escalate)
    }

    func testEmailDatedAfterTheAsOfDateIsWithinTheNoticePeriod() {
        let context = Fixture.context(due: "2026-01-01", dispatches: [Fixture.dispatch("final-notice", on: "2026-04-20")])
        let line = Fixture.planner(minDaysBetween: 0, finalNoticeDays: 0).plan(context, at: Fixture.instant("2026-04-10"))
        assertLine(line, stage: "hand-off", action: .none, reason: .noticePeriod)
    }

    func testNoticePeriodCountsLocalDatesNotUTCDates() {
        let context = Fixture.context(due: "2026-01-01", dispatches: [Fixture.dispatch("final-notice", on: "2026-04-02")])
        // 21:59:59 UTC on 15 April is 23:59:59 on the 15th in Berlin (CEST): 13 days.
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-15T21:59:59Z")), stage: "hand-off", action: .none,
                   reason: .noticePeriod)
        // 22:00 UTC is already 16 April in Berlin: 14 days.
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-15T22:00:00Z")), stage: "hand-off", action: .escalate)
    }

    func testNoticePeriodAcrossSpringForwardIsCountedInCalendarDays() {
        // 14 local days from 20 March (CET) end on 3 April (CEST): one 23-hour day between.
        let context = Fixture.context(due: "2026-01-01", dispatches: [Fixture.dispatch("final-notice", on: "2026-03-20")])
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-02T21:59:59Z")), stage: "hand-off", action: .none,
                   reason: .noticePeriod)
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-02T22:00:00Z")), stage: "hand-off", action: .escalate)
    }

    func testNoticePeriodAcrossFallBackInAucklandIsCountedInCalendarDays() {
        // Auckland leaves daylight time on 5 April 2026 (+13 to +12); 14 local days from 1 April end on 15 April.
        let planner = Fixture.planner(zone: "Pacific/Auckland")
        let context = Fixture.context(due: "2026-01-01", dispatches: [Fixture.dispatch("final-notice", on: "2026-04-01")])
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-14T11:59:59Z")), stage: "hand-off", action: .none,
                   reason: .noticePeriod)   // 23:59:59 on the 14th (+12)
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-14T12:00:00Z")), stage: "hand-off", action: .escalate)
    }

    // MARK: against the other reasons

    func testNoticePeriodWinsOverMinimumGap() {
        let context = Fixture.context(due: "2026-01-01", dispatches: [Fixture.dispatch("final-notice", on: "2026-04-01")])
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-02")), stage: "hand-off", action: .none, reason: .noticePeriod)
    }

    func testMinimumGapLongerThanTheNoticePeriodStillHoldsTheHandOff() {
        let context = Fixture.context(due: "2026-01-01", dispatches: [Fixture.dispatch("final-notice", on: "2026-04-01")])
        let planner = Fixture.planner(minDaysBetween: 20, finalNoticeDays: 14)
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-15")), stage: "hand-off", action: .none, reason: .minGap)
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-21")), stage: "hand-off", action: .escalate)
    }

    func testTheFinalNoticeSentInsteadOfTheHandOffObeysTheMinimumGap() {
        // Only a dispatch without a client email so far: the final notice is due, but not within the gap.
        let context = Fixture.context(due: "2026-01-01", dispatches: [Fixture.dispatch("reminder-30", on: "2026-04-01", action: .escalate)])
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-02")), stage: "final-notice", action: .none, reason: .minGap)
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-04")), stage: "final-notice", action: .email)
    }

    func testNoticePeriodWinsOverAClosedWindow() {
        let planner = Fixture.planner(window: Fixture.officeHours)
        let context = Fixture.context(due: "2026-01-01", dispatches: [Fixture.dispatch("final-notice", on: "2026-03-30")])
        // Saturday 11 April: 12 days, window closed; the period decides.
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-11")), stage: "hand-off", action: .none, reason: .noticePeriod)
        // Monday 13 April 08:00, 14 days: the period is over, the window still closed.
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-13T08:00:00+02:00")), stage: "hand-off", action: .none,
                   reason: .window)
        assertLine(planner.plan(context, at: Fixture.instant("2026-04-13T09:00:00+02:00")), stage: "hand-off", action: .escalate)
    }

    func testNoticePeriodEndingOnAHolidayWaitsForTheNextOpenDay() {
        let planner = Fixture.planner(window: Fixture.officeHours)
        let context = Fixture.context(due: "2026-09-01", dispatches: [Fixture.dispatch("final-notice", on: "2026-12-11")])
        // 14 days after Friday 11 December is Friday 25 December, a holiday; the 28th is a Monday.
        assertLine(planner.plan(context, at: Fixture.instant("2026-12-24T12:00:00+01:00")), stage: "hand-off", action: .none,
                   reason: .noticePeriod)
        assertLine(planner.plan(context, at: Fixture.instant("2026-12-25T12:00:00+01:00")), stage: "hand-off", action: .none,
                   reason: .window)
        assertLine(planner.plan(context, at: Fixture.instant("2026-12-28T09:00:00+01:00")), stage: "hand-off", action: .escalate)
    }

    func testHoldAndDoneComeBeforeTheNoticePeriod() {
        let held = Fixture.context(due: "2026-01-01", onHold: true, dispatches: [Fixture.dispatch("final-notice", on: "2026-04-01")])
        assertLine(planner.plan(held, at: Fixture.instant("2026-04-02")), stage: "hand-off", action: .none, reason: .hold)
        let done = Fixture.context(due: "2026-01-01", dispatches: [Fixture.dispatch("hand-off", on: "2026-04-01", action: .escalate)])
        assertLine(planner.plan(done, at: Fixture.instant("2026-04-02")), stage: nil, action: .none, reason: .done)
    }
}
