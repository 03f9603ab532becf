import Foundation

/// Why a CSV file was refused: every problem found, one line each, formatted
/// `FILE:LINE: column: problem` (LINE is where the record starts). At most
/// `CSVImport.problemLimit` problems are listed, then a line `… and N more problems`.
public struct CSVImportFailure: Error, Sendable, Equatable {
    public var problems: [String]
    /// How many problems were found, including those left out of `problems`.
    public var total: Int

    public init(problems: [String], total: Int) {
        self.problems = problems
        self.total = total
    }
}

/// Reads an invoice CSV (the spec's "CSV import") into validated rows.
///
/// All-or-nothing: either every row is valid and all are returned, or none are and every
/// problem is. Decisions where the spec is silent:
/// - The header names columns exactly (lower case, as in the spec); an unknown or repeated
///   column is an error, so a typo (`due-date`) is never silently ignored.
/// - Blank lines are skipped; a UTF-8 byte order mark at the start is allowed.
/// - `number` and `client_id` are identifiers: leading or trailing spaces are an error rather
///   than trimmed, so `INV-1 ` can neither silently match nor silently differ from `INV-1`.
///   `client_name` is display text: surrounding spaces are trimmed.
/// - `client_email`: addresses separated by `;`, spaces, tabs and line breaks around each
///   trimmed (a quoted cell may hold one address per line), empty entries (`a@x.example;`)
///   ignored, exact repeats dropped; at least one address is required.
/// - No other field may contain a control character (C0, DEL, C1 incl. U+0085, U+2028, U+2029),
///   tab included, nor may an address; dates, amounts, currency and status are never trimmed.
/// - Every row of one client must give the same name and addresses: a file that disagrees with
///   itself is refused (naming the line that said otherwise) rather than guessing which is right.
/// - `paid` and `status` may be absent or empty: 0 and `open`.
public enum CSVImport {
    public static let problemLimit = 100

    public static func parse(_ bytes: [UInt8], fileName: String, format: ImportFormat = .overdue) -> Result<[ImportRow], CSVImportFailure> {
        bytes.withUnsafeBufferPointer { parse($0, fileName: fileName, format: format) }
    }

    public static func parse(_ data: Data, fileName: String, format: ImportFormat = .overdue) -> Result<[ImportRow], CSVImportFailure> {
        data.withUnsafeBytes { parse($0.bindMemory(to: UInt8.self), fileName: fileName, format: format) }
    }
}

/// The columns of format `overdue` are fields of every import format: the spec's ten, without
/// an export's `balance` and `type`.
extension ImportFormat.Field {
    /// In the spec's order, built once (it is read for every row).
    static let overdueColumns: [Self] = [.number, .clientID, .clientName, .clientEmail, .issueDate, .dueDate, .amount, .currency,
                                         .paid, .status]
    static let overdueColumnNames = overdueColumns.map(\.rawValue).joined(separator: ", ")

    /// The column of format `overdue` that `name` names exactly; nil for any other name.
    init?(overdueColumn name: String) {
        guard let field = Self(rawValue: name), field.ordinal < Self.overdueColumns.count else { return nil }
        self = field
    }

    /// Whether format `overdue`'s header must have the column (`balance` and `type` are none of its columns).
    var isRequired: Bool {
        switch self {
        case .paid, .status, .balance, .type: false
        default: true
        }
    }
}

/// Collects problems up to the limit, counting the rest.
struct CSVProblems {
    private(set) var lines: [String] = []
    private(set) var total = 0

    var isEmpty: Bool { total == 0 }

    mutating func add(_ file: String, line: Int, _ column: String, _ problem: @autoclosure () -> String) {
        total += 1
        if lines.count < CSVImport.problemLimit { lines.append("\(file):\(line): \(column): \(problem())") }
    }

    var failure: CSVImportFailure {
        var listed = lines
        if total > lines.count { listed.append("… and \(total - lines.count) more problems") }
        return CSVImportFailure(problems: listed, total: total)
    }
}
