import ArgumentParser
import Foundation
import OverdueCore
import OverdueSQLite

/// `overdue preview INVOICE [--stage NAME]`: the exact message a tick would send, on stdout.
struct PreviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Print the full message (RFC 5322) that would be sent for an invoice.",
        discussion: """
            Without --stage, the stage the plan says is due now, else the next email stage ahead
            (rendered with days_overdue as on the day it becomes due). The message is printed
            as it goes on the wire: CRLF line ends, headers encoded, body quoted-printable.
            Nothing is recorded or sent.
            """
    )

    @OptionGroup var options: ConfigOption
    @OptionGroup var asOf: AsOfOption
    @Argument(help: "Invoice number.", transform: Identifier.nfc) var invoice: String
    @Option(help: "Stage to render instead of the one due.") var stage: String?

    func run() throws {
        try runReportingErrors {
            let config = try loadConfig(options)
            let templates = try MessageTemplates.load(config)
            let instant = try asOf.context(in: config).effectiveNow
            let store = try openLedger(config)
            guard let context = try store.invoiceContext(invoice) else {
                throw OverdueError.data("invoice \(invoice.escapingControls()): no such invoice")
            }
            let line = EscalationPlanner(config: config).plan(context, at: instant)
            let chosen = try chooseStage(config: config, context: context, line: line)
            let amountDue: Money
            let daysOverdue: Int
            if chosen.name == line.stage {
                (amountDue, daysOverdue) = (line.amountDue, line.daysOverdue)
            } else {
                // A stage already sent has its fee in the balance (or waived): it is not added twice.
                let sent = context.dispatches.contains { $0.stage == chosen.name && $0.state == .sent }
                amountDue = context.invoice.amountDue(
                    stageFeeMinorUnits: sent ? 0 : chosen.fee(in: context.invoice.currency)?.minorUnits ?? 0)
                daysOverdue = max(line.daysOverdue, chosen.days)
            }
            let message = try templates.reminder(config: config, context: context, stage: chosen, amountDue: amountDue,
                                                 daysOverdue: daysOverdue, at: instant,
                                                 messageID: try messageID(store: store, config: config, context: context, stage: chosen))
            FileHandle.standardOutput.write(Data(message.data))
        }
    }

    private func chooseStage(config: Config, context: InvoiceContext, line: PlanLine) throws -> Stage {
        if let name = stage {
            guard let chosen = config.stage(named: name) else {
                throw OverdueError.usage("--stage: no stage named \"\(name.escapingControls())\" (stages: \(config.stages.map(\.name).joined(separator: ", ")))")
            }
            guard chosen.action == .email else {
                throw OverdueError.usage("--stage: \(name) is a \(chosen.action.rawValue) stage and sends no client email")
            }
            return chosen
        }
        if let due = line.stage.flatMap(config.stage(named:)), due.action == .email { return due }
        let sentDays = context.dispatches.compactMap { d in config.stage(named: d.stage)?.days }.max() ?? Int.min
        guard let ahead = config.stages.first(where: { $0.action == .email && $0.days > max(sentDays, line.daysOverdue) }) else {
            throw OverdueError.data("invoice \(invoice.escapingControls()): no email stage is due or ahead; use --stage NAME")
        }
        return ahead
    }

    /// The ID the dispatch has or will have when it exists; otherwise one from the stored secret
    /// (or a throwaway one: preview never writes to the ledger) with a `preview` nonce.
    private func messageID(store: SQLiteLedgerStore, config: Config, context: InvoiceContext, stage: Stage) throws -> String {
        if let dispatch = context.dispatches.first(where: { $0.stage == stage.name }), let id = dispatch.messageID { return id }
        let stored = try store.meta(DaemonWiring.messageIDSecretKey).flatMap(ByteText.decodeHex)
        let generator = MessageIDGenerator(secret: stored ?? MessageIDGenerator.newSecret())
        let nonce = context.dispatches.first(where: { $0.stage == stage.name }).map { String($0.id) } ?? "preview"
        return generator.messageID(invoice: context.invoice.number, stage: stage.name, nonce: nonce,
                                   domain: config.business.from.domain)
    }
}
