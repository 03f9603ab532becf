/// Checks the header and each record of an import file against the column rules, turning
/// good records into `ImportRow`s and bad ones into `FILE:LINE: column: problem` lines.
/// The rules and the choices behind them are listed on `CSVImport`.
struct CSVRowValidator {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    let fileName: String
    var problems = CSVProblems()
    /// Field index of each column in the header (indexed by `CSVColumn` order), -1 when absent.
    private var index = [Int](repeating: -1, count: CSVColumn.all.count)
    private var headerNames: [String] = []
    /// Invoice number → line of its first row.
    private var numbers: [String: Int] = [:]
    /// Client id → what its first row said, to hold later rows to it (and to skip re-validating
    /// the same address list a thousand times).
    private(set) var clients: [String: KnownClient] = [:]
    typealias KnownClient = (line: Int, name: String, rawEmails: String, emails: [String])
    /// Per-row scratch, kept to avoid an allocation per row.
    private var columns = [Bytes?](repeating: nil, count: CSVColumn.all.count)
    private var lastCurrency: (code: String, currency: Currency?)?

    init(fileName: String) {
        self.fileName = fileName
    }

    /// Every client the rows named, in id byte order.
    var importClients: [ImportClient] {
        clients.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { ImportClient(id: $0.key, name: $0.value.name, emails: $0.value.emails) }
    }

    // MARK: Header

    /// Maps column names to field positions; false (with problems recorded) when the header is unusable.
    mutating func readHeader(_ fields: [Bytes], line: Int, problem: CSVRecordReader.QuotingProblem?) -> Bool {
        if let problem {
            report(line, "header", problem.description)
            return false
        }
        var unknown: [String] = []
        for (position, field) in fields.enumerated() {
            if let textProblem = CSVField.textProblem(field) {
                report(line, "header", "column \(position + 1) \(textProblem.description)")
                continue
            }
            let name = CSVField.string(field)
            headerNames.append(name)
            guard let column = CSVColumn(rawValue: name) else {
                unknown.append(name)
                continue
            }
            if index[column.ordinal] >= 0 {
                report(line, name, "column appears more than once in the header")
            }
            index[column.ordinal] = position
        }
        guard problems.isEmpty else { return false }
        if unknown.count == fields.count {
            report(line, "header",
                         "the first line must name the columns (\(CSVColumn.allNames)); found \(quoted(headerNames.joined(separator: ",")))")
            return false
        }
        for name in unknown {
            report(line, quoted(name), "unknown column (the columns are \(CSVColumn.allNames))")
        }
        for column in CSVColumn.all where column.isRequired && index[column.ordinal] < 0 {
            report(line, column.rawValue, "required column is missing from the header")
        }
        headerNames = headerNames.count == fields.count ? headerNames : fields.indices.map { "column \($0 + 1)" }
        return problems.isEmpty
    }

    // MARK: Rows

    /// The row, or nil with its problems recorded.
    mutating func row(_ fields: [Bytes], line: Int, problem: CSVRecordReader.QuotingProblem?) -> ImportRow? {
        if let problem {
            report(line, columnName(at: problem.field), problem.description)
            return nil
        }
        guard fields.count == headerNames.count else {
            report(line, "row", "has \(fields.count) field\(fields.count == 1 ? "" : "s"), the header has \(headerNames.count)")
            return nil
        }
        let before = problems.total
        // The field of each column (by `CSVColumn` order): nil when absent or not clean text.
        var columns: [Bytes?] = []
        swap(&columns, &self.columns)   // borrow the scratch array without copying it
        defer { swap(&columns, &self.columns) }
        for column in CSVColumn.all {
            columns[column.ordinal] = nil
            let position = index[column.ordinal]
            guard position >= 0 else { continue }
            if let textProblem = CSVField.textProblem(fields[position], allowingWhitespace: column == .clientEmail) {
                report(line, column.rawValue, textProblem.description)
            } else {
                columns[column.ordinal] = fields[position]
            }
        }
        func absent(_ column: CSVColumn) -> Bool { index[column.ordinal] < 0 }

        var number: String?, clientID: String?, clientName: String?, emails: [String]?
        var issueDate: LocalDate?, dueDate: LocalDate?, currency: Currency?, amount: Int64?
        if let field = columns[CSVColumn.number.ordinal] { number = identifier(field, .number, line: line) }
        if let field = columns[CSVColumn.clientID.ordinal] { clientID = identifier(field, .clientID, line: line) }
        if let field = columns[CSVColumn.clientName.ordinal] { clientName = name(field, line: line) }
        let known = clientID.flatMap { clients[$0] }
        if let field = columns[CSVColumn.clientEmail.ordinal] { emails = emailList(field, known: known, line: line) }
        if let field = columns[CSVColumn.issueDate.ordinal] { issueDate = date(field, .issueDate, line: line) }
        if let field = columns[CSVColumn.dueDate.ordinal] { dueDate = date(field, .dueDate, line: line) }
        if let field = columns[CSVColumn.currency.ordinal] { currency = self.currency(field, line: line) }
        if let field = columns[CSVColumn.amount.ordinal] { amount = money(field, .amount, currency: currency, line: line) }
        var paid: Int64? = absent(.paid) ? 0 : nil
        if let field = columns[CSVColumn.paid.ordinal] { paid = field.isEmpty ? 0 : money(field, .paid, currency: currency, line: line) }
        var status: InvoiceStatus? = absent(.status) ? .open : nil
        if let field = columns[CSVColumn.status.ordinal] { status = invoiceStatus(field, line: line) }

        if let amount, amount <= 0 { report(line, "amount", "must be greater than 0") }
        if let amount, let paid, let currency, paid > amount {
            report(line, "paid", "\(Money.format(paid, digits: currency.minorDigits)) is more than the amount \(Money.format(amount, digits: currency.minorDigits))")
        }
        if let issueDate, let dueDate, dueDate < issueDate {
            report(line, "due_date", "\(dueDate) is before issue_date \(issueDate)")
        }
        // One hash per row in the usual case: insert, and put the first line back on a repeat.
        if let number, let first = numbers.updateValue(line, forKey: number) {
            numbers[number] = first
            report(line, "number", "invoice \(quoted(number)) appears twice (first on line \(first))")
        }
        if let clientID, let clientName, let emails {
            if let known {
                if known.name != clientName {
                    report(line, "client_name",
                                 "client \(quoted(clientID)) is named \(quoted(known.name)) on line \(known.line); every row of a client must agree")
                }
                if known.emails != emails {
                    report(line, "client_email",
                                 "client \(quoted(clientID)) has the addresses \(quoted(known.emails.joined(separator: ";"))) on line \(known.line); every row of a client must agree")
                }
            } else {
                clients[clientID] = (line, clientName, CSVField.string(columns[CSVColumn.clientEmail.ordinal]!), emails)
            }
        }

        guard problems.total == before, let number, let clientID, let clientName, let emails, let issueDate, let dueDate,
              let currency, let amount, let paid, let status else { return nil }
        return ImportRow(line: line, number: number, clientID: clientID, clientName: clientName, clientEmails: emails,
                         issueDate: issueDate, dueDate: dueDate, amount: Money(minorUnits: amount, currency: currency),
                         paid: Money(minorUnits: paid, currency: currency), status: status)
    }

    // MARK: Columns

    private mutating func identifier(_ field: Bytes, _ column: CSVColumn, line: Int) -> String? {
        guard !field.isEmpty else { return required(column, line: line) }
        if field.first == UInt8(ascii: " ") || field.last == UInt8(ascii: " ") {
            report(line, column.rawValue, "\(quoted(CSVField.string(field))) has leading or trailing spaces")
            return nil
        }
        return Identifier.nfc(CSVField.string(field))
    }

    private mutating func name(_ field: Bytes, line: Int) -> String? {
        let trimmed = CSVField.trimmingSpaces(field)
        guard !trimmed.isEmpty else { return required(.clientName, line: line) }
        return CSVField.string(trimmed)
    }

    private mutating func emailList(_ field: Bytes, known: KnownClient?, line: Int) -> [String]? {
        if let known, CSVField.equals(field, known.rawEmails) { return known.emails }
        var emails: [String] = []
        var valid = true
        var start = 0
        while start <= field.count {
            var end = start
            while end < field.count, field[end] != UInt8(ascii: ";") { end += 1 }
            let address = CSVField.trimmingSpaces(Bytes(rebasing: field[start..<end]), andLineBreaks: true)
            start = end + 1
            guard !address.isEmpty else { continue }
            let text = CSVField.string(address)
            guard Mailbox.isValidAddress(text) else {
                report(line, "client_email", MailboxError.badAddress(clip(text)).description)
                valid = false
                continue
            }
            if !emails.contains(text) { emails.append(text) }
        }
        guard valid else { return nil }
        guard !emails.isEmpty else { return required(.clientEmail, line: line) }
        return emails
    }

    private mutating func date(_ field: Bytes, _ column: CSVColumn, line: Int) -> LocalDate? {
        guard !field.isEmpty else { return required(column, line: line) }
        switch CSVField.date(field) {
        case .success(let date): return date
        case .failure(.notYYYYMMDD):
            report(line, column.rawValue, "\(quoted(CSVField.string(field))) is not a date in the form YYYY-MM-DD")
        case .failure(.notACalendarDate):
            report(line, column.rawValue, "\(quoted(CSVField.string(field))) is not a calendar date")
        case .failure(.outsideAccepted):
            report(line, column.rawValue, "\(quoted(CSVField.string(field))) \(LocalDate.outsideAcceptedProblem)")
        }
        return nil
    }

    private mutating func currency(_ field: Bytes, line: Int) -> Currency? {
        guard !field.isEmpty else { return required(.currency, line: line) }
        if let last = lastCurrency, CSVField.equals(field, last.code) { return last.currency ?? reportCurrency(last.code, line: line) }
        let code = CSVField.string(field)
        let currency = Currency(code: code)
        lastCurrency = (code, currency)
        return currency ?? reportCurrency(code, line: line)
    }

    private mutating func reportCurrency(_ code: String, line: Int) -> Currency? {
        if let upper = Currency(code: code.uppercased()) {
            report(line, "currency", "\(quoted(code)) must be written in upper case: \(upper.code)")
        } else {
            report(line, "currency", "\(quoted(code)) is not an ISO 4217 currency code")
        }
        return nil
    }

    /// Minor units; without a valid currency only the decimal form is checked (and nil returned).
    private mutating func money(_ field: Bytes, _ column: CSVColumn, currency: Currency?, line: Int) -> Int64? {
        guard !field.isEmpty else { return required(column, line: line) }
        if let currency, let units = CSVField.minorUnits(field, digits: currency.minorDigits) { return units }
        let text = clip(CSVField.string(field))
        let error: MoneyError?
        if let currency {
            if case .failure(let refusal) = Money.parse(text, currency: currency) { error = refusal } else { error = nil }
        } else {
            if case .failure(let refusal) = DecimalAmount.parse(text) { error = refusal } else { error = nil }
        }
        if let error { report(line, column.rawValue, error.description) }
        return nil
    }

    private mutating func invoiceStatus(_ field: Bytes, line: Int) -> InvoiceStatus? {
        guard !field.isEmpty else { return .open }
        if CSVField.equals(field, "open") { return .open }
        if CSVField.equals(field, "paid") { return .paid }
        if CSVField.equals(field, "cancelled") { return .cancelled }
        report(line, "status", "\(quoted(CSVField.string(field))) is not one of open, paid, cancelled")
        return nil
    }

    private mutating func required<T>(_ column: CSVColumn, line: Int) -> T? {
        report(line, column.rawValue, "is required")
        return nil
    }

    private mutating func report(_ line: Int, _ column: String, _ problem: String) {
        problems.add(fileName, line: line, column, problem)
    }

    private func columnName(at position: Int) -> String {
        position < headerNames.count ? headerNames[position] : "column \(position + 1)"
    }

    /// A value for a message: quoted, at most 60 characters.
    private func quoted(_ text: String) -> String { "\"\(clip(text).escapingControls())\"" }

    private func clip(_ text: String) -> String { text.count > 60 ? String(text.prefix(57)) + "..." : text }
}

extension CSVColumn {
    /// Position in `allCases`, for per-column arrays.
    var ordinal: Int {
        switch self {
        case .number: 0
        case .clientID: 1
        case .clientName: 2
        case .clientEmail: 3
        case .issueDate: 4
        case .dueDate: 5
        case .amount: 6
        case .currency: 7
        case .paid: 8
        case .status: 9
        }
    }
}
