import ArgumentParser
import OverdueCore
import OverdueSQLite

struct ImportPaymentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-payments",
        abstract: "Record payments from a CSV file (invoice, amount, date[, reference]).",
        discussion: """
            Columns (any order, header required): invoice, amount, date (YYYY-MM-DD) and optionally
            reference. Each amount is exact in its invoice's currency. A payment is its invoice,
            date, amount and reference: the same line again (the same bank export dropped twice)
            is recorded once. All-or-nothing: an unknown invoice, an overpayment or any bad line
            rejects the file (exit 65), every problem listed as FILE:LINE: column: problem.
            """
    )

    @OptionGroup var options: ConfigOption
    @Argument(help: ArgumentHelp("The CSV file.", valueName: "FILE.csv")) var file: String
    @Flag(name: .long, help: "Check the file and report what would be recorded; write nothing.") var dryRun = false

    func run() throws {
        try runReportingErrors {
            let config = try loadConfig(options)
            let bytes = try readInput(file)
            let lines = try PaymentFile.parse(bytes, fileName: file).get(orRefuse: file)
            let store = try openLedger(config, creating: .never)
            defer { store.close() }
            let summary = try store.importPayments(lines, source: file, dryRun: dryRun, context: changeNow()).get(orRefuse: file)
            let paid = summary.paidInFull.isEmpty ? "" : "; paid in full: \(summary.paidInFull.joined(separator: ", "))"
            print(dryRun
                ? "\(file): would record \(summary.recorded) payment(s), \(summary.alreadyRecorded) already recorded\(paid) (dry run: nothing written)"
                : "\(file): \(summary.recorded) payment(s) recorded, \(summary.alreadyRecorded) already recorded\(paid)")
        }
    }
}
