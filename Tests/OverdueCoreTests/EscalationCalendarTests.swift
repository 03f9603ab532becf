import Foundation
import OverdueCore
import XCTest

/// Days are calendar days in `daemon.timezone`, whatever the UTC date, DST or leap years say.
final class EscalationCalendarTests: XCTestCase {
    func days(due: String, at instant: String, zone: String) -> Int {
        Fixture.planner(zone: zone).plan(Fixture.context(due: due), at: Fixture.instant(instant, zone: zone)).daysOverdue
    }

    func testAucklandIsAlreadyOnTheNextDayWhileUTCIsNot() {
        // 11:30 UTC on 1 March is 00:30 on 2 March in Auckland (NZDT, +13).
        XCTAssertEqual(days(due: "2026-03-01", at: "2026-03-01T11:30:00Z", zone: "Pacific/Auckland"), 1)
        XCTAssertEqual(days(due: "2026-03-01", at: "2026-03-01T10:59:59Z", zone: "Pacific/Auckland"), 0)
        XCTAssertEqual(days(due: "2026-03-01", at: "2026-03-01T11:30:00Z", zone: "UTC"), 0)
    }

    func testLosAngelesIsStillOnThePreviousDayWhileUTCIsNot() {
        // 07:30 UTC on 2 March is 23:30 on 1 March in Los Angeles (PST, -8).
        XCTAssertEqual(days(due: "2026-03-01", at: "2026-03-02T07:30:00Z", zone: "America/Los_Angeles"), 0)
        XCTAssertEqual(days(due: "2026-03-01", at: "2026-03-02T08:00:00Z", zone: "America/Los_Angeles"), 1)
        XCTAssertEqual(days(due: "2026-03-01", at: "2026-03-01T23:30:00Z", zone: "America/Los_Angeles"), 0)
    }

    func testStageBoundaryFollowsTheLocalDateNotTheUTCDate() {
        let planner = Fixture.planner(zone: "Pacific/Auckland")
        let context = Fixture.context(due: "2026-02-22", dispatches: [Fixture.dispatch("courtesy", on: "2026-02-19")])
        // 2026-02-28T11:00Z is 2026-03-01 00:00 in Auckland: day 7, friendly is due.
        let local = planner.plan(context, at: Fixture.instant("2026-02-28T11:00:00Z"))
        assertLine(local, stage: "friendly", action: .email, days: 7)
        let earlier = planner.plan(context, at: Fixture.instant("2026-02-28T10:59:59Z"))
        assertLine(earlier, stage: nil, action: .none, reason: .done, days: 6)
    }

    func testBerlinSpringForwardDayCountsAsOneDay() {
        // DST starts 2026-03-29 02:00 → 03:00 (23-hour day).
        XCTAssertEqual(days(due: "2026-03-28", at: "2026-03-28T22:59:59Z", zone: "Europe/Berlin"), 0)   // 23:59:59 +01
        XCTAssertEqual(days(due: "2026-03-28", at: "2026-03-28T23:30:00Z", zone: "Europe/Berlin"), 1)   // 00:30 +01
        XCTAssertEqual(days(due: "2026-03-28", at: "2026-03-29T21:59:59Z", zone: "Europe/Berlin"), 1)   // 23:59:59 +02
        XCTAssertEqual(days(due: "2026-03-28", at: "2026-03-29T22:00:00Z", zone: "Europe/Berlin"), 2)   // 00:00 +02
    }

    func testThirtyDayStageReachedJustAfterMidnightAcrossSpringForward() {
        // 22:15 UTC on 30 March is 00:15 on 31 March in Berlin (CEST): 30 days after 1 March.
        let line = Fixture.planner().plan(Fixture.context(due: "2026-03-01"), at: Fixture.instant("2026-03-30T22:15:00Z"))
        assertLine(line, stage: "reminder-30", action: .email, days: 30)
    }

    func testBerlinFallBackDayCountsAsOneDay() {
        // DST ends 2026-10-25 03:00 → 02:00 (25-hour day).
        XCTAssertEqual(days(due: "2026-10-24", at: "2026-10-24T22:00:00Z", zone: "Europe/Berlin"), 1)   // 00:00 +02
        XCTAssertEqual(days(due: "2026-10-24", at: "2026-10-25T22:30:00Z", zone: "Europe/Berlin"), 1)   // 23:30 +01
        XCTAssertEqual(days(due: "2026-10-24", at: "2026-10-25T23:30:00Z", zone: "Europe/Berlin"), 2)   // 00:30 +01
        XCTAssertEqual(days(due: "2026-09-25", at: "2026-10-25T23:00:00Z", zone: "Europe/Berlin"), 31)
    }

    func testSydneyAutumnFallBackInAprilCountsAsOneDay() {
        // DST ends 2026-04-05 03:00 → 02:00 (AEDT +11 → AEST +10).
        XCTAssertEqual(days(due: "2026-04-04", at: "2026-04-04T13:30:00Z", zone: "Australia/Sydney"), 1)   // 00:30 +11
        XCTAssertEqual(days(due: "2026-04-04", at: "2026-04-05T13:30:00Z", zone: "Australia/Sydney"), 1)   // 23:30 +10
        XCTAssertEqual(days(due: "2026-04-04", at: "2026-04-05T14:30:00Z", zone: "Australia/Sydney"), 2)   // 00:30 +10
        XCTAssertEqual(days(due: "2026-03-06", at: "2026-04-05T14:00:00Z", zone: "Australia/Sydney"), 31)
    }

    func testSydneySpringForwardInOctoberCountsAsOneDay() {
        // DST starts 2026-10-04 02:00 → 03:00 (AEST +10 → AEDT +11).
        XCTAssertEqual(days(due: "2026-10-03", at: "2026-10-03T13:30:00Z", zone: "Australia/Sydney"), 0)   // 23:30 +10
        XCTAssertEqual(days(due: "2026-10-03", at: "2026-10-03T14:30:00Z", zone: "Australia/Sydney"), 1)   // 00:30 +10
        XCTAssertEqual(days(due: "2026-10-03", at: "2026-10-04T12:59:59Z", zone: "Australia/Sydney"), 1)   // 23:59:59 +11
        XCTAssertEqual(days(due: "2026-10-03", at: "2026-10-04T13:00:00Z", zone: "Australia/Sydney"), 2)   // 00:00 +11
    }

    func testDateOnlyAsOfMeansNoonInTheConfiguredZone() {
        XCTAssertEqual(days(due: "2026-03-01", at: "2026-03-29", zone: "Europe/Berlin"), 28)
        XCTAssertEqual(days(due: "2026-03-01", at: "2026-03-31", zone: "Pacific/Auckland"), 30)
        XCTAssertEqual(days(due: "2026-03-01", at: "2026-03-31", zone: "America/Los_Angeles"), 30)
    }

    func testLeapDayDueDate() {
        XCTAssertEqual(days(due: "2028-02-29", at: "2028-03-01", zone: "Europe/Berlin"), 1)
        XCTAssertEqual(days(due: "2028-02-29", at: "2028-03-30", zone: "Europe/Berlin"), 30)
        XCTAssertEqual(days(due: "2028-02-28", at: "2028-03-01", zone: "Europe/Berlin"), 2)
        XCTAssertEqual(days(due: "2028-02-29", at: "2029-02-28", zone: "Europe/Berlin"), 365)
    }

    func testYear2100IsNotALeapYear() {
        XCTAssertNil(LocalDate("2100-02-29"))
        XCTAssertEqual(days(due: "2100-02-28", at: "2100-03-01", zone: "Europe/Berlin"), 1)
        XCTAssertEqual(days(due: "2000-02-28", at: "2000-03-01", zone: "Europe/Berlin"), 2)
    }

    func testDaysAreNegativeBeforeTheDueDate() {
        XCTAssertEqual(days(due: "2026-03-01", at: "2026-02-26", zone: "Europe/Berlin"), -3)
        XCTAssertEqual(days(due: "2027-01-01", at: "2026-12-31T23:30:00Z", zone: "Europe/Berlin"), 0)
        XCTAssertEqual(days(due: "2027-01-01", at: "2026-12-31T22:59:00Z", zone: "Europe/Berlin"), -1)
    }
}
