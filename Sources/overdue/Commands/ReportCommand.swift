import ArgumentParser
import Foundation
import OverdueCore
import OverdueSQLite

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports for the owner and the accountant: aging, write-offs per tax year, how the ladder performs.",
        discussion: """
            --format csv puts a single quote before any cell that starts with =, +, -, @, tab or CR,
            so that a spreadsheet shows it as text rather than running it as a formula.
            """,
        subcommands: [AgingReportCommand.self, WriteOffReportCommand.self, SummaryReportCommand.self]
    )
}

/// The options every report takes.
struct ReportOptions: ParsableArguments {
    @OptionGroup var config: ConfigOption
    @OptionGroup var asOf: AsOfOption
    @Option(help: "table, json or csv.") var format: String = "table"
    @Option(help: ArgumentHelp("A calendar (tax) year: write-offs and the summary's period.", valueName: "Y")) var year: Int?

    func outputFormat() throws -> OutputFormat {
        guard let parsed = OutputFormat(rawValue: format) else {
            throw OverdueError.usage("--format: \"\(format)\" is not table, json or csv")
        }
        return parsed
    }

    func checkedYear() throws -> Int? {
        guard let year else { return nil }
        guard (1970...9999).contains(year) else { throw OverdueError.usage("--year: \(year) is not a year between 1970 and 9999") }
        return year
    }

    /// Config, ledger, the local date of T, and the format; the ledger is closed by the caller.
    func open() throws -> (Config, any LedgerStore, LocalDate, OutputFormat) {
        let format = try outputFormat()
        _ = try checkedYear()
        let config = try loadConfig(config)
        let today = LocalDateTime(try asOf.context(in: config).effectiveNow, in: config.daemon.timezone).date
        return (config, try openLedger(config), today, format)
    }
}

func csvLine(_ cells: [String]) -> String { cells.map(CSVCell.output).joined(separator: ",") }

struct AgingReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aging",
        abstract: "Open balances by client and currency in buckets: not due, 1-30, 31-60, 61-90, 90+ days overdue.",
        usage: "overdue report aging [--as-of <T>] [--format <format>] [--year <Y>]\n    [--config <PATH>]")

    @OptionGroup var options: ReportOptions

    func run() throws {
        try runReportingErrors {
            let (_, store, today, format) = try options.open()
            defer { store.close() }
            let clients = Dictionary(try store.clients().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            let rows = AgingReport.rows(try store.invoices(status: nil, clientID: nil), clients: clients, on: today)
            let out = Output()
            func money(_ minor: Int64, _ currency: Currency) -> String { Money(minorUnits: minor, currency: currency).decimalString }
            switch format {
            case .json:
                for row in rows {
                    var pairs: [(String, JSONValue)] = [("client", .optional(row.client)), ("name", .optional(row.clientName)),
                                                        ("currency", .string(row.currency.code))]
                    for (key, amount) in zip(AgingReport.keys, row.amounts) { pairs.append((key, .string(money(amount, row.currency)))) }
                    pairs.append(("total", .string(money(row.total, row.currency))))
                    out.line(JSONValue.object(pairs).serialized)
                }
            case .csv:
                out.line(csvLine(["client", "name", "currency"] + AgingReport.keys + ["total"]))
                for row in rows {
                    out.line(csvLine([row.client ?? "TOTAL", row.clientName ?? "", row.currency.code]
                        + row.amounts.map { money($0, row.currency) } + [money(row.total, row.currency)]))
                }
            case .table:
                let header = ["CLIENT", "NAME", "CURRENCY"] + AgingReport.buckets.map { $0.uppercased() } + ["TOTAL"]
                for line in TextTable.lines(header: header, rows: rows.map { row in
                    [row.client ?? "(total)", row.clientName ?? "", row.currency.code]
                        + row.amounts.map { money($0, row.currency) } + [money(row.total, row.currency)]
                }) { out.line(line) }
                for total in rows where total.client == nil {
                    out.line("")
                    let largest = total.amounts.max() ?? 0
                    for line in TextTable.lines(header: ["\(total.currency.code) AS OF \(today)", "AMOUNT", ""], rows: zip(AgingReport.buckets, total.amounts).map {
                        [$0.0, money($0.1, total.currency), AgingReport.bar($0.1, largest: largest)]
                    }) { out.line(line) }
                }
                if rows.isEmpty { out.line("no open balance on \(today)") }
            }
            out.flush()
        }
    }
}

struct WriteOffReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write-offs",
        abstract: "Invoices written off in a tax year (default: the year of --as-of), for the accountant's bad-debt list.",
        usage: "overdue report write-offs [--as-of <T>] [--format <format>] [--year <Y>]\n    [--config <PATH>]")

    @OptionGroup var options: ReportOptions

    func run() throws {
        try runReportingErrors {
            let (config, store, today, format) = try options.open()
            defer { store.close() }
            let year = try options.checkedYear() ?? today.year
            let zone = config.daemon.timezone
            func localDate(_ entry: AuditEntry) -> LocalDate { LocalDateTime(entry.asOf ?? entry.at, in: zone).date }
            var writtenOff: [String: LocalDate] = [:], demands: [String: LocalDate] = [:]
            try store.auditEntries(AuditFilter(event: AuditEvent.invoiceWrittenOff.rawValue)) { entry in
                if let invoice = entry.invoice { writtenOff[invoice] = localDate(entry) }
            }
            try store.auditEntries(AuditFilter(event: AuditEvent.demandSent.rawValue)) { entry in
                if let invoice = entry.invoice, demands[invoice] == nil { demands[invoice] = localDate(entry) }
            }
            var rows: [WriteOffReport.Row] = []
            for invoice in try store.invoices(status: .writtenOff, clientID: nil) {
                guard let on = writtenOff[invoice.number], on.year == year,
                      let context = try store.invoiceContext(invoice.number) else { continue }
                let reminders = context.dispatches.filter { $0.action == .email && $0.state == .sent }.map { (stage: $0.stage, date: $0.localDate) }
                rows.append(WriteOffReport.Row(invoice: invoice, client: context.client, writtenOffOn: on, reminders: reminders,
                                               demandOn: demands[invoice.number]))
            }
            let out = Output()
            switch format {
            case .csv:
                out.line(csvLine(WriteOffReport.header))
                for row in rows { out.line(csvLine(WriteOffReport.cells(row))) }
            case .json:
                for row in rows {
                    out.line(JSONValue.object(zip(WriteOffReport.header, WriteOffReport.cells(row)).map { ($0.0, JSONValue.string($0.1)) }).serialized)
                }
            case .table:
                for line in TextTable.lines(header: WriteOffReport.header.map { $0.uppercased() }, rows: rows.map(WriteOffReport.cells)) {
                    out.line(line)
                }
                if rows.isEmpty { out.line("no invoice written off in \(year)") }
            }
            out.flush()
        }
    }
}

struct SummaryReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Whether the ladder works: days sales outstanding, money collected after each stage, reminders, replies, bounces.",
        usage: "overdue report summary [--as-of <T>] [--format <format>] [--year <Y>]\n    [--config <PATH>]",
        discussion: """
            The period is --year Y (1 January to 31 December, or to the date of --as-of in the
            current year), else the 365 days up to the date of --as-of. Days sales outstanding =
            open balance at the end / amounts invoiced in the period x days in the period, per
            currency. A payment counts for the last reminder sent on or before its date.
            """)

    @OptionGroup var options: ReportOptions

    func run() throws {
        try runReportingErrors {
            let (config, store, today, format) = try options.open()
            defer { store.close() }
            let period: ClosedRange<LocalDate>
            if let year = try options.checkedYear() {
                let start = LocalDate(year: year, month: 1, day: 1)!
                period = start...min(LocalDate(year: year, month: 12, day: 31)!, max(today, start))
            } else {
                period = today.adding(days: -364)...today
            }
            let days = period.upperBound.days(since: period.lowerBound) + 1
            var receivable: [String: Int64] = [:], sales: [String: Int64] = [:], currencies: [String: Currency] = [:]
            var sent: [String: Int] = [:], stageOrder = config.stages.map(\.name)
            var collected: [LadderSummary.Collected] = []
            try store.forEachInvoiceContext { context in
                let invoice = context.invoice
                let code = invoice.currency.code
                currencies[code] = invoice.currency
                if (invoice.status == .open || invoice.status == .escalated) && invoice.balance.minorUnits > 0 {
                    receivable[code, default: 0] = receivable[code, default: 0].addingReportingOverflow(invoice.balance.minorUnits).partialValue
                }
                if invoice.status != .cancelled && period.contains(invoice.issueDate) {
                    sales[code, default: 0] = sales[code, default: 0].addingReportingOverflow(invoice.amount.minorUnits).partialValue
                }
                for dispatch in context.dispatches where dispatch.action == .email && dispatch.state == .sent && period.contains(dispatch.localDate) {
                    sent[dispatch.stage, default: 0] += 1
                    if !stageOrder.contains(dispatch.stage) { stageOrder.append(dispatch.stage) }
                }
            }
            for invoice in try store.invoices(status: nil, clientID: nil) {
                let payments = try store.payments(invoice: invoice.number)
                guard !payments.isEmpty, let context = try store.invoiceContext(invoice.number) else { continue }
                LadderSummary.collect(payments, dispatches: context.dispatches, period: period, into: &collected)
            }
            collected.sort { (stageOrder.firstIndex(of: $0.stage ?? "") ?? -1, $0.currency.code) < (stageOrder.firstIndex(of: $1.stage ?? "") ?? -1, $1.currency.code) }
            let zone = config.daemon.timezone
            func count(_ event: String) throws -> Int {
                var n = 0
                try store.auditEntries(AuditFilter(event: event)) { entry in
                    if period.contains(LocalDateTime(entry.asOf ?? entry.at, in: zone).date) { n += 1 }
                }
                return n
            }
            let replies = try count("reply.received"), autoReplies = try count("reminder.auto_reply"), bounces = try count("reminder.bounced")
            let dso = currencies.keys.sorted().map { code -> (String, String, String, String?) in
                let currency = currencies[code]!
                let r = receivable[code] ?? 0, s = sales[code] ?? 0
                return (code, Money(minorUnits: r, currency: currency).decimalString, Money(minorUnits: s, currency: currency).decimalString,
                        LadderSummary.daysSalesOutstanding(receivable: r, sales: s, days: days))
            }
            let sentRows = stageOrder.compactMap { stage in sent[stage].map { (stage, $0) } }
            func amount(_ c: LadderSummary.Collected) -> String { Money(minorUnits: c.minorUnits, currency: c.currency).decimalString }
            let before = "(before any reminder)"
            let out = Output()
            switch format {
            case .json:
                out.line(JSONValue.object([
                    ("from", .string(period.lowerBound.description)), ("to", .string(period.upperBound.description)), ("days", .int(Int64(days))),
                    ("dso", .array(dso.map { .object([("currency", .string($0.0)), ("receivable", .string($0.1)), ("sales", .string($0.2)),
                                                      ("days", .optional($0.3))]) })),
                    ("reminders_sent", .array(sentRows.map { .object([("stage", .string($0.0)), ("count", .int(Int64($0.1)))]) })),
                    ("collected_after", .array(collected.map { .object([("stage", .optional($0.stage)), ("currency", .string($0.currency.code)),
                                                                       ("amount", .string(amount($0))), ("payments", .int(Int64($0.payments)))]) })),
                    ("replies", .int(Int64(replies))), ("auto_replies", .int(Int64(autoReplies))), ("bounces", .int(Int64(bounces))),
                ]).serialized)
            case .csv:
                out.line(csvLine(["metric", "stage", "currency", "value", "count"]))
                for row in dso { out.line(csvLine(["dso", "", row.0, row.3 ?? "", ""])) }
                for row in sentRows { out.line(csvLine(["reminders_sent", row.0, "", "", String(row.1)])) }
                for c in collected { out.line(csvLine(["collected_after", c.stage ?? before, c.currency.code, amount(c), String(c.payments)])) }
                out.line(csvLine(["replies", "", "", "", String(replies)]))
                out.line(csvLine(["auto_replies", "", "", "", String(autoReplies)]))
                out.line(csvLine(["bounces", "", "", "", String(bounces)]))
            case .table:
                out.line("period \(period.lowerBound) to \(period.upperBound) (\(days) days)")
                out.line("")
                for line in TextTable.lines(header: ["CURRENCY", "OPEN BALANCE", "INVOICED", "DAYS SALES OUTSTANDING"],
                                            rows: dso.map { [$0.0, $0.1, $0.2, $0.3 ?? "-"] }) { out.line(line) }
                out.line("")
                for line in TextTable.lines(header: ["STAGE", "REMINDERS SENT"], rows: sentRows.map { [$0.0, String($0.1)] }) { out.line(line) }
                out.line("")
                for line in TextTable.lines(header: ["COLLECTED AFTER", "CURRENCY", "AMOUNT", "PAYMENTS"],
                                            rows: collected.map { [$0.stage ?? before, $0.currency.code, amount($0), String($0.payments)] }) {
                    out.line(line)
                }
                out.line("")
                out.line("replies \(replies)  auto-replies \(autoReplies)  bounces \(bounces)")
            }
            out.flush()
        }
    }
}
