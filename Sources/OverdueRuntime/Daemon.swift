import Dispatch
import Foundation
import OverdueCore

/// `overdue run`: a tick at start and every `daemon.interval`, signals, and systemd notification.
///
/// Every tick, reload and the shutdown run on one serial queue, so ticks never overlap and a
/// reload or a stop never lands in the middle of a message. Signals are only observed on the
/// main queue and turned into work items for that serial queue. Between ticks nothing wakes
/// the process but the timer itself (and the systemd watchdog ping, when one is configured),
/// and after each tick the daemon gives back the heap the tick freed (`IdleMemory`).
public final class Daemon: @unchecked Sendable {
    /// What the daemon needs from the outside world; the CLI wires the concrete types.
    public struct Wiring {
        /// Reads and validates the config file again (SIGHUP).
        public var loadConfig: () throws -> Config
        /// A tick runner for a config: its composer (templates) and transport (SMTP settings).
        public var makeRunner: (Config) throws -> TickRunner

        public init(loadConfig: @escaping () throws -> Config, makeRunner: @escaping (Config) throws -> TickRunner) {
            self.loadConfig = loadConfig
            self.makeRunner = makeRunner
        }
    }

    // Confined to `queue` after start-up.
    private var config: Config
    private var runner: TickRunner
    private let store: any LedgerStore
    private let wiring: Wiring
    private let log: Logger
    private let notifier: SystemdNotifier
    private let clock: any WallClock
    private let queue = DispatchQueue(label: "overdue.daemon")
    private let stopFlag = StopFlag()
    private var timer: (any DispatchSourceTimer)?
    private var watchdogTimer: (any DispatchSourceTimer)?
    private var signalSources: [any DispatchSourceSignal] = []

    public init(config: Config, store: any LedgerStore, wiring: Wiring, log: Logger,
                notifier: SystemdNotifier = SystemdNotifier(), clock: any WallClock = SystemClock()) throws {
        self.config = config
        self.store = store
        self.wiring = wiring
        self.log = log
        self.notifier = notifier
        self.clock = clock
        self.runner = try wiring.makeRunner(config)
    }

    private var change: ChangeContext { ChangeContext(at: clock.now()) }

    /// Starts the daemon and never returns: the process exits 0 after SIGTERM/SIGINT, 74 when
    /// the ledger stops being the file on disk. It throws (the caller closes the ledger) only
    /// before the first tick, for instance 75 when another process is sending from the ledger.
    public func run() throws -> Never {
        try store.lockForSending()
        installSignalHandlers()
        runner.shouldStop = { [stopFlag] in stopFlag.isSet }
        try runner.recoverInterrupted()
        try store.setMeta(MetaKey.daemonPID, String(getpid()))
        try store.appendAudit([AuditRecord(.daemonStarted, details: [
            ("pid", .int(Int64(getpid()))), ("config", .string(config.path)), ("interval", .string(config.daemon.interval.text)),
        ])], context: change)
        log.notice("overdue started (pid \(getpid()), config \(config.path), tick every \(config.daemon.interval))")

        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.setEventHandler { [unowned self] in self.tick() }
        schedule(timer)
        timer.activate()
        self.timer = timer
        startWatchdog()
        notifier.ready()
        dispatchMain()
    }

    private func schedule(_ timer: any DispatchSourceTimer) {
        let interval = config.daemon.interval.seconds
        // Leeway lets the kernel batch the wake-up with others; a tick a few seconds late is harmless.
        let leeway = DispatchTimeInterval.milliseconds(min(max(interval * 10, 100), 5_000))
        timer.schedule(deadline: .now(), repeating: .seconds(interval), leeway: leeway)
    }

    private func tick() {
        guard !stopFlag.isSet else { return }
        let started = clock.now()
        let status: String
        do {
            try store.checkStillOnDisk()
            let summary = try runner.run()
            status = summary.text
        } catch {
            status = "last tick failed: \(error)"
            log.error("tick failed: \(error)")
            // A ledger that is no longer the file on disk cannot be written to usefully again.
            do {
                try store.checkStillOnDisk()
            } catch {
                stopOnDetachedLedger(error)
            }
        }
        let next = started.addingTimeInterval(TimeInterval(config.daemon.interval.seconds))
        try? store.setMeta(MetaKey.nextTickAt, formatTimestamp(next))
        notifier.status(status + "; next tick \(formatTimestamp(next))")
        IdleMemory.release()
    }

    // MARK: Signals

    private func installSignalHandlers() {
        for signo in [SIGTERM, SIGINT, SIGHUP] {
            // The default action would kill the process before Dispatch sees the signal.
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .main)
            source.setEventHandler { [unowned self] in
                if signo == SIGHUP { self.queue.async { self.reload() } } else { self.stop(signal: signo) }
            }
            source.activate()
            signalSources.append(source)
        }
    }

    /// The current message finishes (its outcome is recorded); the rest of the tick is left
    /// for the next start. Then the process exits 0.
    private func stop(signal signo: Int32) {
        guard !stopFlag.isSet else { return }
        stopFlag.set()
        notifier.stopping()
        log.notice("stopping on \(signo == SIGINT ? "SIGINT" : "SIGTERM")")
        queue.async { [unowned self] in
            timer?.cancel()
            do {
                try store.appendAudit([AuditRecord(.daemonStopped, details: [
                    ("pid", .int(Int64(getpid()))), ("signal", .string(signo == SIGINT ? "SIGINT" : "SIGTERM")),
                ])], context: change)
            } catch {
                log.error("could not record the stop in the audit trail: \(error)")
            }
            store.close()
            log.notice("overdue stopped")
            exit(0)
        }
    }

    /// Exit 74 after a check found the ledger detached: the database is closed first, which
    /// writes back into the file what this process had recorded.
    private func stopOnDetachedLedger(_ error: any Error) -> Never {
        stopFlag.set()
        notifier.stopping()
        timer?.cancel()
        log.error("stopping: \((error as? OverdueError)?.message ?? "\(error)")")
        store.close()
        exit(ExitCode.ioError.rawValue)
    }

    /// SIGHUP: a config that does not load, or that cannot be wired, is refused and the old one kept.
    private func reload() {
        guard !stopFlag.isSet else { return }
        notifier.reloading()
        defer { notifier.ready() }
        do {
            let fresh = try wiring.loadConfig()
            guard fresh.daemon.database == config.daemon.database else {
                throw OverdueError.config("\(fresh.path): daemon.database: changing the database needs a restart, not a reload")
            }
            let freshRunner = try wiring.makeRunner(fresh)
            freshRunner.shouldStop = { [stopFlag] in stopFlag.isSet }
            let intervalChanged = fresh.daemon.interval != config.daemon.interval
            config = fresh
            runner = freshRunner
            if intervalChanged, let timer { schedule(timer) }
            try store.appendAudit([AuditRecord(.configReloaded, details: [("config", .string(fresh.path))])], context: change)
            log.notice("config reloaded from \(fresh.path)")
        } catch {
            let line = (error as? OverdueError)?.message ?? "\(error)"
            log.error("config reload refused, keeping the running config: \(line)")
            do {
                try store.appendAudit([AuditRecord(.configRejected, details: [("error", .string(line))])], context: change)
            } catch {
                log.error("could not record the refused reload in the audit trail: \(error)")
            }
        }
    }

    // MARK: Watchdog

    private func startWatchdog() {
        guard let interval = notifier.watchdogInterval, notifier.isActive else { return }
        // Pinged from its own queue: a long tick (thousands of messages) must not get the
        // service killed; a hung process stops pinging all the same.
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "overdue.watchdog"))
        let half = max(interval / 2, 0.001)
        timer.schedule(deadline: .now(), repeating: half, leeway: .milliseconds(Int(half * 100)))
        timer.setEventHandler { [notifier] in notifier.watchdog() }
        timer.activate()
        watchdogTimer = timer
    }
}

/// Set once by a signal handler, read by the tick between messages.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
