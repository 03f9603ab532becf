import ArgumentParser
import Foundation
import OverdueCore
import OverdueRuntime

/// `overdue status`: what the daemon did last, when it ticks next, and where deliveries stand.
struct StatusCommand: ParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the last and next tick, deliveries pending/retrying/failed/ambiguous, and reminders coming up.",
        discussion: """
            --format json prints one JSON object: last_tick, last_tick_as_of, last_tick_summary, next_tick, \
            pending, retrying, failed, ambiguous (counts), deliveries (the dispatches in each of those \
            states) and next_due (invoice, stage, date; soonest first): the stage a tick will dispatch next and \
            the local date it will, after the send window, min_days_between and final_notice_days, \
            the stage plan shows for it; daemons (id, host, pid, started, last_tick, claimed: the live \
            daemons sharing a PostgreSQL ledger; empty on SQLite).
            """
    )
    @OptionGroup var options: ConfigOption
    @Option(help: "table or json.") var format: Format = .table

    func run() throws {
        try runReportingErrors {
            let config = try loadConfig(options)
            let store = try openLedger(config)
            let report = try StatusReport.read(store: store, config: config, at: commandClock.now())
            let out = Output()
            switch format {
            case .json: out.line(report.json)
            case .table: for line in report.tableLines { out.line(line) }
            }
            out.flush()
        }
    }
}
