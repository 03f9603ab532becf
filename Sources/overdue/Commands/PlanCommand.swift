import ArgumentParser
import Foundation
import OverdueCore

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what a tick at T would do, with no side effects.",
        discussion: """
            One line per invoice that has something due, ordered by invoice number. With --all,
            invoices with nothing to do are listed too, with the reason (closed, blocked,
            client-hold, hold, not-due, done, notice-period, min-gap, window). When reminders wait
            for the send window, stderr says how many and when it next opens (stdout stays the plan).
            """
    )

    @OptionGroup var options: ConfigOption
    @OptionGroup var asOf: AsOfOption
    @Option(help: "table or json (one object per line).") var format: String = "table"
    @Flag(help: "Also list invoices with nothing to do, and why.") var all = false

    func run() throws {
        try runReportingErrors {
            let format = try parseFormat(format, allowed: [.table, .json])
            let config = try loadConfig(options)
            let instant = try asOf.context(in: config).effectiveNow
            let store = try openLedger(config)
            let planner = EscalationPlanner(config: config)
            // Every invoice is planned at the same instant: read it in the time zone once.
            let local = LocalDateTime(instant, in: planner.timeZone)
            let out = Output()
            var tableLines: [PlanLine] = []
            var waitingForWindow = 0
            // Read once: the property wrapper's getter is a measurable share of a million lines.
            let all = all
            // With [interest], JSON lines state the claim; an invoice with payments has them read
            // after the stream (the ledger is busy streaming), so its lines wait until then.
            let interest = format == .json ? config.interest : nil
            var claimed: [(line: PlanLine, invoice: Invoice)] = []
            try store.forEachInvoiceContext { context in
                let line = planner.plan(context, atLocal: local)
                if line.reason == .window { waitingForWindow += 1 }
                guard PlanFormatter.isListed(line, all: all) else { return }
                if interest != nil {
                    claimed.append((line, context.invoice))
                } else if format == .json {
                    out.appendLine { PlanFormatter.writeJSON(line, to: &$0) }
                } else {
                    tableLines.append(line)
                }
            }
            if let interest {
                for (line, invoice) in claimed {
                    let payments = invoice.paid.minorUnits > 0 ? try store.payments(invoice: invoice.number) : []
                    let claim = try InterestClaim.compute(interest, invoice: invoice, payments: payments, asOf: local.date)
                        .get(invoice: invoice.number)
                    out.appendLine { PlanFormatter.writeJSON(line, claim: claim, to: &$0) }
                }
            }
            if format == .table {
                let table = PlanFormatter.table(tableLines)
                if !table.isEmpty { out.line(table.hasSuffix("\n") ? String(table.dropLast()) : table) }
            }
            out.flush()
            if waitingForWindow > 0 {
                printError(WindowWait(count: waitingForWindow, window: config.sendWindow, after: instant, in: planner.timeZone).sentence)
            }
        }
    }
}
