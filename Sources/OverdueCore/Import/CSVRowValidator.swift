/// Checks the header and each record of an import file against the column rules, turning
/// good records into `ImportRow`s and bad ones into `FILE:LINE: column: problem` lines.
/// The rules and the choices behind them are listed on `CSVImport`.
struct CSVRowValidator {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    let fileName: String
    let format: ImportFormat
    var problems = CSVProblems()
    /// Field index of each column in the header (indexed by `ImportFormat.Field.overdueColumns` order), -1 when absent.
    var index = [Int](repeating: -1, count: ImportFormat.Field.overdueColumns.count)
    var headerNames: [String] = []
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
    var columns = [Bytes?](repeating: nil, count: ImportFormat.Field.overdueColumns.count)
    /// The currency codes met so far (a few), so a row's code is compared, not looked up.
    var seenCurrencies: [(code: String, currency: Currency?)] = []

    // Export formats (see `ImportFormat`): the header is searched for, and more columns are read.
    /// Until the header row is found: rows before it are the export's title rows.
    var searchingHeader = false
    var firstRow: (line: Int, text: String)?
    /// Field index of `balance` and Xero's `Type`, -1 when absent.
    var balanceIndex = -1
    var typeIndex = -1
    /// How each column (by `ImportFormat.Field.overdueColumns` order) is named in messages: the file's own header name.
    var labels = ImportFormat.Field.overdueColumns.map(\.rawValue)
    var balanceLabel = "balance"
    /// The invoice of the rows just read: consecutive rows of one number are its line items.
    var group: (number: String, line: Int, outcome: GroupOutcome?)?
    enum GroupOutcome { case invoice(ImportRow), skipped(column: String, word: String) }
    lazy var statusWords = format.statusWords
    var hintedEncoding = false

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
