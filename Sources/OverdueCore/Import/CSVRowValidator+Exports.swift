/// Reading accounting tools' exports: title rows before the header, an invoice's line items on
/// consecutive rows, status and type words that keep or skip a row, and a balance column.
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
