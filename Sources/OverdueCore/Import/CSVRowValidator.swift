/// Checks the header and each record of an import file against the column rules, turning
/// good records into `ImportRow`s and bad ones into `FILE:LINE: column: problem` lines.
/// The rules and the choices behind them are listed on `CSVImport`.
struct CSVRowValidator {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    let fileName: String
    let format: ImportFormat
    var problems = CSVProblems()
    /// Field index of each column in the header (indexed by `ImportFormat.Field.overdueColumns` order), -1 when absent.
    private var index = [Int](repeating: -1, count: ImportFormat.Field.overdueColumns.count)
    private var headerNames: [String] = []
    /// Invoice number → line of its first row.
    private var numbers: [String: Int] = [:]

    /// Makes room for about `rows` invoice numbers at once, instead of growing the table (and
    /// hashing every number again) each time it fills.
    mutating func expect(rows: Int) {
        numbers.reserveCapacity(rows)
    }
    /// Client id → its place in `clients`: a row names its client by that number from here on
    /// (`rowClient`, the spill), so only this table hashes the id.
    private var clientIndex: [String: Int] = [:]
    /// What each client's first row said, in the order first seen, to hold later rows to it (and
    /// to skip re-validating the same address list a thousand times).
    private(set) var clients: [KnownClient] = []
    /// A class: a row's lookups read one field of it, with no copy of the others.
    final class KnownClient {
        let id: String
        let line: Int
        let name: String
        let rawEmails: String
        let emails: [String]

        init(id: String, line: Int, name: String, rawEmails: String, emails: [String]) {
            self.id = id
            self.line = line
            self.name = name
            self.rawEmails = rawEmails
            self.emails = emails
        }
    }
    /// The place in `clients` of the client of the row `row` returned last.
    private(set) var rowClient = -1
    /// Per-row scratch, kept to avoid an allocation per row.
    private var columns = [Bytes?](repeating: nil, count: ImportFormat.Field.overdueColumns.count)
    /// The currency codes met so far (a few), so a row's code is compared, not looked up.
    private var seenCurrencies: [(code: String, currency: Currency?)] = []

    // Export formats (see `ImportFormat`): the header is searched for, and more columns are read.
    /// Until the header row is found: rows before it are the export's title rows.
    private var searchingHeader = false
    private var firstRow: (line: Int, text: String)?
    /// Field index of `balance` and Xero's `Type`, -1 when absent.
    private var balanceIndex = -1
    private var typeIndex = -1
    /// How each column (by `ImportFormat.Field.overdueColumns` order) is named in messages: the file's own header name.
    private var labels = ImportFormat.Field.overdueColumns.map(\.rawValue)
    private var balanceLabel = "balance"
    /// The invoice of the rows just read: consecutive rows of one number are its line items.
    private var group: (number: String, line: Int, outcome: GroupOutcome?)?
    enum GroupOutcome { case invoice(ImportRow), skipped(column: String, word: String) }
    private lazy var statusWords = format.statusWords
    private var hintedEncoding = false

    init(fileName: String, format: ImportFormat = .overdue) {
        self.fileName = fileName
        self.format = format
    }

    /// Every client the rows named, in id byte order.
    var importClients: [ImportClient] {
        clients.sorted { Identifier.precedes($0.id, $1.id) }
            .map { ImportClient(id: $0.id, name: $0.name, emails: $0.emails) }
    }

    // MARK: Header

    /// Maps column names to field positions; false (with problems recorded) when the header is unusable.
    mutating func readHeader(_ fields: [Bytes], line: Int, problem: CSVRecordReader.QuotingProblem?) -> Bool {
        if format.readsExports {
            searchingHeader = true
            lookForHeader(fields, line: line, problem: problem)
            return true
        }
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
            guard let column = ImportFormat.Field(overdueColumn: ImportFormat.fold(name)) else {
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
                         "the first line must name the columns (\(ImportFormat.Field.overdueColumnNames)); found \(quoted(headerNames.joined(separator: ",")))")
            return false
        }
        for name in unknown {
            report(line, quoted(name), "unknown column (the columns are \(ImportFormat.Field.overdueColumnNames))")
        }
        for column in ImportFormat.Field.overdueColumns where column.isRequired && index[column.ordinal] < 0
            && !(column == .currency && format.currency != nil) {
            report(line, column.rawValue, "required column is missing from the header")
        }
        headerNames = headerNames.count == fields.count ? headerNames : fields.indices.map { "column \($0 + 1)" }
        return problems.isEmpty
    }

    // MARK: Rows

    /// The row, or nil with its problems recorded. Its client is `clients[rowClient]`; a row of a
    /// client met before is held to it and carries no addresses of its own (the spill keeps a row's
    /// client by number, and a store takes the clients from the check).
    mutating func row(_ fields: [Bytes], line: Int, problem: CSVRecordReader.QuotingProblem?) -> ImportRow? {
        if searchingHeader {
            lookForHeader(fields, line: line, problem: problem)
            return nil
        }
        if let problem {
            report(line, columnName(at: problem.field), problem.description)
            return nil
        }
        let exports = format.readsExports
        if exports, isNotAnInvoice(fields) { return nil }
        guard fields.count == headerNames.count else {
            report(line, "row", "has \(fields.count) field\(fields.count == 1 ? "" : "s"), the header has \(headerNames.count)")
            return nil
        }
        let before = problems.total
        // The field of each column (by `ImportFormat.Field.overdueColumns` order): nil when absent or not clean text.
        var columns: [Bytes?] = []
        swap(&columns, &self.columns)   // borrow the scratch array without copying it
        defer { swap(&columns, &self.columns) }
        for column in ImportFormat.Field.overdueColumns {
            columns[column.ordinal] = nil
            let position = index[column.ordinal]
            guard position >= 0 else { continue }
            if let textProblem = CSVField.textProblem(fields[position], allowingWhitespace: column == .clientEmail) {
                report(line, label(column), describe(textProblem, fields[position]))
            } else {
                columns[column.ordinal] = fields[position]
            }
        }
        func absent(_ column: ImportFormat.Field) -> Bool { index[column.ordinal] < 0 }

        var number: String?, clientID: String?, clientName: String?, emails: [String]?
        var issueDate: LocalDate?, dueDate: LocalDate?, currency: Currency?, amount: Int64?
        if let field = columns[ImportFormat.Field.number.ordinal] {
            number = identifier(exports ? CSVField.trimmingSpaces(field) : field, .number, line: line)
        }
        var meaning = ImportFormat.StatusMeaning.open
        if exports {
            // Skipped rows (drafts, bills, credit notes) are not read further: they need not be complete.
            guard problems.total == before, let number, let found = exportMeaning(fields, columns, line: line) else { return nil }
            switch found {
            case .keep(let kept): meaning = kept
            case .skip(let column, let word):
                _ = continueGroup(number, line: line, .skipped(column: column, word: word))
                return nil
            }
        }
        let continues = exports && group?.number == number
        if let field = columns[ImportFormat.Field.clientID.ordinal] { clientID = identifier(field, .clientID, line: line) }
        if let field = columns[ImportFormat.Field.clientName.ordinal] { clientName = name(field, line: line) }
        if absent(.clientID), format.clientKey == .name, let clientName { clientID = Identifier.nfc(clientName) }
        var known = clientID.flatMap { clientIndex[$0] }
        // The same bytes as the client's first row gave: the same addresses, not read again.
        var sameEmails = false
        if let field = columns[ImportFormat.Field.clientEmail.ordinal] {
            if let known, CSVField.equals(field, clients[known].rawEmails) {
                sameEmails = true
            } else {
                emails = emailList(field, line: line)
            }
        }
        if absent(.clientID), format.clientKey == .email, let first = emails?.first {
            clientID = Identifier.nfc(first.lowercased())
            known = clientIndex[clientID!]
        }
        if let field = columns[ImportFormat.Field.issueDate.ordinal] { issueDate = date(field, .issueDate, line: line) }
        if let field = columns[ImportFormat.Field.dueDate.ordinal] { dueDate = date(field, .dueDate, line: line) }
        if absent(.currency) { currency = format.currency }
        if let field = columns[ImportFormat.Field.currency.ordinal] { currency = self.currency(exports ? CSVField.trimmingSpaces(field) : field, line: line) }
        if let field = columns[ImportFormat.Field.amount.ordinal] { amount = money(field, .amount, currency: currency, line: line) }
        var paid: Int64? = absent(.paid) ? 0 : nil
        if let field = columns[ImportFormat.Field.paid.ordinal] {
            paid = (exports ? CSVField.trimmingSpaces(field) : field).isEmpty ? 0 : money(field, .paid, currency: currency, line: line)
        }
        var status: InvoiceStatus? = absent(.status) ? .open : nil
        if exports {
            status = meaning == .paid ? .paid : meaning == .cancelled ? .cancelled : .open
        } else if let field = columns[ImportFormat.Field.status.ordinal] {
            status = invoiceStatus(field, line: line)
        }

        if let amount, amount <= 0 { report(line, label(.amount), "must be greater than 0") }
        if let paid, paid < 0 { report(line, label(.paid), "must not be negative") }
        if balanceIndex >= 0, let amount, let currency {
            paid = balance(fields[balanceIndex], amount: amount, currency: currency, line: line)
        }
        if let amount, let paid, let currency, paid > amount {
            report(line, label(.paid), "\(Money.format(paid, digits: currency.minorDigits)) is more than the amount \(Money.format(amount, digits: currency.minorDigits))")
        }
        if let issueDate, let dueDate, dueDate < issueDate {
            report(line, label(.dueDate), "\(dueDate) is before \(label(.issueDate)) \(issueDate)")
        }
        // One hash per row in the usual case: insert, and put the first line back on a repeat.
        if !continues, let number, let first = numbers.updateValue(line, forKey: number) {
            numbers[number] = first
            report(line, label(.number), "invoice \(quoted(number)) appears twice (first on line \(first))"
                   + (exports ? "; the rows of one invoice must follow one another" : ""))
        }
        if let clientID, let clientName, sameEmails || emails != nil {
            if let index = known {
                if clients[index].name != clientName {
                    report(line, label(.clientName),
                                 "client \(quoted(clientID)) is named \(quoted(clients[index].name)) on line \(clients[index].line); every row of a client must agree")
                }
                if !sameEmails, clients[index].emails != emails {
                    report(line, label(.clientEmail),
                                 "client \(quoted(clientID)) has the addresses \(quoted(clients[index].emails.joined(separator: ";"))) on line \(clients[index].line); every row of a client must agree")
                }
            } else {
                known = clients.count
                clientIndex[clientID] = clients.count
                clients.append(KnownClient(id: clientID, line: line, name: clientName,
                                           rawEmails: CSVField.string(columns[ImportFormat.Field.clientEmail.ordinal]!), emails: emails ?? []))
            }
        }

        guard problems.total == before, let number, let clientID, let clientName, sameEmails || emails != nil, let issueDate,
              let dueDate, let currency, let amount, let paid, let status, let known else {
            if exports, let number, !continues { group = (number, line, nil) }
            return nil
        }
        rowClient = known
        let row = ImportRow(line: line, number: number, clientID: clientID, clientName: clientName, clientEmails: emails ?? [],
                            issueDate: issueDate, dueDate: dueDate, amount: Money(minorUnits: amount, currency: currency),
                            paid: Money(minorUnits: paid, currency: currency), status: status)
        guard exports else { return row }
        return continueGroup(number, line: line, .invoice(row))
    }

    // MARK: Columns

    private mutating func identifier(_ field: Bytes, _ column: ImportFormat.Field, line: Int) -> String? {
        guard !field.isEmpty else { return required(column, line: line) }
        if field.first == UInt8(ascii: " ") || field.last == UInt8(ascii: " ") {
            report(line, label(column), "\(quoted(CSVField.string(field))) has leading or trailing spaces")
            return nil
        }
        return Identifier.nfc(CSVField.string(field))
    }

    private mutating func name(_ field: Bytes, line: Int) -> String? {
        let trimmed = CSVField.trimmingSpaces(field)
        guard !trimmed.isEmpty else { return required(.clientName, line: line) }
        return CSVField.string(trimmed)
    }

    private mutating func emailList(_ field: Bytes, line: Int) -> [String]? {
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
                report(line, label(.clientEmail), MailboxError.badAddress(clip(text)).description)
                valid = false
                continue
            }
            if !emails.contains(text) { emails.append(text) }
        }
        guard valid else { return nil }
        guard !emails.isEmpty else { return required(.clientEmail, line: line) }
        return emails
    }

    private mutating func date(_ field: Bytes, _ column: ImportFormat.Field, line: Int) -> LocalDate? {
        guard !(format.readsExports ? CSVField.trimmingSpaces(field) : field).isEmpty else { return required(column, line: line) }
        var parsed = CSVField.date(field)
        if case .failure = parsed, format.readsExports || format.dateOrder != .yearMonthDay {
            parsed = ExportDate.parse(CSVField.string(field), order: format.dateOrder)
        }
        switch parsed {
        case .success(let date): return date
        case .failure(.notYYYYMMDD):
            let text = CSVField.string(field)
            let hint = format.dateOrder == .yearMonthDay && text.prefix(3).contains(where: { $0 == "/" || $0 == "." })
                ? " (set [import] date_format = \"DD/MM/YYYY\" or \"MM/DD/YYYY\" for other orders)" : ""
            report(line, label(column), "\(quoted(text)) is not a date in the form \(format.dateOrder.rawValue)\(hint)")
        case .failure(.notACalendarDate):
            report(line, label(column), "\(quoted(CSVField.string(field))) is not a calendar date")
        case .failure(.outsideAccepted):
            report(line, label(column), "\(quoted(CSVField.string(field))) \(LocalDate.outsideAcceptedProblem)")
        }
        return nil
    }

    private mutating func currency(_ field: Bytes, line: Int) -> Currency? {
        guard !field.isEmpty else { return required(.currency, line: line) }
        for seen in seenCurrencies where CSVField.equals(field, seen.code) { return seen.currency ?? reportCurrency(seen.code, line: line) }
        let code = CSVField.string(field)
        let currency = Currency(code: code)
        if seenCurrencies.count < 8 { seenCurrencies.append((code, currency)) }
        return currency ?? reportCurrency(code, line: line)
    }

    private mutating func reportCurrency(_ code: String, line: Int) -> Currency? {
        if let upper = Currency(code: code.uppercased()) {
            report(line, label(.currency), "\(quoted(code)) must be written in upper case: \(upper.code)")
        } else {
            report(line, label(.currency), "\(quoted(code)) is not an ISO 4217 currency code")
        }
        return nil
    }

    /// Minor units; without a valid currency only the decimal form is checked (and nil returned).
    private mutating func money(_ field: Bytes, _ column: ImportFormat.Field, currency: Currency?, line: Int) -> Int64? {
        guard !field.isEmpty else { return required(column, line: line) }
        if let currency, let units = CSVField.minorUnits(field, digits: currency.minorDigits) { return units }
        if format.readsExports { return exportMoney(CSVField.string(field), label(column), currency: currency, line: line) }
        let text = clip(CSVField.string(field))
        let error: MoneyError?
        if let currency {
            if case .failure(let refusal) = Money.parse(text, currency: currency) { error = refusal } else { error = nil }
        } else {
            if case .failure(let refusal) = DecimalAmount.parse(text) { error = refusal } else { error = nil }
        }
        if let error { report(line, label(column), error.description) }
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

    private mutating func required<T>(_ column: ImportFormat.Field, line: Int) -> T? {
        report(line, label(column), "is required")
        return nil
    }

    /// How `column` is named in messages: as the file's header names it.
    private func label(_ column: ImportFormat.Field) -> String { labels[column.ordinal] }

    /// A field's text problem; for the first bytes that are not UTF-8, what the file probably is instead.
    private mutating func describe(_ problem: CSVField.TextProblem, _ field: Bytes) -> String {
        guard case .invalidUTF8 = problem, !hintedEncoding, let hint = ExportEncoding.hint(field, fileName: fileName) else {
            return problem.description
        }
        hintedEncoding = true
        return "\(problem.description): \(hint)"
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

extension ImportFormat.Field {
    /// Position in `overdueColumns`, for per-column arrays (an export's `balance` and `type` after them).
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
        case .balance: 10
        case .type: 11
        }
    }
}

// MARK: - Export formats

extension CSVRowValidator {
    /// What an export row's status and type say: keep it with this meaning, or skip it.
    enum ExportDecision { case keep(ImportFormat.StatusMeaning), skip(column: String, word: String) }

    /// Takes the row as the header when it holds every name the format needs (compared without
    /// regard to case and surrounding spaces); any row before that is a title row and skipped.
    mutating func lookForHeader(_ fields: [Bytes], line: Int, problem: CSVRecordReader.QuotingProblem?) {
        let names = fields.map { CSVField.textProblem($0) == nil ? CSVField.string($0) : "" }
        if firstRow == nil {
            let text = names.joined(separator: ",")
            firstRow = (line, text)
        }
        guard problem == nil else { return }
        let keys = names.map(format.headerKey)
        let (mapped, required) = format.headerNames
        guard required.allSatisfy({ keys.contains(format.headerKey(mapped[$0]!)) }) else { return }
        searchingHeader = false
        headerNames = names
        for (field, name) in mapped.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let positions = keys.indices.filter { keys[$0] == format.headerKey(name) }
            guard let position = positions.first else { continue }
            if positions.count > 1 { report(line, name, "column appears more than once in the header") }
            switch field {
            case .balance: (balanceIndex, balanceLabel) = (position, names[position])
            case .type: typeIndex = position
            default:
                guard let column = ImportFormat.Field(overdueColumn: field.rawValue) else { continue }
                index[column.ordinal] = position
                labels[column.ordinal] = names[position]
            }
        }
        // With a balance, `paid` is what the balance leaves of the amount (Xero has both).
        if balanceIndex >= 0 { index[ImportFormat.Field.paid.ordinal] = -1 }
        if index[ImportFormat.Field.currency.ordinal] < 0, format.currency == nil {
            report(line, "header", "the file has no currency column: set [import] currency (or map currency in [import.columns])")
        }
    }

    /// After the last row: a file whose header was never found is refused.
    mutating func finish() {
        guard searchingHeader else { return }
        let (mapped, required) = format.headerNames
        let wanted = required.compactMap { mapped[$0] }.sorted().joined(separator: ", ")
        let first = firstRow.map { "; its first row is \(quoted($0.text))" } ?? ""
        let source = format.kind == .xero ? "the columns of Xero's invoice export" : "the columns of [import.columns]"
        report(firstRow?.line ?? 1, "header", "no row names \(source) (\(wanted))\(first)")
    }

    /// Rows of an export that are no invoice, skipped: a row of empty cells; a row with neither
    /// an invoice number nor an amount (a group heading such as a customer's name, the report's
    /// date at the foot); and a totals row, whose number is empty and whose first non-empty
    /// cell begins with "Total" in any case ("TOTAL", "Total for Acme Ltd"). Any other row
    /// without a number is an invoice row missing its number, and an error.
    func isNotAnInvoice(_ fields: [Bytes]) -> Bool {
        func isEmpty(_ position: Int) -> Bool { position < 0 || position >= fields.count || CSVField.trimmingSpaces(fields[position]).isEmpty }
        guard isEmpty(index[ImportFormat.Field.number.ordinal]) else { return false }
        if isEmpty(index[ImportFormat.Field.amount.ordinal]) { return true }
        guard let first = fields.first(where: { !CSVField.trimmingSpaces($0).isEmpty }) else { return true }
        let text = CSVField.trimmingSpaces(first)
        return text.count >= 5 && CSVField.string(Bytes(rebasing: text[0..<5])).lowercased() == "total"
    }

    /// The row's status (and Xero's type): nil after a reported problem.
    mutating func exportMeaning(_ fields: [Bytes], _ columns: [Bytes?], line: Int) -> ExportDecision? {
        if typeIndex >= 0 {
            guard CSVField.textProblem(fields[typeIndex]) == nil else { return nil }
            let type = CSVField.string(fields[typeIndex])
            if !ImportFormat.xeroSalesTypes.contains(ImportFormat.fold(type)) { return .skip(column: headerNames[typeIndex], word: type) }
        }
        guard index[ImportFormat.Field.status.ordinal] >= 0 else { return .keep(.open) }
        guard let field = columns[ImportFormat.Field.status.ordinal] else { return nil }
        let word = CSVField.string(field)
        let folded = ImportFormat.fold(word)
        if folded.isEmpty { return .keep(.open) }
        guard let meaning = statusWords[folded] else {
            let known = statusWords.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            report(line, label(.status), "\(quoted(word)) is not a status of this format (known: \(known)); map it in [import.status]")
            return nil
        }
        return meaning == .skip ? .skip(column: label(.status), word: word) : .keep(meaning)
    }

    /// Folds consecutive rows of one invoice (line items) into the first: that row is the
    /// invoice, and every later one must say the same of it, or both lines are named. A number
    /// seen again after other invoices is a repeat, reported as in format overdue.
    mutating func continueGroup(_ number: String, line: Int, _ outcome: GroupOutcome) -> ImportRow? {
        guard let group, group.number == number else {
            self.group = (number, line, outcome)
            if case .invoice(let row) = outcome { return row }
            return nil
        }
        guard let first = group.outcome else { return nil }
        func disagree(_ column: String, _ was: String, _ now: String) {
            report(line, column, "invoice \(quoted(number)) has \(quoted(was)) on line \(group.line) and \(quoted(now)) on line \(line); the rows of one invoice must agree")
        }
        switch (first, outcome) {
        case (.skipped(let column, let was), .skipped(_, let now)):
            if ImportFormat.fold(was) != ImportFormat.fold(now) { disagree(column, was, now) }
        case (.skipped(let column, let was), .invoice):
            disagree(column, was, column == label(.status) ? "an open status" : "a sales invoice")
        case (.invoice, .skipped(let column, let now)):
            disagree(column, column == label(.status) ? "an open status" : "a sales invoice", now)
        case (.invoice(let a), .invoice(let b)):
            if a.clientID != b.clientID { disagree(index[ImportFormat.Field.clientID.ordinal] >= 0 ? label(.clientID) : label(.clientName), a.clientID, b.clientID) }
            if a.issueDate != b.issueDate { disagree(label(.issueDate), "\(a.issueDate)", "\(b.issueDate)") }
            if a.dueDate != b.dueDate { disagree(label(.dueDate), "\(a.dueDate)", "\(b.dueDate)") }
            if a.amount != b.amount { disagree(label(.amount), a.amount.description, b.amount.description) }
            if a.paid != b.paid {
                disagree(balanceIndex >= 0 ? balanceLabel : label(.paid), a.paid.description + " paid", b.paid.description + " paid")
            }
            if a.status != b.status { disagree(label(.status), a.status.rawValue, b.status.rawValue) }
        }
        return nil
    }

    /// An amount as exports write it (see `ExportAmount`), in minor units; negative when written so.
    mutating func exportMoney(_ text: String, _ column: String, currency: Currency?, line: Int) -> Int64? {
        switch ExportAmount.parse(text, digits: currency?.minorDigits ?? 2) {
        case .failure(let problem):
            report(line, column, problem.description)
            return nil
        case .success(let parsed):
            guard let currency else { return nil }
            if let unit = parsed.unit, !ExportAmount.unit(unit, fits: currency) {
                report(line, column, "\(quoted(text)) is in \(unit), but the invoice's currency is \(currency.code)")
                return nil
            }
            switch Money.parse(parsed.decimal, currency: currency) {
            case .failure(let error):
                report(line, column, error.description)
                return nil
            case .success(let money): return parsed.negative ? -money.minorUnits : money.minorUnits
            }
        }
    }

    /// `paid` from a balance column: the amount less what is still owed.
    mutating func balance(_ field: Bytes, amount: Int64, currency: Currency, line: Int) -> Int64? {
        if let problem = CSVField.textProblem(field) {
            report(line, balanceLabel, describe(problem, field))
            return nil
        }
        guard !CSVField.trimmingSpaces(field).isEmpty else {
            report(line, balanceLabel, "is required")
            return nil
        }
        let owed = CSVField.minorUnits(field, digits: currency.minorDigits)
            ?? exportMoney(CSVField.string(field), balanceLabel, currency: currency, line: line)
        guard let owed else { return nil }
        guard owed >= 0 else {
            report(line, balanceLabel, "must not be negative")
            return nil
        }
        guard owed <= amount else {
            report(line, balanceLabel, "\(Money.format(owed, digits: currency.minorDigits)) is more than the amount \(Money.format(amount, digits: currency.minorDigits))")
            return nil
        }
        return amount - owed
    }
}
