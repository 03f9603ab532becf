import ArgumentParser
import Foundation
import OverdueCore

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Review the audit trail, or verify its integrity.",
        subcommands: [AuditListCommand.self, AuditVerifyCommand.self],
        defaultSubcommand: AuditListCommand.self
    )
}

struct AuditListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show audit entries, oldest first (the default when no subcommand is given).",
        usage: "overdue audit [list] [--invoice <NUMBER>] [--client <ID>]\n    [--event <EVENT>] [--since <T>] [--until <T>] [--format <format>]\n    [--config <PATH>]",
        discussion: """
            --since/--until take an RFC 3339 date-time with offset, or a date YYYY-MM-DD, which
            means the whole day in daemon.timezone (--since from its start, --until to its end).
            --event matches exactly (reminder.sent), or a whole family: reminder or reminder.*.
            --format csv puts a single quote before any cell that starts with =, +, -, @, tab or CR,
            so that a spreadsheet shows it as text rather than running it as a formula (OWASP).
            """
    )

    @OptionGroup var options: ConfigOption
    @Option(help: ArgumentHelp("Only entries about this invoice.", valueName: "NUMBER"), transform: Identifier.nfc) var invoice: String?
    @Option(help: ArgumentHelp("Only entries about this client.", valueName: "ID"), transform: Identifier.nfc) var client: String?
    @Option(help: ArgumentHelp("Only this event, or a family (reminder, reminder.*).", valueName: "EVENT")) var event: String?
    @Option(help: ArgumentHelp("Entries at or after T.", valueName: "T")) var since: String?
    @Option(help: ArgumentHelp("Entries at or before T.", valueName: "T")) var until: String?
    @Option(help: "table, json or csv.") var format: String = "table"

    func run() throws {
        try runReportingErrors {
            guard let format = OutputFormat(rawValue: format) else {
                throw OverdueError.usage("--format: \"\(format)\" is not table, json or csv")
            }
            let config = try loadConfig(options)
            let zone = config.daemon.timezone
            let filter = AuditFilter(
                invoice: invoice, client: client, event: event,
                since: try since.map { try parseBound($0, zone: zone, endOfDay: false, flag: "--since") },
                until: try until.map { try parseBound($0, zone: zone, endOfDay: true, flag: "--until") })
            let store = try openLedger(config)
            let out = Output()
            var rows: [[String]] = []
            if format == .csv { out.line("seq,at,as_of,event,invoice,client,stage,details,prev_hash,hash") }
            try store.auditEntries(filter) { entry in
                switch format {
                case .json: out.line(entry.displayJSONLineBytes())
                case .csv:
                    out.line([String(entry.seq), formatTimestamp(entry.at), entry.asOf.map(formatTimestamp) ?? "", entry.event,
                              entry.invoice ?? "", entry.client ?? "", entry.stage ?? "", entry.detailsJSON,
                              entry.prevHash, entry.hash].map(CSVCell.output).joined(separator: ","))
                case .table:
                    rows.append([String(entry.seq), formatTimestamp(entry.at), entry.event, entry.invoice ?? "-",
                                 entry.client ?? "-", entry.stage ?? "-", entry.detailsJSON == "{}" ? "" : entry.detailsJSON])
                }
            }
            if format == .table {
                for line in TextTable.lines(header: ["SEQ", "AT", "EVENT", "INVOICE", "CLIENT", "STAGE", "DETAILS"], rows: rows) {
                    out.line(line)
                }
            }
            out.flush()
        }
    }

    private func parseBound(_ text: String, zone: TimeZone, endOfDay: Bool, flag: String) throws -> Date {
        if let date = LocalDate(text) {
            let day = endOfDay ? date.adding(days: 1) : date
            let start = day.instant(at: LocalTime(secondsSinceMidnight: 0), in: zone)
            return endOfDay ? start.addingTimeInterval(-0.001) : start
        }
        guard let instant = parseTimestamp(text) else {
            throw OverdueError.usage("\(flag): \"\(text)\" is not YYYY-MM-DD or an RFC 3339 date-time with offset")
        }
        return instant
    }
}

/// RFC 4180 quoting, applied only when needed: for CSV that overdue reads back (`invoice add`).
/// CSV for people uses `CSVCell.output`, which also neutralises formulas.
func csvField(_ value: String) -> String { CSVCell.quoted(value) }

struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the hash chain of the audit trail: exit 0 if intact, 65 and the first bad entry if not.",
        discussion: """
            --witness SEQ:HASH (as an audit witness message to the owner states it) also checks that
            entry SEQ still has that hash: a trail rewritten after the witness was mailed fails here
            even when its links were recomputed.
            """
    )

    @OptionGroup var options: ConfigOption
    @Option(help: ArgumentHelp("Also check that entry SEQ still has HASH (from an audit witness message).",
                               valueName: "SEQ:HASH"))
    var witness: [String] = []

    func run() throws {
        try runReportingErrors {
            var expected: [Int64: String] = [:]
            for text in witness {
                let parts = text.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, let seq = Int64(parts[0]), seq > 0, parts[1].count == 64,
                      parts[1].allSatisfy(\.isHexDigit) else {
                    throw OverdueError.usage("--witness: \"\(text)\" is not SEQ:HASH (an entry number and 64 hex digits)")
                }
                expected[seq] = parts[1].lowercased()
            }
            let config = try loadConfig(options)
            let store = try openLedger(config)
            if let broken = try store.verifyAudit() {
                throw OverdueError.data("\(config.daemon.database): audit trail broken at seq \(broken.seq): \(broken.problem)")
            }
            var count = 0
            var found: [Int64: String] = [:]
            try store.auditEntries(AuditFilter()) { entry in
                count += 1
                if expected[entry.seq] != nil { found[entry.seq] = entry.hash }
            }
            for (seq, hash) in expected.sorted(by: { $0.key < $1.key }) where found[seq] != hash {
                throw OverdueError.data("\(config.daemon.database): audit entry \(seq) "
                    + (found[seq].map { "has hash \($0), not the witnessed \(hash): the trail was rewritten after the witness" }
                        ?? "is missing: the trail was cut after the witness"))
            }
            print("audit trail intact: \(count) entries" + (expected.isEmpty ? "" : "; \(expected.count) witnessed hash\(expected.count == 1 ? "" : "es") match"))
        }
    }
}
