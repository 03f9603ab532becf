import ArgumentParser
import OverdueCore

struct InvoiceHold: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hold", abstract: "Stop reminders for an invoice (e.g. disputed).")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The invoice number.", transform: Identifier.nfc) var number: String
    @Option(help: "Why (recorded in the audit trail).") var reason: String?

    func run() throws { try applyChange(options, "invoice \(number): on hold") { try $0.setInvoiceHold(number, onHold: true, reason: reason, context: $1) } }
}

struct InvoiceRelease: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "release", abstract: "Release a held invoice.")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The invoice number.", transform: Identifier.nfc) var number: String
    @Option(help: "Why (recorded in the audit trail).") var reason: String?

    func run() throws { try applyChange(options, "invoice \(number): released") { try $0.setInvoiceHold(number, onHold: false, reason: reason, context: $1) } }
}


struct InvoiceCancel: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel an invoice: no more reminders.")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The invoice number.", transform: Identifier.nfc) var number: String
    @Option(help: "Why (recorded in the audit trail).") var reason: String?
    func run() throws {
        try applyChange(options, "invoice \(number): \(InvoiceStatus.cancelled.rawValue)") {
            try $0.setInvoiceStatus(number, to: .cancelled, reason: reason, context: $1)
        }
    }
}

struct InvoiceEscalate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "escalate", abstract: "Mark an invoice escalated now: no more client reminders.")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The invoice number.", transform: Identifier.nfc) var number: String
    @Option(help: "Why (recorded in the audit trail).") var reason: String?
    func run() throws {
        try applyChange(options, "invoice \(number): \(InvoiceStatus.escalated.rawValue)") {
            try $0.setInvoiceStatus(number, to: .escalated, reason: reason, context: $1)
        }
    }
}

struct InvoiceWriteOff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write-off", abstract: "Write an invoice off; optionally block its client for good.",
        usage: "overdue invoice write-off <number> [--block-client] [--reason <reason>]\n    [--config <PATH>]")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The invoice number.", transform: Identifier.nfc) var number: String
    @Flag(name: .customLong("block-client"), help: "Also block the client: never reminded again, new invoices warn.") var blockClient = false
    @Option(help: "Why (recorded in the audit trail).") var reason: String?

    func run() throws {
        try runReportingErrors {
            let store = try openLedger(try loadConfig(options))
            guard let invoice = try store.invoice(number) else { throw OverdueError.data("invoice \(number): not found") }
            try store.setInvoiceStatus(number, to: .writtenOff, reason: reason, context: changeNow())
            print("invoice \(number): written_off")
            if blockClient {
                try store.setClientBlocked(invoice.clientID, blocked: true, reason: reason ?? "invoice \(number) written off", context: changeNow())
                print("client \(invoice.clientID): blocked")
            }
        }
    }
}

struct InvoiceResolve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve", abstract: "Settle an ambiguous dispatch: record it as sent, or release it to be sent again.",
        usage: "overdue invoice resolve <number> --stage <stage> (--sent | --resend)\n    [--config <PATH>]")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The invoice number.", transform: Identifier.nfc) var number: String
    @Option(help: "The stage of the ambiguous dispatch.") var stage: String
    @Flag(help: "It did reach the client: record it as sent.") var sent = false
    @Flag(help: "It did not: send it again on the next tick.") var resend = false

    func validate() throws {
        guard sent != resend else { throw ValidationError("give exactly one of --sent or --resend") }
    }

    func run() throws {
        try applyChange(options, "invoice \(number) stage \(stage): \(sent ? "recorded as sent" : "released for resending")") {
            try $0.resolveAmbiguous(invoice: number, stage: stage, sent: sent, context: $1)
        }
    }
}

struct InvoiceRequeue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requeue", abstract: "Send a failed reminder again on the next tick.")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The invoice number.", transform: Identifier.nfc) var number: String
    @Option(help: "The stage of the failed dispatch.") var stage: String

    func run() throws {
        try applyChange(options, "invoice \(number) stage \(stage): queued again") {
            try $0.requeueFailed(invoice: number, stage: stage, context: $1)
        }
    }
}

struct InvoiceWaive: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "waive", abstract: "Waive the late fees charged to an invoice (exit 65 when there are none).")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The invoice number.", transform: Identifier.nfc) var number: String
    @Option(help: "Why (recorded in the audit trail).") var reason: String?

    func run() throws {
        try runReportingErrors {
            let store = try openLedger(try loadConfig(options))
            let (waived, after) = try store.waiveFees(invoice: number, reason: reason, context: changeNow())
            print("invoice \(number): waived fees \(waived), balance \(after.balance), status \(after.status.rawValue)")
        }
    }
}
