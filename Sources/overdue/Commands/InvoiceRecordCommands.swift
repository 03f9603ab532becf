import ArgumentParser
import Foundation
import OverdueCore

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
