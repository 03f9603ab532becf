import Foundation
import XCTest
@testable import OverdueRuntime

/// The production scheduler: a real signal becomes an event, a stop is visible at once, and a
/// wait with nothing posted returns at its deadline.
final class SignalSchedulerTests: XCTestCase {
    func testARealSIGHUPWakesAWaitingLoopAsAReload() {
        let scheduler = SignalScheduler()
        scheduler.start()
        // Dispatch registers a signal source asynchronously after `activate`: a signal raised
        // before that is ignored (SIG_IGN), so raise it until the loop sees one.
        let deadline = scheduler.instant.advanced(by: .seconds(10))
        var event: DaemonEvent?
        while event == nil, scheduler.instant < deadline {
            raise(SIGHUP)
            event = scheduler.wait(until: scheduler.instant.advanced(by: .milliseconds(100)))
        }
        XCTAssertEqual(event, .reload)
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
