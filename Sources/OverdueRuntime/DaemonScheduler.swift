import Dispatch
import Foundation
import Synchronization

/// What wakes the daemon between ticks besides the interval.
public enum DaemonEvent: Sendable, Equatable {
    /// Read the config again (SIGHUP).
    case reload
    /// Stop after the message being sent (SIGTERM, SIGINT).
    case stop(signal: Int32)
}

/// The daemon's time and wake-ups. The loop (`Daemon.serve`) asks only this for when it is and
/// for the next event, so a test drives interval, reload and stop on a clock it moves itself;
/// production uses `SignalScheduler` (a monotonic clock and real signals).
public protocol DaemonScheduler: AnyObject, Sendable {
    associatedtype Instant: InstantProtocol where Instant.Duration == Duration
    /// Monotonic: ticks are spaced on it, whatever the wall clock does.
    var instant: Instant { get }
    /// Starts delivering events; called once, after the sender lock is taken.
    func start()
    /// Blocks until an event arrives (returned) or `deadline` is reached (nil).
    func wait(until deadline: Instant) -> DaemonEvent?
    /// True from the moment a stop is asked for, before the loop sees the event: a running tick
    /// polls it between messages (from the tick's thread).
    var stopRequested: Bool { get }
}

/// The production scheduler: `ContinuousClock`, and SIGTERM, SIGINT and SIGHUP observed on a
/// queue of their own and handed to the loop, which blocks on a semaphore in between.
public final class SignalScheduler: DaemonScheduler {
    private let clock = ContinuousClock()
    private let events = Mutex<[DaemonEvent]>([])
    private let stopping = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private let sources = Mutex<[any DispatchSourceSignal]>([])
    private let queue = DispatchQueue(label: "overdue.signals")

    public init() {}

    public var instant: ContinuousClock.Instant { clock.now }

    public var stopRequested: Bool { stopping.load(ordering: .acquiring) }

    public func start() {
        for signo in [SIGTERM, SIGINT, SIGHUP] {
            // The default action would kill the process before Dispatch sees the signal.
            signal(signo, SIG_IGN)
            // Made inside the lock, so the source never leaves the Mutex that keeps it alive.
            sources.withLock { [queue] sources in
                let source = DispatchSource.makeSignalSource(signal: signo, queue: queue)
                source.setEventHandler { [weak self] in self?.post(signo == SIGHUP ? .reload : .stop(signal: signo)) }
                source.activate()
                sources.append(source)
            }
        }
    }

    /// Hands `event` to the loop; a stop is visible to a running tick at once.
    public func post(_ event: DaemonEvent) {
        if case .stop = event { stopping.store(true, ordering: .releasing) }
        events.withLock { $0.append(event) }
        wake.signal()
    }

    public func wait(until deadline: ContinuousClock.Instant) -> DaemonEvent? {
        while true {
            if let event = events.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return event }
            let left = clock.now.duration(to: deadline)
            guard left > .zero else { return nil }
            let (seconds, attoseconds) = left.components
            // Capped so the nanosecond count cannot overflow; the loop simply waits again.
            let nanoseconds = min(seconds, 86_400) * 1_000_000_000 + attoseconds / 1_000_000_000
            _ = wake.wait(timeout: .now() + .nanoseconds(Int(nanoseconds)))
        }
    }
}
