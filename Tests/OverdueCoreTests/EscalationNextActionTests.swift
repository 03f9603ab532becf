import Foundation
import OverdueCore
import XCTest

/// When the send window next opens, and when the planner will next act for an invoice (what
/// `status` lists and `plan`/`tick` say about reminders held by the window).
final class EscalationNextActionTests: XCTestCase {
    let berlin = Fixture.zone("Europe/Berlin")

    func opening(_ instant: String, _ window: SendWindow = Fixture.officeHours, zone: String = "Europe/Berlin") -> String? {
        window.nextOpening(after: Fixture.instant(instant), in: Fixture.zone(zone)).map(formatTimestamp)
    }

    func everyDay(_ start: String, _ end: String, holidays: [String] = []) -> SendWindow {
        SendWindow(days: Set(Weekday.allCases), start: LocalTime(hhmm: start)!, end: LocalTime(hhmm: end)!,
                   holidays: Set(holidays.map(Fixture.date)))
    }

    // MARK: SendWindow.nextOpening

    func testWindowClosedOnFridayEveningOpensOnMondayMorning() {
        XCTAssertEqual(opening("2026-12-04T17:00:00+01:00"), "2026-12-07T08:00:00Z")
    }

    func testOpenWindowIsOpenAtOnce() {
        XCTAssertEqual(opening("2026-12-07T10:15:00+01:00"), "2026-12-07T09:15:00Z")
    }

    func testBeforeTheStartTheWindowOpensTheSameDay() {
        XCTAssertEqual(opening("2026-12-07T00:00:00+01:00"), "2026-12-07T08:00:00Z")
    }

    func testHolidaysAreSkipped() {
        // Friday 25 December is a holiday, then the weekend.
        XCTAssertEqual(opening("2026-12-24T17:00:00+01:00"), "2026-12-28T08:00:00Z")
        let christmas = everyDay("09:00", "17:00", holidays: ["2026-12-25", "2026-12-26", "2026-12-27"])
        XCTAssertEqual(opening("2026-12-24T18:00:00+01:00", christmas), "2026-12-28T08:00:00Z")
    }

    func testOpeningFollowsTheOffsetInForceThatDay() {
        // Friday before spring forward (+01), Monday after (+02).
        XCTAssertEqual(opening("2026-03-27T18:00:00+01:00"), "2026-03-30T07:00:00Z")
    }

    func testStartInsideTheSpringForwardGapOpensWhenTheClockJumps() {
        // 29 March 2026: Berlin jumps from 02:00 to 03:00; a window from 02:30 opens at 03:00 CEST.
        XCTAssertEqual(opening("2026-03-29T00:00:00Z", everyDay("02:30", "05:00")), "2026-03-29T01:00:00Z")
    }

    func testWindowWhollyInsideTheGapDoesNotOpenThatDay() {
        XCTAssertEqual(opening("2026-03-29T00:00:00Z", everyDay("02:00", "02:45")), "2026-03-30T00:00:00Z")
    }

    func testStartInTheRepeatedHourOpensAtItsFirstOccurrence() {
        // 25 October 2026: 02:00-03:00 happens twice in Berlin; the first 02:30 is CEST (+02).
        XCTAssertEqual(opening("2026-10-24T22:00:00Z", everyDay("02:30", "05:00")), "2026-10-25T00:30:00Z")
    }

    func testWindowWithoutWeekdaysNeverOpens() {
        let never = SendWindow(days: [], start: LocalTime(hhmm: "09:00")!, end: LocalTime(hhmm: "17:00")!, holidays: [])
        XCTAssertNil(opening("2026-12-04T17:00:00+01:00", never))
    }

    func testWindowWaitSaysHowManyWaitAndWhenTheWindowOpensInLocalTime() {
        let at = Fixture.instant("2026-12-05T10:00:00+01:00")
        XCTAssertEqual(WindowWait(count: 3, window: Fixture.officeHours, after: at, in: berlin).sentence,
                       "3 reminders wait for the send window, which opens Mon 2026-12-07 09:00 Europe/Berlin")
        XCTAssertEqual(WindowWait(count: 1, window: Fixture.officeHours, after: at, in: Fixture.zone("America/New_York")).sentence,
                       "1 reminder waits for the send window, which opens Mon 2026-12-07 09:00 America/New_York")
    }

    // MARK: EscalationPlanner.nextAction

    func next(_ context: InvoiceContext, at instant: String, planner: EscalationPlanner = Fixture.planner())
        -> (at: String, line: PlanLine)? {
        planner.nextAction(context, from: Fixture.instant(instant)).map { (formatTimestamp($0.at), $0.line) }
    }

    func testDueNowIsThePlanLineNow() throws {
        let context = Fixture.context(due: "2026-03-04")
        let next = try XCTUnwrap(next(context, at: "2026-03-01"))
        XCTAssertEqual(next.at, "2026-03-01T11:00:00Z")
        XCTAssertEqual(next.line, Fixture.planner().plan(context, at: Fixture.instant("2026-03-01")))
    }

    func testReminderHeldByTheWindowIsNextWithTheSameStageWhenItOpens() throws {
        let planner = Fixture.planner(window: Fixture.officeHours)
        let context = Fixture.context(due: "2026-11-28")
        let saturday = "2026-12-05T10:00:00+01:00"
        assertLine(planner.plan(context, at: Fixture.instant(saturday)), stage: "friendly", action: .none, reason: .window)
        let next = try XCTUnwrap(next(context, at: saturday, planner: planner))
        XCTAssertEqual(next.at, "2026-12-07T08:00:00Z")
        assertLine(next.line, stage: "friendly", action: .email, days: 9, superseded: ["courtesy"])
    }

    func testMinimumGapIsNextAtMidnightOfTheDayItEnds() throws {
        let context = Fixture.context(dispatches: [Fixture.dispatch("friendly", on: "2026-03-19")])
        let next = try XCTUnwrap(next(context, at: "2026-03-20"))
        XCTAssertEqual(next.at, "2026-03-21T23:00:00Z")   // 22 March 00:00 CET
        assertLine(next.line, stage: "firm", action: .email, days: 21)
    }

    func testHandOffIsNextWhenTheNoticePeriodEnds() throws {
        let context = Fixture.context(due: "2026-01-01", dispatches: [Fixture.dispatch("final-notice", on: "2026-04-02")])
        let next = try XCTUnwrap(next(context, at: "2026-04-03"))
        XCTAssertEqual(next.at, "2026-04-15T22:00:00Z")   // 16 April 00:00 CEST
        assertLine(next.line, stage: "hand-off", action: .escalate)
    }

    func testNoticePeriodEndingOnAHolidayIsNextWhenTheWindowOpens() throws {
        // Final notice Friday 27 March; 14 days later is Friday 10 April, Good Friday in the holidays.
        let window = SendWindow(days: Fixture.officeHours.days, start: Fixture.officeHours.start, end: Fixture.officeHours.end,
                                holidays: [Fixture.date("2026-04-10")])
        let context = Fixture.context(due: "2026-01-01", dispatches: [Fixture.dispatch("final-notice", on: "2026-03-27")])
        let next = try XCTUnwrap(next(context, at: "2026-04-01", planner: Fixture.planner(window: window)))
        XCTAssertEqual(next.at, "2026-04-13T07:00:00Z")   // Monday 13 April 09:00 CEST
        assertLine(next.line, stage: "hand-off", action: .escalate)
    }

    func testNotYetDueInvoiceIsNextOnItsFirstStage() throws {
        let next = try XCTUnwrap(next(Fixture.context(due: "2026-03-10"), at: "2026-03-01"))
        XCTAssertEqual(next.at, "2026-03-06T23:00:00Z")   // 7 March 00:00 CET, three days before due
        assertLine(next.line, stage: "courtesy", action: .email, days: -3)
    }

    func testDoneInvoiceIsNextOnTheFollowingStage() throws {
        let context = Fixture.context(dispatches: [Fixture.dispatch("courtesy", on: "2026-02-26")])
        let next = try XCTUnwrap(next(context, at: "2026-03-02"))
        XCTAssertEqual(next.at, "2026-03-07T23:00:00Z")   // 8 March: day 7
        assertLine(next.line, stage: "friendly", action: .email, days: 7)
    }

    func testClosedHeldBlockedAndFinishedInvoicesHaveNoNextAction() {
        XCTAssertNil(next(Fixture.context(status: .paid), at: "2026-03-20"))
        XCTAssertNil(next(Fixture.context(onHold: true), at: "2026-03-20"))
        XCTAssertNil(next(Fixture.context(clientOnHold: true), at: "2026-03-20"))
        XCTAssertNil(next(Fixture.context(clientBlocked: true), at: "2026-03-20"))
        let finished = Fixture.context(dispatches: [Fixture.dispatch("write-off", on: "2026-06-29", state: .done, action: .writeOff)])
        XCTAssertNil(next(finished, at: "2027-01-01"))
    }

    func testHandOffWithoutAnyClientEmailHasNoNextAction() {
        let context = Fixture.context(due: "2026-01-01", dispatches: [Fixture.dispatch("hand-off", on: "2026-04-01", action: .escalate)])
        XCTAssertNil(next(context, at: "2026-05-02"))
    }
}
