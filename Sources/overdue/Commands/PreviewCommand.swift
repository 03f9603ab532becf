import ArgumentParser
import Foundation
import OverdueCore
import OverdueRuntime

/// `overdue preview INVOICE [--stage NAME]`: the exact message a tick would send, on stdout.
struct PreviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Print the full message (RFC 5322) that would be sent for an invoice.",
        usage: "overdue preview <invoice> [--stage <stage>] [--as-of <T>]\n    [--config <PATH>]",
        discussion: """
            Without --stage, the stage the plan says is due now, else the next stage ahead
            (rendered with days_overdue as on the day it becomes due): the client's reminder for
            an email stage, the owner's decision notice for an escalate stage. When nothing
            would be sent (the invoice is paid, cancelled, escalated or written off, the client
            is blocked, no stage is left), says why on stderr and exits 65; --stage NAME shows
            that stage's message anyway. When the message is not sent yet (hold, min-gap,
            send window, not due), a note on stderr says why. The message is printed as it goes
            on the wire: CRLF line ends, headers encoded, body quoted-printable. Nothing is
            recorded or sent.
            """
    )

    @OptionGroup var options: ConfigOption
    @OptionGroup var asOf: AsOfOption
    @Argument(help: "Invoice number.", transform: Identifier.nfc) var invoice: String
    @Option(help: "Stage to render instead of the one due (an email or escalate stage).") var stage: String?

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
            } else if let dispatch = context.dispatches.first(where: { $0.stage == chosen.name }) {
                // Dispatched already: what the tick states for it (and a retry would send again).
                let request = ReminderRequest(context: context, stage: chosen, dispatch: dispatch)
                (amountDue, daysOverdue) = (request.amountDue, request.daysOverdue)
            } else {
                // Not dispatched: its fee is not in the balance yet, and the message would state it.
                amountDue = context.invoice.amountDue(stageFeeMinorUnits: chosen.fee(in: context.invoice.currency)?.minorUnits ?? 0)
                daysOverdue = max(line.daysOverdue, chosen.days)
            }
            let ids = MessageIDGenerator(secret: try store.meta(DaemonWiring.messageIDSecretKey).flatMap(ByteText.decodeHex)
                ?? MessageIDGenerator.newSecret())
            let id = messageID(ids, config: config, context: context, stage: chosen)
            let message: OutgoingMessage
            if chosen.action == .escalate {
                let notice = OwnerNotices.decision(invoice: context.invoice, client: context.client, stage: chosen.name,
                                                   daysOverdue: daysOverdue, amountDue: amountDue,
                                                   history: context.dispatches.filter { $0.stage != chosen.name },
                                                   smallClaimsLimit: config.business.smallClaimsLimit)
                message = try LedgerComposer(config: config, templates: templates, messageIDs: ids)
                    .ownerNotice(notice, messageID: id, at: instant)
            } else {
                message = try templates.reminder(config: config, context: context, stage: chosen, amountDue: amountDue,
                                                 daysOverdue: daysOverdue, at: instant, messageID: id)
            }
            FileHandle.standardOutput.write(Data(message.data))
        }
    }

    /// The stage to show. Throws 65 when nothing would be sent and no `--stage` asks for a look;
    /// notes on stderr when the message shown would not go out now.
    private func chooseStage(config: Config, context: InvoiceContext, line: PlanLine) throws -> Stage {
        let subject = "invoice \(invoice.escapingControls())"
        let never = neverSentReason(context: context, line: line)
        if let name = stage {
            guard let chosen = config.stage(named: name) else {
                throw OverdueError.usage("--stage: no stage named \"\(name.escapingControls())\" (stages: \(config.stages.map(\.name).joined(separator: ", ")))")
            }
            guard chosen.action != .writeOff else {
                throw OverdueError.usage("--stage: \(name) is a write-off stage and sends no message")
            }
            if let never { printError("note: \(subject): nothing would be sent (\(never)); shown because --stage asks") }
            return chosen
        }
        let lookAnyway = "; --stage NAME shows a stage's message anyway"
        if let never { throw OverdueError.data("\(subject): nothing would be sent (\(never))\(lookAnyway)") }
        if let due = line.stage.flatMap(config.stage(named:)) {
            guard due.action != .writeOff else {
                throw OverdueError.data("\(subject): nothing would be sent (stage \(due.name) writes the invoice off without a message)\(lookAnyway)")
            }
            if let reason = line.reason {
                printError("note: \(subject): stage \(due.name) is due but not sent now (\(reason.rawValue)); this is its message")
            }
            return due
        }
        let sentDays = context.dispatches.compactMap { d in config.stage(named: d.stage)?.days }.max() ?? Int.min
        guard let ahead = config.stages.first(where: { $0.days > max(sentDays, line.daysOverdue) }) else {
            throw OverdueError.data("\(subject): nothing would be sent (\(line.reason?.rawValue ?? "done"): no stage of the ladder is left)\(lookAnyway)")
        }
        guard ahead.action != .writeOff else {
            throw OverdueError.data("\(subject): nothing would be sent (the next stage, \(ahead.name), writes the invoice off without a message)\(lookAnyway)")
        }
        let date = context.invoice.dueDate.adding(days: ahead.days)
        printError("note: \(subject): nothing is due now (\(line.reason?.rawValue ?? "not-due")); this is stage \(ahead.name), reached on \(date)")
        return ahead
    }

    /// Why no message will ever go out for this invoice as it stands (the plan's reason and
    /// its cause), or nil when one is due or ahead.
    private func neverSentReason(context: InvoiceContext, line: PlanLine) -> String? {
        switch line.reason {
        case .closed?:
            let invoice = context.invoice
            let cause = invoice.status != .open ? "the invoice is \(invoice.status.inWords)" : "the invoice is paid, balance \(invoice.balance)"
            return "closed: \(cause)"
        case .blocked?:
            return "blocked: client \(context.client.id.escapingControls()) is blocked"
        default:
            return nil
        }
    }

    /// The ID the dispatch has or will have when it exists; otherwise one from the stored secret
    /// (or a throwaway one: preview never writes to the ledger) with a `preview` nonce.
    private func messageID(_ generator: MessageIDGenerator, config: Config, context: InvoiceContext, stage: Stage) -> String {
        let dispatch = context.dispatches.first { $0.stage == stage.name }
        if let id = dispatch?.messageID { return id }
        return generator.messageID(invoice: context.invoice.number, stage: stage.name, nonce: dispatch.map { String($0.id) } ?? "preview",
                                   domain: config.business.from.domain)
    }
}
