import Foundation
import OverdueCore
import XCTest

/// The delivery lifecycle, every state against every event, and the decisions a tick carries out.
final class DeliveryLifecycleTests: XCTestCase {
    /// The whole table, written out: state -> (event -> next state). Anything not listed is illegal.
    private let table: [DispatchState: [DispatchEvent: DispatchState]] = [
        .queued: [.markSending: .sending, .withdrawn: .withdrawn, .carriedOut: .done, .failed: .failed],
        .retrying: [.markSending: .sending, .withdrawn: .withdrawn, .carriedOut: .done, .failed: .failed],
        .released: [.markSending: .sending, .withdrawn: .withdrawn, .carriedOut: .done, .failed: .failed],
        .sending: [.delivered: .sent, .deferred: .retrying, .failed: .failed, .lostInFlight: .ambiguous, .withdrawn: .withdrawn,
                   .putBack(to: .queued): .queued, .putBack(to: .retrying): .retrying, .putBack(to: .released): .released],
        .ambiguous: [.resolvedSent: .sent, .resolvedResend: .released],
        .failed: [.requeued: .released],
        .sent: [:], .done: [:], .withdrawn: [:],
    ]

    func testEveryStateAgainstEveryEventFollowsTheTable() {
        for state in DispatchState.allCases {
            let row = table[state]
            XCTAssertNotNil(row, "\(state) missing from the table")
            for event in DispatchEvent.all {
                XCTAssertEqual(state.applying(event), row?[event], "\(state) + \(event)")
            }
        }
    }

    func testNoStateMovesToItselfAboveAllSendingToSending() {
        for state in DispatchState.allCases {
            XCTAssertFalse(state.canMove(to: state), "\(state) -> \(state)")
        }
        XCTAssertNil(DispatchState.sending.applying(.markSending))
    }

    func testSentDoneAndWithdrawnAreFinalAndAmbiguousIsLeftOnlyByTheOwner() {
        for state in [DispatchState.sent, .done, .withdrawn] {
            XCTAssertTrue(DispatchState.allCases.allSatisfy { !state.canMove(to: $0) }, "\(state)")
        }
        let fromAmbiguous = DispatchEvent.all.filter { DispatchState.ambiguous.applying($0) != nil }
        XCTAssertEqual(fromAmbiguous, [.resolvedSent, .resolvedResend])
    }

    func testOnlyDueStatesAreMarkedSending() {
        XCTAssertEqual(DispatchState.allCases.filter { $0.applying(.markSending) != nil }, [.queued, .sending, .retrying, .released]
            .filter(\.isDue))
        XCTAssertEqual(DispatchState.allCases.filter(\.isDue), [.queued, .retrying, .released])
    }

    // MARK: Decisions

    private func dispatch(_ action: Stage.Action = .email) -> Dispatch { Fixture.dispatch("reminder-7", on: "2026-03-08", state: .queued, action: action) }

    func testASettledOrBlockedInvoiceIsWithdrawnBeforeAnyHoldOrWindow() {
        let cases: [(InvoiceContext, String)] = [
            (Fixture.context(paid: "1200.00", onHold: true), "the invoice is paid"),
            (Fixture.context(status: .cancelled, clientOnHold: true), "the invoice is cancelled"),
            (Fixture.context(status: .paid), "the invoice is paid"),
            (Fixture.context(status: .escalated), "the invoice is escalated"),
            (Fixture.context(clientBlocked: true), "client acme is blocked"),
        ]
        for (context, reason) in cases {
            XCTAssertEqual(DeliveryDecision.decide(dispatch(), context: context, windowOpen: false), .withdraw(reason: reason))
        }
        XCTAssertEqual(DeliveryDecision.decide(dispatch(), context: nil, windowOpen: true),
                       .withdraw(reason: "the invoice is no longer in the ledger"))
    }

    func testHoldsWaitInThePlannersOrderThenTheWindow() {
        XCTAssertEqual(DeliveryDecision.decide(dispatch(), context: Fixture.context(onHold: true, clientOnHold: true), windowOpen: false),
                       .wait(.clientHold))
        XCTAssertEqual(DeliveryDecision.decide(dispatch(), context: Fixture.context(onHold: true), windowOpen: false), .wait(.hold))
        XCTAssertEqual(DeliveryDecision.decide(dispatch(), context: Fixture.context(), windowOpen: false), .wait(.window))
        XCTAssertEqual(DeliveryDecision.decide(dispatch(), context: Fixture.context(), windowOpen: true), .send)
    }

    func testTheSendWindowHoldsBackAWriteOffAsThePlannerDoes() {
        XCTAssertEqual(DeliveryDecision.decide(dispatch(.writeOff), context: Fixture.context(), windowOpen: false), .wait(.window))
        XCTAssertEqual(DeliveryDecision.decide(dispatch(.writeOff), context: Fixture.context(), windowOpen: true), .carryOut)
        // The planner reports `window` for the same write-off.
        let planner = Fixture.planner(stages: [Fixture.email("reminder-7", 7),
                                               Stage(name: "off", days: 20, action: .writeOff, template: nil, subject: nil)],
                                      window: Fixture.officeHours)
        let context = Fixture.context(dispatches: [Fixture.dispatch("reminder-7", on: "2026-03-08")])
        XCTAssertEqual(planner.plan(context, at: Fixture.instant("2026-03-22")).reason, .window)   // a Sunday
    }

    func testAnEscalationStillReachesTheOwnerForAnEscalatedInvoiceAndAWriteOffForAWrittenOffOne() {
        XCTAssertEqual(DeliveryDecision.decide(dispatch(.escalate), context: Fixture.context(status: .escalated), windowOpen: true), .send)
        XCTAssertEqual(DeliveryDecision.decide(dispatch(.escalate), context: Fixture.context(clientBlocked: true), windowOpen: true), .send)
        XCTAssertEqual(DeliveryDecision.decide(dispatch(.writeOff), context: Fixture.context(status: .writtenOff), windowOpen: true), .carryOut)
        XCTAssertEqual(DeliveryDecision.decide(dispatch(.writeOff), context: Fixture.context(status: .cancelled), windowOpen: true),
                       .withdraw(reason: "the invoice is cancelled"))
    }

    func testEachDeliveryResultMeansOneVerdictAndOneEvent() {
        let cases: [(DeliveryResult, DeliveryVerdict, DispatchEvent)] = [
            (.delivered(reply: "250 ok"), .delivered(reply: "250 ok"), .delivered),
            (.permanent(code: 550, reply: "550 no"), .failed(reply: "550 no"), .failed),
            (.temporary(code: 450, reply: "450 busy"), .deferred(reply: "450 busy"), .deferred),
            (.unavailable(.connection, reply: "refused"), .serverProblem(reply: "refused"), .deferred),
            (.unavailable(.security, reply: "certificate"), .serverProblem(reply: "certificate"), .deferred),
            (.authenticationRefused(code: 535, reply: "535 no"), .serverProblem(reply: "535 no"), .deferred),
            (.ambiguous(reply: "dropped"), .ambiguous(reply: "dropped"), .lostInFlight),
        ]
        for (result, verdict, event) in cases {
            XCTAssertEqual(DeliveryVerdict(result), verdict)
            XCTAssertEqual(verdict.event, event)
            XCTAssertNotNil(DispatchState.sending.applying(event), "\(event) must be legal from sending")
        }
    }

    func testBatchesGrowAgainstAFastServerAndShrinkToOneAgainstASlowOne() {
        XCTAssertEqual(DeliveryBatching.nextSize(sent: 1, sendingSeconds: 0.0002, current: 1), DeliveryBatching.maxBatch)
        XCTAssertEqual(DeliveryBatching.nextSize(sent: 5, sendingSeconds: 0.1, current: 5), 2)
        XCTAssertEqual(DeliveryBatching.nextSize(sent: 1, sendingSeconds: 0.3, current: 2), 1)
        XCTAssertEqual(DeliveryBatching.nextSize(sent: 1, sendingSeconds: 1e-300, current: 1), DeliveryBatching.maxBatch)
        // A batch of withdrawn or held dispatches timed nothing: the size stays.
        XCTAssertEqual(DeliveryBatching.nextSize(sent: 0, sendingSeconds: 0, current: 37), 37)
    }
}
