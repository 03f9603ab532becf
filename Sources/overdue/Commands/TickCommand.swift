import ArgumentParser
import Foundation
import OverdueCore
import OverdueIMAP
import OverduePostgres
import OverdueRuntime
import OverdueSMTP

/// `overdue tick`: one tick, then exit (for cron users and tests).
struct TickCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tick",
        abstract: "Run one tick: plan, send what is due, record everything, then exit.",
        usage: "overdue tick [--as-of <T>] [--dry-run] [--log-level <level>]\n    [--config <PATH>]",
        discussion: """
            Plans every invoice at the tick's instant, records every dispatch it will make in one \
            transaction, then sends what is due inside the send window (new reminders, retries whose time \
            has come, and dispatches released with `invoice resolve --resend`) and records each outcome. A \
            dispatch left in flight by a crash is marked ambiguous and not resent. Prints a one-line \
            summary, saying how many reminders wait for the send window and when it opens. Exit 75 if another overdue (the daemon) is sending.
            """
    )
    @OptionGroup var options: ConfigOption
    @OptionGroup var asOf: AsOfOption
    @Flag(name: .customLong("dry-run"), help: "Print what would be queued and sent; record and send nothing.")
    var dryRun = false
    @Option(name: .customLong("log-level"), help: "error, warning, notice, info or debug (default: $OVERDUE_LOG_LEVEL, else info).")
    var logLevel: String?

    func run() throws {
        try runReportingErrors {
            let log = try DaemonWiring.logger(logLevel)
            let config = try loadConfig(options)
            let context = try asOf.context(in: config)
            let instant = context.asOf
            let store = try openLedger(config)
            defer { store.close() }
            try checkStageHistory(config, store)
            if dryRun {
                let preview = try TickRunner.preview(config: config, store: store, at: context.effectiveNow)
                let out = Output()
                for line in DaemonWiring.describe(preview) { out.line(line) }
                out.flush()
                return
            }
            try store.lockForSending()
            let runner = try DaemonWiring.makeRunner(config, store: store, asOf: instant, log: log)
            try runner.recoverInterrupted()
            let summary = try runner.run()
            print(summary.text)
        }
    }
}

/// How the daemon commands put the runtime together with the concrete edges.
enum DaemonWiring {
    static let messageIDSecretKey = "mail.message_id_secret"

    static func logger(_ flag: String?) throws -> Logger {
        guard let flag else { return Logger.fromEnvironment() }
        guard let level = LogLevel(name: flag) else {
            throw OverdueError.usage("--log-level: \"\(flag)\" is not one of error, warning, notice, info, debug")
        }
        return Logger(threshold: level)
    }

    /// A runner with the configured transport and templates. Throws 78 when the templates or
    /// the SMTP secret cannot be had, before anything is sent.
    static func makeRunner(_ config: Config, store: any LedgerStore, asOf: Date?, log: Logger) throws -> TickRunner {
        let ids = try messageIDs(store)
        let composer = LedgerComposer(config: config, templates: try MessageTemplates.load(config), messageIDs: ids)
        let transport = try makeTransport(config.smtp)
        let reader = try config.inbox.map { settings throws(OverdueError) in try CurlIMAPReader.make(settings) }
        store.onPersistenceFailure = { log.error($0) }
        (store as? PostgresLedgerStore)?.onServerNotice = { log.warning($0) }
        return TickRunner(config: config, store: store, transport: transport, composer: composer, clock: commandClock,
                          asOf: asOf, log: log, importer: store, inbox: reader.map { ($0, store, ids) })
    }

    /// The Message-ID secret, made on first use and kept in the ledger so IDs stay stable across restarts.
    static func messageIDs(_ store: any DaemonState) throws -> MessageIDGenerator {
        if let hex = try store.meta(messageIDSecretKey), let bytes = ByteText.decodeHex(hex), bytes.count == 32 {
            return MessageIDGenerator(secret: bytes)
        }
        let secret = MessageIDGenerator.newSecret()
        try store.setMeta(messageIDSecretKey, hexString(secret))
        return MessageIDGenerator(secret: secret)
    }

    /// `tick --dry-run` output: one line per dispatch that would be queued or (re)sent.
    static func describe(_ preview: TickPreview) -> [String] {
        var lines: [String] = []
        for line in preview.newDispatches {
            let to = line.to.isEmpty ? "" : "  to \(line.to.joined(separator: ", "))"
            lines.append("would queue  \(line.invoice)  \(line.stage ?? "-")  \(line.action.rawValue)  \(line.amountDue)\(to)")
        }
        let verb = preview.windowOpen ? "would send" : "would wait (send window closed)"
        for dispatch in preview.dueDispatches {
            lines.append("\(verb)  \(dispatch.invoiceNumber)  \(dispatch.stage)  \(dispatch.state.rawValue)"
                + (dispatch.attempts > 0 ? ", \(dispatch.attempts) attempts so far" : ""))
        }
        if let wait = preview.windowWait { lines.append(wait.sentence) }
        if lines.isEmpty { lines.append("nothing to do at \(formatTimestamp(preview.at))") }
        return lines
    }
}
