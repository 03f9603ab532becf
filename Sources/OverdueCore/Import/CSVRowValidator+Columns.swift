/// How each column's text is read: identifiers, names, addresses, dates, currencies, amounts and
/// statuses, each problem reported with the row's line and the column as the file names it.
extension CSVRowValidator {
    mutating func identifier(_ field: Bytes, _ column: ImportFormat.Field, line: Int) -> String? {
        guard !field.isEmpty else { return required(column, line: line) }
        if field.first == UInt8(ascii: " ") || field.last == UInt8(ascii: " ") {
            report(line, label(column), "\(quoted(CSVField.string(field))) has leading or trailing spaces")
            return nil
        }
        return Identifier.nfc(CSVField.string(field))
    }

    mutating func name(_ field: Bytes, line: Int) -> String? {
        let trimmed = CSVField.trimmingSpaces(field)
        guard !trimmed.isEmpty else { return required(.clientName, line: line) }
        return CSVField.string(trimmed)
    }

    mutating func emailList(_ field: Bytes, line: Int) -> [String]? {
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

    mutating func date(_ field: Bytes, _ column: ImportFormat.Field, line: Int) -> LocalDate? {
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

    mutating func currency(_ field: Bytes, line: Int) -> Currency? {
        guard !field.isEmpty else { return required(.currency, line: line) }
        for seen in seenCurrencies where CSVField.equals(field, seen.code) { return seen.currency ?? reportCurrency(seen.code, line: line) }
        let code = CSVField.string(field)
        let currency = Currency(code: code)
        if seenCurrencies.count < 8 { seenCurrencies.append((code, currency)) }
        return currency ?? reportCurrency(code, line: line)
    }

    mutating func reportCurrency(_ code: String, line: Int) -> Currency? {
        if let upper = Currency(code: code.uppercased()) {
            report(line, label(.currency), "\(quoted(code)) must be written in upper case: \(upper.code)")
        } else {
            report(line, label(.currency), "\(quoted(code)) is not an ISO 4217 currency code")
        }
        return nil
    }

    /// Minor units; without a valid currency only the decimal form is checked (and nil returned).
    mutating func money(_ field: Bytes, _ column: ImportFormat.Field, currency: Currency?, line: Int) -> Int64? {
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

    mutating func invoiceStatus(_ field: Bytes, line: Int) -> InvoiceStatus? {
        guard !field.isEmpty else { return .open }
        if CSVField.equals(field, "open") { return .open }
        if CSVField.equals(field, "paid") { return .paid }
        if CSVField.equals(field, "cancelled") { return .cancelled }
        report(line, "status", "\(quoted(CSVField.string(field))) is not one of open, paid, cancelled")
        return nil
    }

    mutating func required<T>(_ column: ImportFormat.Field, line: Int) -> T? {
        report(line, label(column), "is required")
        return nil
    }

    /// How `column` is named in messages: as the file's header names it.
    func label(_ column: ImportFormat.Field) -> String { labels[column.ordinal] }

    /// A field's text problem; for the first bytes that are not UTF-8, what the file probably is instead.
    mutating func describe(_ problem: CSVField.TextProblem, _ field: Bytes) -> String {
        guard case .invalidUTF8 = problem, !hintedEncoding, let hint = ExportEncoding.hint(field, fileName: fileName) else {
            return problem.description
        }
        hintedEncoding = true
        return "\(problem.description): \(hint)"
    }

    mutating func report(_ line: Int, _ column: String, _ problem: String) {
        problems.add(fileName, line: line, column, problem)
    }

    func columnName(at position: Int) -> String {
        position < headerNames.count ? headerNames[position] : "column \(position + 1)"
    }

    /// A value for a message: quoted, at most 60 characters.
    func quoted(_ text: String) -> String { "\"\(clip(text).escapingControls())\"" }

    func clip(_ text: String) -> String { text.count > 60 ? String(text.prefix(57)) + "..." : text }
}
