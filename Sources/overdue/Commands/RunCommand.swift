import ArgumentParser
import Foundation
import OverdueCore
import OverdueRuntime

/// `overdue run`: the daemon, in the foreground, for systemd (`Type=notify`).
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon: a tick at start and every daemon.interval.",
        discussion: """
            Stays in the foreground and logs one line per event on stderr with syslog priority prefixes (<3> \
            error … <7> debug) for journald. SIGTERM/SIGINT: finish the message being sent, record it, exit \
            0. SIGHUP: reload the config; a config that does not load is refused (logged, audited as \
            config.rejected) and the running one kept. With $NOTIFY_SOCKET set it speaks the systemd notify \
            protocol (READY=1, STATUS=, RELOADING=1, STOPPING=1, and WATCHDOG=1 every half $WATCHDOG_USEC). \
            Exit 75 if another overdue is already sending from this ledger, 74 if the ledger is missing (it is \
            created only in an empty folder: the service's first start) or stops being the file on disk.
            """
    )
    @OptionGroup var options: ConfigOption
    @Option(name: .customLong("log-level"), help: "error, warning, notice, info or debug (default: $OVERDUE_LOG_LEVEL, else info).")
    var logLevel: String?

    func run() throws {
        try runReportingErrors {
            let log = try DaemonWiring.logger(logLevel)
            let path = options.path
            let config = try ConfigLoader.load(path: path)
            let store = try openLedger(config, creating: .onFirstStart)
            defer { store.close() }
            try checkStageHistory(config, store)
            let wiring = Daemon<SignalScheduler>.Wiring(
                loadConfig: {
                    let fresh = try ConfigLoader.load(path: path)
                    try checkStageHistory(fresh, store)
                    return fresh
                },
                makeRunner: { try DaemonWiring.makeRunner($0, store: store, asOf: nil, log: log) })
            let daemon = try Daemon(config: config, store: store, wiring: wiring, log: log, scheduler: SignalScheduler(),
                                    clock: commandClock)
            try daemon.run()
        }
    }
}
