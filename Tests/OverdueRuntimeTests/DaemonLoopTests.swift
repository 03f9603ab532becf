import Foundation
import OverdueCore
import Synchronization
import XCTest
@testable import OverdueRuntime

/// A scheduler on a clock the test moves: `wait(until:)` jumps to the deadline, or to the next
/// scripted event when that comes first. Also the wall clock the daemon and its ticks record.
final class TestScheduler: DaemonScheduler, WallClock {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct State {
        var elapsed: Duration = .zero
        var script: [(at: Duration, event: DaemonEvent)]
        var stopping = false
        var started = false
    }

    private let origin: Date
    private let state: Mutex<State>

    /// `events`: what happens when, counted from the start.
    init(origin: Date, events: [(at: Duration, event: DaemonEvent)]) {
        self.origin = origin
        state = Mutex(State(script: events.sorted { $0.at < $1.at }))
    }

    var instant: Instant { Instant(offset: state.withLock { $0.elapsed }) }
    var stopRequested: Bool { state.withLock { $0.stopping } }
    var started: Bool { state.withLock { $0.started } }

    func start() { state.withLock { $0.started = true } }

    func now() -> Date {
        let (seconds, attoseconds) = state.withLock { $0.elapsed }.components
        return origin.addingTimeInterval(Double(seconds) + Double(attoseconds) * 1e-18)
    }

    func wait(until deadline: Instant) -> DaemonEvent? {
        state.withLock { state in
            // A script that ran out stops the daemon rather than ticking forever.
            let next = state.script.first ?? (at: max(state.elapsed, deadline.offset), event: .stop(signal: SIGTERM))
            guard next.at <= deadline.offset else {
                state.elapsed = max(state.elapsed, deadline.offset)
                return nil
            }
            if !state.script.isEmpty { state.script.removeFirst() }
            state.elapsed = max(state.elapsed, next.at)
            if case .stop = next.event { state.stopping = true }
            return next.event
        }
    }
}

/// The daemon loop on a test clock: ticks at start and every interval, reload (SIGHUP) and stop
/// (SIGTERM) as events, a detached ledger; the ledger is `MemoryLedger`, mail the real file outbox.
final class DaemonLoopTests: TickTestCase {
    let start = "2026-02-08T10:00:00Z"

    func daemon(_ config: Config, _ ledger: MemoryLedger, _ scheduler: TestScheduler,
                reload: @escaping () throws -> Config = { throw OverdueError.config("no reload in this test") }) throws -> Daemon<TestScheduler> {
        let wiring = Daemon<TestScheduler>.Wiring(loadConfig: reload, makeRunner: { [unowned self] in
            try self.runner($0, ledger: ledger, clock: scheduler)
        })
        return try Daemon(config: config, store: ledger, wiring: wiring, log: Logger(threshold: .error), scheduler: scheduler,
                          notifier: SystemdNotifier(environment: [:]), clock: scheduler, pid: 4242)
    }

    /// When each tick started, in minutes after the start.
    func tickMinutes(_ ledger: MemoryLedger) throws -> [Double] {
        var minutes: [Double] = []
        try ledger.auditEntries(AuditFilter(event: "tick.started")) { minutes.append($0.at.timeIntervalSince(at(start)) / 60) }
        return minutes
    }

    func testTheDaemonTicksAtStartAndThenEveryIntervalUntilStopped() throws {
        let config = try config()
        let ledger = memoryLedger(invoices: ["INV-1"])
        let scheduler = TestScheduler(origin: at(start), events: [(at: .seconds(50 * 60), event: .stop(signal: SIGTERM))])
        XCTAssertEqual(try daemon(config, ledger, scheduler).serve(), 0)
        XCTAssertEqual(try tickMinutes(ledger), [0, 15, 30, 45])
        XCTAssertTrue(scheduler.started && ledger.lockedForSending)
        XCTAssertEqual(outboxFiles().count, 1, "the reminder goes out once, at the first tick")
        XCTAssertEqual(try ledger.meta(MetaKey.nextTickAt), formatTimestamp(at("2026-02-08T11:00:00Z")))
        XCTAssertEqual(try ledger.meta(MetaKey.daemonPID), "4242")
    }

    func testAStopRecordsWhichSignalAndClosesTheLedgerWithStatusZero() throws {
        let config = try config()
        let ledger = memoryLedger(invoices: [])
        let scheduler = TestScheduler(origin: at(start), events: [(at: .seconds(60), event: .stop(signal: SIGINT))])
        XCTAssertEqual(try daemon(config, ledger, scheduler).serve(), 0)
        XCTAssertEqual(ledger.events, ["daemon.started", "tick.started", "tick.finished", "daemon.stopped"])
        var signal: String?
        try ledger.auditEntries(AuditFilter(event: "daemon.stopped")) { signal = $0.detailsJSON }
        XCTAssertEqual(signal?.contains("\"SIGINT\""), true)
        XCTAssertTrue(ledger.closed)
        XCTAssertEqual(try tickMinutes(ledger), [0])
    }

    func testAReloadWithANewIntervalTicksAtOnceAndThenOnTheNewInterval() throws {
        let config = try config()
        let ledger = memoryLedger(invoices: [])
        let scheduler = TestScheduler(origin: at(start), events: [
            (at: .seconds(20 * 60), event: .reload), (at: .seconds(32 * 60), event: .stop(signal: SIGTERM)),
        ])
        let daemon = try daemon(config, ledger, scheduler, reload: { try self.config(interval: "5m") })
        XCTAssertEqual(try daemon.serve(), 0)
        XCTAssertEqual(try tickMinutes(ledger), [0, 15, 20, 25, 30])
        XCTAssertEqual(ledger.events.filter { $0.hasPrefix("config.") }, ["config.reloaded"])
    }

    func testARefusedReloadKeepsTheRunningConfigAndItsInterval() throws {
        let config = try config()
        let ledger = memoryLedger(invoices: [])
        let scheduler = TestScheduler(origin: at(start), events: [
            (at: .seconds(20 * 60), event: .reload), (at: .seconds(40 * 60), event: .stop(signal: SIGTERM)),
        ])
        XCTAssertEqual(try daemon(config, ledger, scheduler).serve(), 0)
        XCTAssertEqual(try tickMinutes(ledger), [0, 15, 30])
        XCTAssertEqual(ledger.events.filter { $0.hasPrefix("config.") }, ["config.rejected"])
    }

    func testAReloadWithTheSameIntervalKeepsTheTickSchedule() throws {
        let config = try config()
        let ledger = memoryLedger(invoices: [])
        let scheduler = TestScheduler(origin: at(start), events: [
            (at: .seconds(20 * 60), event: .reload), (at: .seconds(40 * 60), event: .stop(signal: SIGTERM)),
        ])
        XCTAssertEqual(try daemon(config, ledger, scheduler, reload: { try self.config() }).serve(), 0)
        XCTAssertEqual(try tickMinutes(ledger), [0, 15, 30])
        XCTAssertEqual(ledger.events.filter { $0.hasPrefix("config.") }, ["config.reloaded"])
    }

    func testALedgerNoLongerOnDiskStopsTheDaemonWithStatus74AndClosesIt() throws {
        let config = try config()
        let ledger = memoryLedger(invoices: [])
        let scheduler = TestScheduler(origin: at(start), events: [(at: .seconds(3600), event: .stop(signal: SIGTERM))])
        let daemon = try daemon(config, ledger, scheduler)
        ledger.detached = true
        XCTAssertEqual(try daemon.serve(), ExitCode.ioError.rawValue)
        XCTAssertTrue(ledger.closed)
        XCTAssertFalse(ledger.events.contains("tick.started"))
    }
}
