import Foundation
import XCTest
@testable import OverdueRuntime

/// The production scheduler: a real signal becomes an event, a stop is visible at once, and a
/// wait with nothing posted returns at its deadline.
final class SignalSchedulerTests: XCTestCase {
    func testARealSIGHUPWakesAWaitingLoopAsAReload() {
        let scheduler = SignalScheduler()
        scheduler.start()
        raise(SIGHUP)
        XCTAssertEqual(scheduler.wait(until: scheduler.instant.advanced(by: .seconds(10))), .reload)
        XCTAssertFalse(scheduler.stopRequested)
    }

    func testAStopIsSeenByARunningTickBeforeTheLoopTakesTheEvent() {
        let scheduler = SignalScheduler()
        scheduler.post(.stop(signal: SIGTERM))
        XCTAssertTrue(scheduler.stopRequested)
        XCTAssertEqual(scheduler.wait(until: scheduler.instant), .stop(signal: SIGTERM))
    }

    func testAWaitWithNothingPostedReturnsAtItsDeadline() {
        let scheduler = SignalScheduler()
        let start = scheduler.instant
        XCTAssertNil(scheduler.wait(until: start.advanced(by: .milliseconds(50))))
        XCTAssertGreaterThanOrEqual(start.duration(to: scheduler.instant), .milliseconds(50))
    }
}
