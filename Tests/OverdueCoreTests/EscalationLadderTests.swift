import Foundation
import OverdueCore
import XCTest

/// Which stage is due: the highest reached stage above the last one dispatched.
final class EscalationLadderTests: XCTestCase {
    let planner = Fixture.planner()

    func testCourtesyNoteIsDueThreeDaysBeforeTheDueDate() {
        let line = planner.plan(Fixture.context(due: "2026-03-04"), at: Fixture.instant("2026-03-01"))
        assertLine(line, stage: "courtesy", action: .email, days: -3, amountDue: "1200.00",
                   to: ["ap@acme.example"], superseded: [])
    }

    func testNothingIsReachedTheDayBeforeTheFirstStage() {
        let line = planner.plan(Fixture.context(due: "2026-03-05"), at: Fixture.instant("2026-03-01"))
        assertLine(line, stage: nil, action: .none, reason: .notDue, days: -4, to: [])
    }

    func testStageIsReachedOnExactlyItsDay() {
        let before = planner.plan(Fixture.context(dispatches: [Fixture.dispatch("courtesy", on: "2026-02-26")]),
                                  at: Fixture.instant("2026-03-07"))
        assertLine(before, stage: nil, action: .none, reason: .done, days: 6)
        let on = planner.plan(Fixture.context(dispatches: [Fixture.dispatch("courtesy", on: "2026-02-26")]),
                              at: Fixture.instant("2026-03-08"))
        assertLine(on, stage: "friendly", action: .email, days: 7, superseded: [])
    }

    func testImportedLateInvoiceGetsOnlyTheLatestReachedStage() {
        let line = planner.plan(Fixture.context(due: "2026-01-15"), at: Fixture.instant("2026-03-01"))
        assertLine(line, stage: "reminder-30", action: .email, days: 45,
                   amountDue: "1200.00", superseded: ["courtesy", "friendly", "firm"])
        XCTAssertEqual(line.feeMinorUnits, 0)
    }

    func testSupersededStagesAreOnlyThoseAboveTheLastDispatch() {
        let context = Fixture.context(due: "2026-01-01", dispatches: [
            Fixture.dispatch("courtesy", on: "2025-12-29"),
            Fixture.dispatch("friendly", on: "2026-01-08", fee: 0),
        ])
        let line = planner.plan(context, at: Fixture.instant("2026-03-05"))   // 63 days
        assertLine(line, stage: "final-notice", action: .email, days: 63, superseded: ["firm", "reminder-30"])
    }

    func testNextStageFollowsTheLastDispatchedOne() {
        let context = Fixture.context(dispatches: [Fixture.dispatch("friendly", on: "2026-03-08")])
        let line = planner.plan(context, at: Fixture.instant("2026-03-15"))
        assertLine(line, stage: "firm", action: .email, days: 14, superseded: [])
    }

    func testEveryDispatchStateHoldsTheLadderPosition() {
        for state in DispatchState.allCases {
            let context = Fixture.context(dispatches: [Fixture.dispatch("firm", on: "2026-03-15", state: state)])
            let line = planner.plan(context, at: Fixture.instant("2026-03-25"))
            assertLine(line, stage: nil, action: .none, reason: .done, days: 24)
        }
    }

    func testLadderPositionIsTheHighestDispatchedStageNotTheMostRecent() {
        // An out-of-order history (the owner escalated by hand, then an older stage was recorded).
        let context = Fixture.context(dispatches: [
            Fixture.dispatch("reminder-30", on: "2026-03-31"),
            Fixture.dispatch("friendly", on: "2026-04-02"),
        ])
        let line = planner.plan(context, at: Fixture.instant("2026-04-20"))   // 50 days
        assertLine(line, stage: nil, action: .none, reason: .done, days: 50)
    }

    func testDispatchOfAStageNoLongerConfiguredDoesNotMoveTheLadder() {
        let context = Fixture.context(fees: "7.00", dispatches: [Fixture.dispatch("old-reminder", on: "2026-03-10", fee: 700)])
        let line = planner.plan(context, at: Fixture.instant("2026-03-20"))   // 19 days
        assertLine(line, stage: "firm", action: .email, days: 19,
                   amountDue: "1212.00", superseded: ["courtesy", "friendly"])
    }

    func testDispatchOfAStageNoLongerConfiguredStillCountsForTheMinimumGap() {
        let context = Fixture.context(dispatches: [Fixture.dispatch("old-reminder", on: "2026-03-19")])
        let line = planner.plan(context, at: Fixture.instant("2026-03-20"))
        assertLine(line, stage: "firm", action: .none, reason: .minGap)
    }

    func testEscalateStageAddressesTheOwner() {
        let context = Fixture.context(fees: "40.00", dispatches: [Fixture.dispatch("final-notice", on: "2026-04-30", fee: 4000)])
        let line = planner.plan(context, at: Fixture.instant("2026-05-30"))   // 90 days
        assertLine(line, stage: "hand-off", action: .escalate, days: 90, amountDue: "1240.00",
                   to: ["jane@janedoe.example"], superseded: [])
    }

    func testWriteOffStageHasNoRecipients() {
        let context = Fixture.context(dispatches: [Fixture.dispatch("final-notice", on: "2026-04-30"),
                                                   Fixture.dispatch("hand-off", on: "2026-05-30", action: .escalate)])
        let line = planner.plan(context, at: Fixture.instant("2026-06-29"))   // 120 days
        assertLine(line, stage: "write-off", action: .writeOff, days: 120, to: [], superseded: [])
    }

    func testAfterTheLastStageTheInvoiceIsDone() {
        let context = Fixture.context(dispatches: [Fixture.dispatch("write-off", on: "2026-06-29", state: .done,
                                                                    action: .writeOff)])
        let line = planner.plan(context, at: Fixture.instant("2027-06-29"))
        assertLine(line, stage: nil, action: .none, reason: .done, to: [], superseded: [])
    }

    func testEmailGoesToEveryClientAddress() {
        let context = Fixture.context(emails: ["ap@acme.example", "boss@acme.example"])
        let line = planner.plan(context, at: Fixture.instant("2026-03-08"))
        assertLine(line, stage: "friendly", action: .email, to: ["ap@acme.example", "boss@acme.example"],
                   superseded: ["courtesy"])
    }

    func testEmptyLadderIsNeverDue() {
        let line = Fixture.planner(stages: []).plan(Fixture.context(), at: Fixture.instant("2030-01-01"))
        assertLine(line, stage: nil, action: .none, reason: .notDue)
    }

    func testStagesGivenOutOfOrderAreSortedByDays() {
        let planner = Fixture.planner(stages: Fixture.ladder.reversed())
        let line = planner.plan(Fixture.context(due: "2026-01-15"), at: Fixture.instant("2026-03-01"))
        assertLine(line, stage: "reminder-30", action: .email, superseded: ["courtesy", "friendly", "firm"])
    }

    func testPlannerFromConfigUsesItsSettings() throws {
        let config = Config(
            path: "/etc/overdue/overdue.toml",
            daemon: DaemonSettings(interval: Interval("15m")!, timezone: Fixture.zone("Pacific/Auckland"),
                                   database: "/tmp/x.sqlite", templates: "/tmp/templates"),
            sendWindow: Fixture.officeHours,
            business: Business(name: "Jane", from: Fixture.owner, replyTo: nil,
                               owner: try Mailbox(address: "owner@janedoe.example"), paymentURL: nil, smallClaimsLimit: nil),
            smtp: SMTPSettings(url: "smtp://127.0.0.1:2525", starttls: .none, username: nil, password: nil,
                               caFile: nil, timeout: Interval("30s")!),
            delivery: DeliveryPolicy(retry: [], giveUpAfter: Interval("3d")!, minDaysBetween: 5, finalNoticeDays: 21),
            stages: Fixture.ladder)
        let planner = EscalationPlanner(config: config)
        XCTAssertEqual(planner.minDaysBetween, 5)
        XCTAssertEqual(planner.finalNoticeDays, 21)
        XCTAssertEqual(planner.owner.address, "owner@janedoe.example")
        XCTAssertEqual(planner.timeZone.identifier, "Pacific/Auckland")
        XCTAssertEqual(planner.sendWindow, Fixture.officeHours)
        XCTAssertEqual(planner.stages.map(\.name), Fixture.ladder.map(\.name))
    }
}
