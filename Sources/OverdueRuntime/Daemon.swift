import Dispatch
import Foundation
import OverdueCore

/// `overdue run`: a tick at start and every `daemon.interval`, reloads and stops, and systemd
/// notification.
///
/// Ticks, reloads and the shutdown all run on the thread that calls `serve`, one after the
/// other, so ticks never overlap and a reload or a stop never lands in the middle of a message.
/// The loop learns the time and what happened (SIGHUP, SIGTERM) only from its `Scheduler`: the
/// production one turns signals into events, a test one moves its own clock. Between ticks
/// nothing wakes the process but the next tick's deadline, an event (and the systemd watchdog
/// ping, when one is configured), and after each tick the daemon gives back the heap the tick
/// freed (`IdleMemory`).
public final class Daemon<Scheduler: DaemonScheduler> {
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

    private var config: Config
    private var runner: TickRunner
    private let store: any Outbox & AuditLog & DaemonState
    private let wiring: Wiring
    private let log: Logger
    private let notifier: SystemdNotifier
    private let clock: any WallClock
    private let scheduler: Scheduler
    private let pid: Int32
    private var watchdogTimer: (any DispatchSourceTimer)?

    /// - Parameter clock: the time audit entries and `overdue status` state (the scheduler's
    ///   clock spaces the ticks).
    public init(config: Config, store: any Outbox & AuditLog & DaemonState, wiring: Wiring, log: Logger,
                scheduler: Scheduler, notifier: SystemdNotifier = SystemdNotifier(), clock: any WallClock = SystemClock(),
                pid: Int32 = getpid()) throws {
        self.config = config
        self.store = store
        self.wiring = wiring
        self.log = log
        self.scheduler = scheduler
        self.notifier = notifier
        self.clock = clock
        self.pid = pid
        self.runner = try wiring.makeRunner(config)
    }

    private var change: ChangeContext { ChangeContext(at: clock.now()) }

    /// Runs the daemon and never returns: the process exits 0 after SIGTERM/SIGINT, 74 when
    /// the ledger stops being the file on disk. It throws (the caller closes the ledger) only
    /// before the first tick, for instance 75 when another process is sending from the ledger.
    public func run() throws -> Never {
        exit(try serve())
    }

    /// The daemon until it stops, on the calling thread: returns the exit status (0 after a
    /// stop, 74 when the ledger is detached) with the ledger closed. Throws only before the
    /// first tick.
    public func serve() throws -> Int32 {
        try store.lockForSending()
        scheduler.start()
        runner.shouldStop = { [scheduler] in scheduler.stopRequested }
        try runner.recoverInterrupted()
        try store.setMeta(MetaKey.daemonPID, String(pid))
        try store.appendAudit([AuditRecord(.daemonStarted, details: [
            ("pid", .int(Int64(pid))), ("config", .string(config.path)), ("interval", .string(config.daemon.interval.text)),
        ])], context: change)
        log.notice("overdue started (pid \(pid), config \(config.path), tick every \(config.daemon.interval))")
        startWatchdog()
        defer { watchdogTimer?.cancel() }
        notifier.ready()

        var nextTick = scheduler.instant
        while true {
            switch scheduler.wait(until: nextTick) {
            case .reload?:
                // A new interval counts from now: the reloaded config ticks at once.
                if reload() { nextTick = scheduler.instant }
            case .stop(let signo)?:
                stop(signal: signo)
                return 0
            case nil:
                let started = scheduler.instant
                if let status = tick() { return status }
                // A tick longer than the interval is followed by the next one at once.
                nextTick = started.advanced(by: .seconds(config.daemon.interval.seconds))
            }
        }
    }

    /// One tick; returns an exit status when the daemon must stop (the ledger is detached).
    private func tick() -> Int32? {
        let started = clock.now()
        let status: String
        do {
            try store.checkStillOnDisk()
            // On a shared ledger, another daemon that died mid-send left its batch `sending`.
            try runner.recoverInterrupted()
            let summary = try runner.run()
            status = summary.text
        } catch {
            status = "last tick failed: \(error)"
            log.error("tick failed: \(error)")
            // A ledger that is no longer the file on disk cannot be written to usefully again.
            do {
                try store.checkStillOnDisk()
            } catch {
                return stopOnDetachedLedger(error)
            }
        }
        let next = started.addingTimeInterval(TimeInterval(config.daemon.interval.seconds))
        try? store.setMeta(MetaKey.nextTickAt, formatTimestamp(next))
        notifier.status(status + "; next tick \(formatTimestamp(next))")
        IdleMemory.release()
        return nil
    }

    // MARK: Stopping and reloading

    /// After a stop event: the message being sent when it came has finished (its outcome is
    /// recorded) and the rest of the tick is left for the next start.
    private func stop(signal signo: Int32) {
        notifier.stopping()
        let name = signo == SIGINT ? "SIGINT" : "SIGTERM"
        log.notice("stopping on \(name)")
        do {
            try store.appendAudit([AuditRecord(.daemonStopped, details: [
                ("pid", .int(Int64(pid))), ("signal", .string(name)),
            ])], context: change)
        } catch {
            log.error("could not record the stop in the audit trail: \(error)")
        }
        store.close()
        log.notice("overdue stopped")
    }

    /// Exit 74 after a check found the ledger detached: the database is closed first, which
    /// writes back into the file what this process had recorded.
    private func stopOnDetachedLedger(_ error: any Error) -> Int32 {
        notifier.stopping()
        log.error("stopping: \((error as? OverdueError)?.message ?? "\(error)")")
        store.close()
        return ExitCode.ioError.rawValue
    }

    /// SIGHUP: a config that does not load, or that cannot be wired, is refused and the old one
    /// kept. Returns whether the interval changed.
    private func reload() -> Bool {
        notifier.reloading()
        defer { notifier.ready() }
        do {
            let fresh = try wiring.loadConfig()
            guard fresh.daemon.database == config.daemon.database else {
                throw OverdueError.config("\(fresh.path): daemon.database: changing the database needs a restart, not a reload")
            }
            let freshRunner = try wiring.makeRunner(fresh)
            freshRunner.shouldStop = { [scheduler] in scheduler.stopRequested }
            let intervalChanged = fresh.daemon.interval != config.daemon.interval
            config = fresh
            runner = freshRunner
            try store.appendAudit([AuditRecord(.configReloaded, details: [("config", .string(fresh.path))])], context: change)
            log.notice("config reloaded from \(fresh.path)")
            return intervalChanged
        } catch {
            let line = (error as? OverdueError)?.message ?? "\(error)"
            log.error("config reload refused, keeping the running config: \(line)")
            do {
                try store.appendAudit([AuditRecord(.configRejected, details: [("error", .string(line))])], context: change)
            } catch {
                log.error("could not record the refused reload in the audit trail: \(error)")
            }
            return false
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
