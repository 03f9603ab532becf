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
