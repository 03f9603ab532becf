import Foundation

/// One line of a payment file, checked for form only: which invoice it names, and so the
/// currency its amount is in, is the ledger's to say (`PaymentFile.resolve`).
public struct PaymentLine: Hashable, Sendable {
    public var line: Int
    public var invoice: String
    public var amount: DecimalAmount
    public var date: LocalDate
    /// The bank's reference; "" when the file has none.
    public var reference: String

    public init(line: Int, invoice: String, amount: DecimalAmount, date: LocalDate, reference: String = "") {
        self.line = line
        self.invoice = invoice
        self.amount = amount
        self.date = date
        self.reference = reference
    }
}

/// What makes two payments the same one: a bank export dropped twice must not pay twice.
public struct PaymentIdentity: Hashable, Sendable {
    public var invoice: String
    public var date: LocalDate
    public var minorUnits: Int64
    public var reference: String

    public init(invoice: String, date: LocalDate, minorUnits: Int64, reference: String) {
        self.invoice = invoice
        self.date = date
        self.minorUnits = minorUnits
        self.reference = reference
    }
}

/// A payment the ledger accepted from a file, in the invoice's currency.
public struct NewPayment: Hashable, Sendable {
    public var line: Int
    public var amount: Money
    public var identity: PaymentIdentity

    public var invoice: String { identity.invoice }
}

/// What a payment file does to the ledger: the payments to record, and how many lines were
/// already recorded (by an earlier import or earlier in the same file).
public struct PaymentPlan: Sendable, Equatable {
    public var payments: [NewPayment]
    public var alreadyRecorded: Int
}

/// Reads a payment file (`invoice, amount, date[, reference]`) and checks it against the ledger.
///
/// All-or-nothing like the invoice import: every problem is listed as `FILE:LINE: column: problem`
/// and none of the file is recorded. Decisions where the spec is silent:
/// - The header names the columns exactly, in any order; `reference` may be absent or empty.
/// - A payment's identity is invoice + date + amount (in minor units, so `10.5` and `10.50` are
///   one payment) + reference: the same line twice, in one file or across imports, is one payment.
///   Two genuinely separate payments of the same amount on the same day need distinct references.
/// - An overpayment is checked against the balance (amount + charged fees - paid) less the file's
///   earlier payments to the same invoice, so a file cannot overpay in two halves.
/// - A cancelled invoice takes no payment; a paid, escalated or written-off one takes up to its
///   balance, as `invoice pay` does.
public enum PaymentFile {
    public static let requiredColumns = ["invoice", "amount", "date"]
    public static let columns = requiredColumns + ["reference"]

    /// True when the first record names the payment columns (and no invoice-file column), so a
    /// watched folder can tell a payment file from an invoice file by its header alone.
    public static func hasPaymentHeader(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = CSVRecordReader(buffer)
            guard let header = reader.next(), header.problem == nil else { return false }
            let names = Set(reader.fields.map { CSVField.string($0) })
            return Set(requiredColumns).isSubset(of: names) && names.isSubset(of: Set(columns))
        }
    }

    /// The file's lines, or every problem of form (header, quoting, dates, decimals, text).
    public static func parse(_ bytes: [UInt8], fileName: String) -> Result<[PaymentLine], CSVImportFailure> {
        bytes.withUnsafeBufferPointer { buffer in
            var problems = CSVProblems()
            var reader = CSVRecordReader(buffer)
            let expected = columns.joined(separator: ", ")
            guard let header = reader.next() else {
                problems.add(fileName, line: 1, "header", "the file is empty; the first line must name the columns (\(expected))")
                return .failure(problems.failure)
            }
            if let problem = header.problem {
                problems.add(fileName, line: header.line, "header", problem.description)
                return .failure(problems.failure)
            }
            var index: [String: Int] = [:]
            let names = reader.fields.map { CSVField.textProblem($0) == nil ? CSVField.string($0) : "?" }
            for (position, name) in names.enumerated() {
                if !columns.contains(name) {
                    problems.add(fileName, line: header.line, "\"\(name.escapingControls())\"", "unknown column (the columns are \(expected))")
                } else if index[name] != nil {
                    problems.add(fileName, line: header.line, name, "column appears more than once in the header")
                } else {
                    index[name] = position
                }
            }
            for name in requiredColumns where index[name] == nil {
                problems.add(fileName, line: header.line, name, "required column is missing from the header")
            }
            guard problems.isEmpty else { return .failure(problems.failure) }

            var lines: [PaymentLine] = []
            while let record = reader.next() {
                let fields = reader.fields
                if let problem = record.problem {
                    let column = problem.field < names.count ? names[problem.field] : "column \(problem.field + 1)"
                    problems.add(fileName, line: record.line, column, problem.description)
                    continue
                }
                guard fields.count == names.count else {
                    problems.add(fileName, line: record.line, "row", "has \(fields.count) field\(fields.count == 1 ? "" : "s"), the header has \(names.count)")
                    continue
                }
                let before = problems.total
                var text: [String: String] = [:]
                for (name, position) in index {
                    if let problem = CSVField.textProblem(fields[position]) {
                        problems.add(fileName, line: record.line, name, problem.description)
                    } else {
                        text[name] = CSVField.string(fields[position])
                    }
                }
                var invoice: String?, amount: DecimalAmount?, date: LocalDate?
                if let value = text["invoice"] {
                    if value.isEmpty {
                        problems.add(fileName, line: record.line, "invoice", "is required")
                    } else if value.first == " " || value.last == " " {
                        problems.add(fileName, line: record.line, "invoice", "\(quoted(value)) has leading or trailing spaces")
                    } else {
                        invoice = Identifier.nfc(value)
                    }
                }
                if let value = text["amount"] {
                    switch DecimalAmount.parse(value) {
                    case .success(let parsed) where parsed.digits > 0: amount = parsed
                    case .success: problems.add(fileName, line: record.line, "amount", "\(quoted(value)) must be greater than 0")
                    case .failure(let error):
                        problems.add(fileName, line: record.line, "amount", value.isEmpty ? "is required" : error.description)
                    }
                }
                if let value = text["date"] {
                    let field = Array(value.utf8)
                    switch field.withUnsafeBufferPointer({ CSVField.date($0) }) {
                    case .success(let parsed): date = parsed
                    case .failure(.notYYYYMMDD):
                        problems.add(fileName, line: record.line, "date", value.isEmpty ? "is required" : "\(quoted(value)) is not a date in the form YYYY-MM-DD")
                    case .failure(.notACalendarDate):
                        problems.add(fileName, line: record.line, "date", "\(quoted(value)) is not a calendar date")
                    case .failure(.outsideAccepted):
                        problems.add(fileName, line: record.line, "date", "\(quoted(value)) \(LocalDate.outsideAcceptedProblem)")
                    }
                }
                let reference = (text["reference"] ?? "").trimmingCharacters(in: .whitespaces)
                guard problems.total == before, let invoice, let amount, let date else { continue }
                lines.append(PaymentLine(line: record.line, invoice: invoice, amount: amount, date: date, reference: reference))
            }
            return problems.isEmpty ? .success(lines) : .failure(problems.failure)
        }
    }

    /// Checks each line against the ledger: the invoice must exist and not be cancelled, the
    /// amount must be exact in its currency and, with the file's earlier payments to it, not
    /// exceed its balance. `invoice` and `isRecorded` read the ledger (inside the transaction
    /// that will record the result, so nothing changes in between).
    public static func resolve(_ lines: [PaymentLine], fileName: String,
                               invoice: (String) throws -> Invoice?,
                               isRecorded: (PaymentIdentity) throws -> Bool) throws -> Result<PaymentPlan, CSVImportFailure> {
        var problems = CSVProblems()
        var invoices: [String: Invoice?] = [:]
        var seen = Set<PaymentIdentity>()
        var paidInFile: [String: Int64] = [:]
        var plan = PaymentPlan(payments: [], alreadyRecorded: 0)
        for line in lines {
            let found: Invoice?
            if let cached = invoices[line.invoice] { found = cached } else {
                found = try invoice(line.invoice)
                invoices[line.invoice] = found
            }
            guard let found else {
                problems.add(fileName, line: line.line, "invoice", "\(quoted(line.invoice)) is not in the ledger")
                continue
            }
            guard found.status != .cancelled else {
                problems.add(fileName, line: line.line, "invoice", "\(quoted(line.invoice)) is cancelled; payments cannot be recorded")
                continue
            }
            let units: Int64
            switch line.amount.minorUnits(in: found.currency) {
            case .success(let value): units = value
            case .failure(let error):
                problems.add(fileName, line: line.line, "amount", "\(error.description) (invoice \(line.invoice) is in \(found.currency.code))")
                continue
            }
            let identity = PaymentIdentity(invoice: line.invoice, date: line.date, minorUnits: units, reference: line.reference)
            guard !seen.contains(identity) else {
                plan.alreadyRecorded += 1
                continue
            }
            seen.insert(identity)
            if try isRecorded(identity) {
                plan.alreadyRecorded += 1
                continue
            }
            let earlier = paidInFile[line.invoice, default: 0]
            let left = found.balance.minorUnits.saturatingAdding(-earlier)
            let amount = Money(minorUnits: units, currency: found.currency)
            guard units <= left else {
                let owed = Money(minorUnits: max(left, 0), currency: found.currency)
                problems.add(fileName, line: line.line, "amount", left <= 0
                    ? "invoice \(line.invoice) is already paid in full\(earlier > 0 ? " by the file's earlier lines" : ""); \(amount) would overpay it"
                    : "\(amount) exceeds the balance \(owed) of invoice \(line.invoice)\(earlier > 0 ? " left after the file's earlier lines" : "") (an overpayment)")
                continue
            }
            paidInFile[line.invoice] = earlier + units
            plan.payments.append(NewPayment(line: line.line, amount: amount, identity: identity))
        }
        return problems.isEmpty ? .success(plan) : .failure(problems.failure)
    }

    private static func quoted(_ text: String) -> String {
        "\"\((text.count > 60 ? String(text.prefix(57)) + "..." : text).escapingControls())\""
    }
}
