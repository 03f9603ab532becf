import Foundation
import OverdueCore
import XCTest
@testable import OverdueRuntime

final class BackoffTests: XCTestCase {
    let policy = DeliveryPolicy(retry: ["5m", "30m", "2h", "8h"].compactMap(Interval.init), giveUpAfter: Interval("3d")!, minDaysBetween: 3)
    let queued = Date(timeIntervalSince1970: 1_772_000_000)

    func testEachFailureWaitsTheNextStepOfTheSchedule() {
        var t = queued
        let expected: [TimeInterval] = [300, 1800, 7200, 28_800]
        for (k, step) in expected.enumerated() {
            XCTAssertEqual(Backoff.decide(failures: k + 1, failedAt: t, queuedAt: queued, policy: policy), .retry(at: t + step))
            t += step
        }
    }

    func testAfterTheScheduleRunsOutTheLastStepRepeats() {
        let t = queued + 3600
        XCTAssertEqual(Backoff.decide(failures: 9, failedAt: t, queuedAt: queued, policy: policy), .retry(at: t + 28_800))
    }

    func testGivesUpOncePendingLongerThanGiveUpAfter() {
        let limit = queued + 3 * 86_400
        XCTAssertEqual(Backoff.decide(failures: 12, failedAt: limit, queuedAt: queued, policy: policy), .retry(at: limit + 28_800))
        XCTAssertEqual(Backoff.decide(failures: 13, failedAt: limit + 1, queuedAt: queued, policy: policy), .giveUp)
    }

    func testEmptyScheduleGivesUpAtTheFirstFailure() {
        let none = DeliveryPolicy(retry: [], giveUpAfter: Interval("3d")!, minDaysBetween: 0)
        XCTAssertEqual(Backoff.decide(failures: 1, failedAt: queued, queuedAt: queued, policy: none), .giveUp)
    }
}
