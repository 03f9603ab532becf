import ArgumentParser
import Foundation
import OverdueCore

struct InvoiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoice",
        abstract: "Manage one invoice: list, show, add, pay, hold, release, cancel, escalate, write-off, resolve, requeue, waive.",
        subcommands: [
            InvoiceList.self, InvoiceShow.self, InvoiceAdd.self, InvoicePay.self, InvoiceHold.self,
            InvoiceRelease.self, InvoiceCancel.self, InvoiceEscalate.self, InvoiceWriteOff.self, InvoiceResolve.self,
            InvoiceRequeue.self, InvoiceWaive.self,
            InvoiceDemand.self,
        ]
    )
}

/// The JSON object for one invoice, used by `invoice list/show --format json`.
func invoiceJSON(_ invoice: Invoice) -> JSONValue {
    .object([
        ("number", .string(invoice.number)), ("client", .string(invoice.clientID)),
        ("issue_date", .string(invoice.issueDate.description)), ("due_date", .string(invoice.dueDate.description)),
        ("amount", .string(invoice.amount.decimalString)), ("paid", .string(invoice.paid.decimalString)),
        ("fees", .string(invoice.fees.decimalString)), ("amount_due", .string(invoice.balance.decimalString)), ("currency", .string(invoice.currency.code)),
        ("status", .string(invoice.status.rawValue)), ("hold", .bool(invoice.onHold)),
        ("hold_reason", .optional(invoice.holdReason)),
    ])
}

struct InvoiceList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List invoices in number order.",
        usage: "overdue invoice list [--status <status>] [--client <ID>]\n    [--format <format>] [--config <PATH>]")
    @OptionGroup var options: ConfigOption
    @Option(help: "Only this status: open, paid, cancelled, escalated, written_off.") var status: String?
    @Option(help: ArgumentHelp("Only this client's invoices.", valueName: "ID"), transform: Identifier.nfc) var client: String?
    @Option(help: "table or json.") var format: String = "table"

    func run() throws {
        try runReportingErrors {
            let format = try parseFormat(format, allowed: [.table, .json])
            var statusFilter: InvoiceStatus?
            if let status {
                guard let parsed = InvoiceStatus(rawValue: status) else {
                    throw OverdueError.usage("--status: \"\(status)\" is not one of \(InvoiceStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                statusFilter = parsed
            }
            let store = try openLedger(try loadConfig(options))
            let invoices = try store.invoices(status: statusFilter, clientID: client)
            let out = Output()
            if format == .json {
                for invoice in invoices { out.line(invoiceJSON(invoice).serialized) }
            } else {
                let rows = invoices.map { i in
                    [i.number, i.clientID, i.dueDate.description, i.amount.decimalString, i.balance.decimalString,
                     i.currency.code, i.status.rawValue + (i.onHold ? " (hold)" : "")]
                }
                for line in TextTable.lines(header: ["NUMBER", "CLIENT", "DUE", "AMOUNT", "DUE_NOW", "CUR", "STATUS"], rows: rows) { out.line(line) }
            }
            out.flush()
        }
    }
}

struct InvoiceShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show one invoice with its client and dispatch history.",
        usage: "overdue invoice show <number> [--format <format>] [--as-of <T>]\n    [--config <PATH>]",
        discussion: "With [interest] configured, also the interest and compensation owed as of today (or --as-of).")
    @OptionGroup var options: ConfigOption
    @OptionGroup var asOf: AsOfOption
    @Argument(help: "The invoice number.", transform: Identifier.nfc) var number: String
    @Option(help: "table or json.") var format: String = "table"

    func run() throws {
        try runReportingErrors {
            let format = try parseFormat(format, allowed: [.table, .json])
            let config = try loadConfig(options)
            let store = try openLedger(config)
            guard let context = try store.invoiceContext(number) else { throw OverdueError.data("invoice \(number): not found") }
            let invoice = context.invoice
            let fees = try store.fees(invoice: number)
            let today = LocalDateTime(try asOf.context(in: config).effectiveNow, in: config.daemon.timezone).date
            let claim = try config.interest.map { policy throws(OverdueError) in
                try InterestClaim.compute(policy, invoice: invoice, payments: context.payments, asOf: today).get(invoice: number)
            }
            if format == .json {
                guard case .object(var pairs) = invoiceJSON(invoice) else { return }
                pairs.append(("fee_charges", .array(fees.map(feeJSON))))
                pairs.append(("dispatches", .array(context.dispatches.map(dispatchJSON))))
                if let claim, let policy = config.interest { pairs.append(("interest", claimJSON(claim, policy: policy, balance: invoice.balance))) }
                print(JSONValue.object(pairs).serialized)
                return
            }
            print("""
                invoice     \(invoice.number)
                client      \(context.client.id) (\(context.client.name)) \(context.client.emails.joined(separator: "; "))\
                \(context.client.blocked ? " [blocked]" : "")\(context.client.onHold ? " [on hold]" : "")
                issued      \(invoice.issueDate)
                due         \(invoice.dueDate)
                amount      \(invoice.amount)
                fees        \(invoice.fees)\(feeLines(fees))
                paid        \(invoice.paid)
                balance     \(invoice.balance)
                status      \(invoice.status.rawValue)\(invoice.onHold ? " (on hold\(invoice.holdReason.map { ": \($0)" } ?? ""))" : "")
                """)
            if let claim, let policy = config.interest { print(claimLines(claim, policy: policy, balance: invoice.balance)) }
            if context.dispatches.isEmpty {
                print("dispatches  none")
            } else {
                let rows = context.dispatches.map { d in
                    [d.localDate.description, d.stage, d.action.rawValue, d.state.rawValue, d.messageID ?? "-", d.lastReply ?? ""]
                }
                print("")
                for line in TextTable.lines(header: ["DATE", "STAGE", "ACTION", "STATE", "MESSAGE-ID", "REPLY"], rows: rows) { print(line) }
            }
        }
    }
}

/// `interest`, `compensation` and `claim` under the balance, each period that bore interest
/// indented under `interest`.
private func claimLines(_ claim: InterestClaim, policy: InterestPolicy, balance: Money) -> String {
    var lines = "interest    \(claim.interest) as of \(claim.asOf) (\(policy.label), simple, actual/365)"
    if !claim.periods.isEmpty {
        let rows = claim.periods.map { [$0.from.description, $0.through.description, String($0.days), $0.principal.description, "\($0.rate)%"] }
        lines += TextTable.lines(header: ["FROM", "THROUGH", "DAYS", "PRINCIPAL", "RATE"], rows: rows).map { "\n            " + $0 }.joined()
    }
    return lines + "\ncompensation \(claim.compensation)\nclaim       \(claim.total(adding: balance)) (balance + interest + compensation)"
}

func claimJSON(_ claim: InterestClaim, policy: InterestPolicy, balance: Money) -> JSONValue {
    .object([
        ("basis", .string(policy.label)), ("as_of", .string(claim.asOf.description)),
        ("interest", .string(claim.interest.decimalString)), ("compensation", .string(claim.compensation.decimalString)),
        ("claim_total", .string(claim.total(adding: balance).decimalString)),
        ("periods", .array(claim.periods.map { period in
            .object([
                ("from", .string(period.from.description)), ("through", .string(period.through.description)),
                ("days", .int(Int64(period.days))), ("principal", .string(period.principal.decimalString)),
                ("rate", .string(period.rate.description)),
            ])
        })),
    ])
}

/// Each fee charged, one indented line under `fees`: stage, amount, when, and whether waived.
private func feeLines(_ fees: [ChargedFee]) -> String {
    guard !fees.isEmpty else { return "" }
    let rows = fees.map { fee in
        [fee.stage, fee.amount.description, formatTimestamp(fee.chargedAt),
         fee.waivedAt.map { formatTimestamp($0) + (fee.waiveReason.map { " (\($0))" } ?? "") } ?? "no"]
    }
    return TextTable.lines(header: ["STAGE", "FEE", "CHARGED", "WAIVED"], rows: rows).map { "\n            " + $0 }.joined()
}

func feeJSON(_ fee: ChargedFee) -> JSONValue {
    .object([
        ("stage", .string(fee.stage)), ("amount", .string(fee.amount.decimalString)),
        ("charged_at", .string(formatTimestamp(fee.chargedAt))), ("waived", .bool(fee.waivedAt != nil)),
        ("waived_at", .optional(fee.waivedAt.map(formatTimestamp))), ("waive_reason", .optional(fee.waiveReason)),
    ])
}

func dispatchJSON(_ d: Dispatch) -> JSONValue {
    .object([
        ("stage", .string(d.stage)), ("action", .string(d.action.rawValue)), ("date", .string(d.localDate.description)),
        ("queued_at", .string(formatTimestamp(d.queuedAt))), ("state", .string(d.state.rawValue)),
        ("attempts", .int(Int64(d.attempts))), ("message_id", .optional(d.messageID)), ("reply", .optional(d.lastReply)),
        ("recipients", .strings(d.recipients)),
    ])
}

func parseFormat(_ text: String, allowed: [OutputFormat]) throws -> OutputFormat {
    guard let format = OutputFormat(rawValue: text), allowed.contains(format) else {
        throw OverdueError.usage("--format: \"\(text)\" is not \(allowed.map(\.rawValue).joined(separator: " or "))")
    }
    return format
}

struct InvoiceAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add one invoice (and its client, if new).",
        usage: """
            overdue invoice add <number> --client <ID> [--client-name <name>]
                [--client-email <addresses>] --issued <YYYY-MM-DD>
                --due <YYYY-MM-DD> --amount <amount> --currency <currency>
                [--paid <amount>] [--config <PATH>]
            """,
        discussion: "Values are checked exactly as in CSV import. A blocked client's new invoice is added with a warning.")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The invoice number.", transform: Identifier.nfc) var number: String
    @Option(help: ArgumentHelp("Client id.", valueName: "ID"), transform: Identifier.nfc) var client: String
    @Option(name: .customLong("client-name"), help: "Client name (required for a new client).") var clientName: String?
    @Option(name: .customLong("client-email"), help: "Client address(es), ';'-separated (required for a new client).") var clientEmail: String?
    @Option(help: ArgumentHelp("Issue date.", valueName: "YYYY-MM-DD")) var issued: String
    @Option(help: ArgumentHelp("Due date.", valueName: "YYYY-MM-DD")) var due: String
    @Option(parsing: .unconditional, help: "Amount invoiced, e.g. 1200.00.") var amount: String
    @Option(help: "ISO 4217 currency code.") var currency: String
    @Option(parsing: .unconditional, help: "Amount already paid, e.g. 200.00.") var paid: String = "0"

    func run() throws {
        try runReportingErrors {
            let config = try loadConfig(options)
            let store = try openLedger(config, creating: .ifMissing)
            let existing = try store.client(client)
            let name = clientName ?? existing?.name ?? ""
            let emails = clientEmail ?? existing?.emails.joined(separator: ";") ?? ""
            // One code path for validation: the same rules as a CSV row.
            let csv = ["number,client_id,client_name,client_email,issue_date,due_date,amount,currency,paid",
                       [number, client, name, emails, issued, due, amount, currency, paid].map(csvField).joined(separator: ",")]
                .joined(separator: "\n")
            let row: ImportRow
            switch CSVImport.parse(Array(csv.utf8), fileName: "invoice add") {
            case .success(let rows): row = rows[0]
            case .failure(let failure):
                let problems = failure.problems.map { $0.replacingOccurrences(of: "invoice add:2: ", with: "invoice add: ") }
                throw OverdueError(.dataError, problems.first ?? "invoice add: invalid", details: Array(problems.dropFirst()))
            }
            if try store.invoice(number) != nil { throw OverdueError.data("invoice \(number): already exists") }
            let invoice = Invoice(number: row.number, clientID: row.clientID, issueDate: row.issueDate, dueDate: row.dueDate,
                                  amount: row.amount, paid: row.paid)
            let newClient = existing ?? Client(id: row.clientID, name: row.clientName, emails: row.clientEmails)
            let summary = try store.addInvoice(invoice, client: newClient, context: changeNow())
            for warning in summary.warnings { printError(warning) }
            print("invoice \(number) added (\(row.amount), due \(row.dueDate))")
        }
    }
}

struct InvoicePay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pay", abstract: "Record a payment; partial payments add up.",
        usage: "overdue invoice pay <number> <amount> [--on <YYYY-MM-DD>]\n    [--config <PATH>]")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The invoice number.", transform: Identifier.nfc) var number: String
    // Collected as leftovers so that `-5` reaches validate(): as a plain argument the parser
    // would take it for an option, skip it, and report the amount as missing.
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Amount paid, in the invoice's currency, e.g. 200.00.", valueName: "amount"))
    var amountWords: [String] = []
    @Option(help: ArgumentHelp("Payment date (default: today in daemon.timezone).", valueName: "YYYY-MM-DD")) var on: String?

    func validate() throws {
        guard let word = amountWords.first else { throw ValidationError("Missing expected argument '<amount>'") }
        if word.count > 1, word.hasPrefix("-"), word.dropFirst().allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) {
            throw ValidationError("<amount>: \(word) is negative; a payment is a positive amount, e.g. 200.00")
        }
        if word.hasPrefix("-") { throw ValidationError("Unknown option '\(word)'") }
        if let extra = amountWords.dropFirst().first {
            throw ValidationError(extra.hasPrefix("-") ? "Unknown option '\(extra)'" : "Unexpected argument '\(extra)'")
        }
    }

    func run() throws {
        try runReportingErrors {
            let amount = amountWords[0]
            let config = try loadConfig(options)
            let store = try openLedger(config)
            guard let invoice = try store.invoice(number) else { throw OverdueError.data("invoice \(number): not found") }
            let money: Money
            switch Money.parse(amount, currency: invoice.currency) {
            case .success(let m) where m.minorUnits > 0: money = m
            case .success: throw OverdueError.data("amount: must be greater than 0")
            case .failure(let error): throw OverdueError.data("amount: \(error)")
            }
            let date: LocalDate
            if let on {
                guard let parsed = LocalDate(on) else { throw OverdueError.usage("--on: \"\(on)\" is not a date YYYY-MM-DD") }
                guard LocalDate.accepted.contains(parsed) else { throw OverdueError.usage("--on: \"\(on)\" \(LocalDate.outsideAcceptedProblem)") }
                date = parsed
            } else {
                date = LocalDateTime(commandClock.now(), in: config.daemon.timezone).date
            }
            let after = try store.recordPayment(invoice: number, amount: money, on: date, context: changeNow())
            let fees = after.fees.minorUnits == 0 ? "" : " + fees \(after.fees.decimalString)"
            print("invoice \(number): paid \(after.paid) of \(after.amount)\(fees), balance \(after.balance), status \(after.status.rawValue)")
        }
    }
}

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
