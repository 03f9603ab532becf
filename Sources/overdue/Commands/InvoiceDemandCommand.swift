import ArgumentParser
import Foundation
import OverdueCore
import OverdueRuntime
import OverdueSMTP
import OverdueSQLite

/// `overdue invoice demand NUMBER [--preview|--send]`: the letter before action, by the
/// owner's decision. Its bytes are kept before the first goes out and it is audited
/// `demand.sent`, so it is part of the invoice's evidence packet.
struct InvoiceDemand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demand",
        abstract: "Preview or send the letter before action (template demand) to the client.",
        usage: "overdue invoice demand <number> [--preview] [--send]\n    [--as-of <T>] [--config <PATH>]",
        discussion: """
            The formal demand a small-claims court expects before a claim: the full amount
            claimed and 30 days from the letter's date to pay or reply (templates/demand.txt, and
            demand.html if present; the shipped ones are in config/templates). --preview (the
            default) prints the message as it would go on the wire and records nothing; --send
            sends it to the client's addresses, once: a second --send is refused unless the
            first failed. An invoice that is paid, cancelled or written off, or has nothing
            left to pay, gets no demand (65).
            """
    )

    @OptionGroup var options: ConfigOption
    @OptionGroup var asOf: AsOfOption
    @Argument(help: "Invoice number.", transform: Identifier.nfc) var number: String
    @Flag(help: "Print the letter; send and record nothing (the default).") var preview = false
    @Flag(help: "Send the letter to the client and record it.") var send = false

    func validate() throws {
        if preview && send { throw ValidationError("--preview and --send exclude each other") }
    }

    func run() throws {
        try runReportingErrors {
            let config = try loadConfig(options)
            let templates = try MessageTemplates.loadDemand(config)
            let change = try asOf.context(in: config)
            let store = try openLedger(config)
            defer { store.close() }
            let what = "invoice \(number.escapingControls())"
            guard let context = try store.invoiceContext(number) else { throw OverdueError.data("\(what): no such invoice") }
            let invoice = context.invoice
            guard invoice.status == .open || invoice.status == .escalated else {
                throw OverdueError.data("\(what): is \(invoice.status.inWords); no demand is sent for it")
            }
            guard invoice.balance.minorUnits > 0 else {
                throw OverdueError.data("\(what): nothing is owed (balance \(invoice.balance)); no demand is sent for it")
            }
            if send, let earlier = try store.demand(invoice: number) {
                throw OverdueError.data(earlier.state == "sent"
                    ? "\(what): the letter before action was sent already (\(formatTimestamp(earlier.at))); see overdue audit --invoice \(OwnerNotices.shellQuoted(number)) --event demand.sent"
                    : "\(what): a letter before action was being sent when overdue stopped (\(formatTimestamp(earlier.at))) and may have gone out; check with the client before sending another")
            }
            let instant = change.effectiveNow
            let today = LocalDateTime(instant, in: config.daemon.timezone).date
            let stage = Stage(name: "demand", days: today.days(since: invoice.dueDate), action: .email, template: "demand",
                              subject: MessageTemplates.demandSubject)
            let ids = send ? try DaemonWiring.messageIDs(store)
                : MessageIDGenerator(secret: try store.meta(DaemonWiring.messageIDSecretKey).flatMap(ByteText.decodeHex)
                    ?? MessageIDGenerator.newSecret())
            let id = ids.messageID(invoice: number, stage: "demand", nonce: send ? UUID().uuidString : "preview",
                                   domain: config.business.from.domain)
            let message = try templates.reminder(config: config, context: context, stage: stage, amountDue: invoice.balance,
                                                 daysOverdue: stage.days, at: instant, messageID: id)
            guard send else {
                FileHandle.standardOutput.write(Data(message.data))
                return
            }
            let transport = try makeTransport(config.smtp)
            defer { transport.close() }
            try store.markDemandSending(invoice: number, messageID: message.messageID, recipients: message.recipients,
                                        data: message.data, context: change)
            let result = transport.send(message)
            let failure: OverdueCore.ExitCode
            switch result {
            case .delivered: failure = .success
            case .ambiguous(let reply):
                // Left `sending`: a second demand is refused until the owner has checked.
                throw OverdueError(.tempFailure, "\(what): the letter before action may or may not have been delivered "
                    + "(\(reply)); it is not sent again by itself")
            case .temporary, .unavailable(.connection, _): failure = .tempFailure
            case .authenticationRefused: failure = .noPermission
            case .permanent, .unavailable(.security, _): failure = .unavailable
            }
            try store.recordDemand(invoice: number, messageID: message.messageID, delivered: failure == .success,
                                   reply: result.reply, context: change)
            guard failure == .success else {
                throw OverdueError(failure, "\(what): the letter before action was not delivered: \(result.reply)")
            }
            print("sent the letter before action for \(what) to \(message.recipients.joined(separator: ", ")) \(message.messageID): \(result.reply)")
        }
    }
}
