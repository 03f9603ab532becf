import Foundation

/// Amounts as accounting tools write them: `$1,234.56`, `1.234,56 €`, `CHF 1'234.50`,
/// `(1,234.56)`, `-1 234,56`. The text is reduced to a plain decimal (`1234.56`) that
/// `Money.parse` then judges, so the digit and size rules are the one rule of the ledger and
/// nothing passes through a floating-point number.
///
/// Which mark is the decimal one: when both `.` and `,` appear, the last one; when one of them
/// appears more than once, it groups thousands; when one appears once, it is the decimal mark
/// unless exactly three digits follow it, which is a thousands group (`1,500` and `1.500` are
/// both 1500), except in a currency with three minor digits, where that is ambiguous and refused.
/// Spaces, no-break spaces and apostrophes always group thousands.
public enum ExportAmount {
    public struct Parsed: Equatable, Sendable {
        /// The amount was written negative (`-`, `−` or in parentheses).
        public var negative: Bool
        /// The plain decimal, without sign: `1234.56`.
        public var decimal: String
        /// An ISO 4217 code or currency symbol written with the amount.
        public var unit: String?
    }

    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        case notAnAmount(String)
        case ambiguous(String)

        public var description: String {
            switch self {
            case .notAnAmount(let text):
                "\"\(text)\" is not an amount (digits with an optional decimal mark, thousands separators and currency)"
            case .ambiguous(let text):
                "\"\(text)\" is ambiguous: the currency has three decimals, so write 1234.000 or 1.234,000"
            }
        }
    }

    private static let groupingMarks: Set<Character> = [" ", "\u{00A0}", "\u{202F}", "'", "\u{2019}"]

    /// `digits`: the currency's minor digits (to tell `1.500` the amount from `1.500` the thousand).
    public static func parse(_ raw: String, digits: Int) -> Result<Parsed, Problem> {
        let clipped = raw.count > 60 ? String(raw.prefix(57)) + "..." : raw
        var text = Substring(raw.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\u{00A0}\u{202F}"))))
        var negative = false
        if text.hasPrefix("("), text.hasSuffix(")") {
            negative = true
            text = text.dropFirst().dropLast()
        }
        var unit: String?
        func takeSign() {
            if let first = text.first, first == "-" || first == "\u{2212}" {
                negative = true
                text = text.dropFirst()
            } else if let last = text.last, last == "-" || last == "\u{2212}" {
                negative = true
                text = text.dropLast()
            }
        }
        func trimSpaces() {
            text = text.drop(while: { groupingMarks.contains($0) })
            while let last = text.last, groupingMarks.contains(last) { text = text.dropLast() }
        }
        func isUnit(_ c: Character) -> Bool { c.isLetter || c.unicodeScalars.allSatisfy { $0.properties.generalCategory == .currencySymbol } }
        takeSign()
        trimSpaces()
        // A currency code or symbol before or after the number (once).
        let leading = text.prefix(while: isUnit)
        if !leading.isEmpty {
            unit = String(leading)
            text = text.dropFirst(leading.count)
        } else {
            let trailing = String(text.reversed().prefix(while: isUnit).reversed())
            if !trailing.isEmpty {
                unit = trailing
                text = text.dropLast(trailing.count)
            }
        }
        trimSpaces()
        if !negative { takeSign() }
        // Letters alone must be an ISO code (`EUR`); with a symbol they are part of it (`R$`, `CA$`).
        let symbol = unit?.contains(where: { c in c.unicodeScalars.allSatisfy { $0.properties.generalCategory == .currencySymbol } }) ?? false
        if let unit, !symbol, !(unit.count == 3 && unit.allSatisfy { $0.isASCII && $0.isUppercase }) {
            return .failure(.notAnAmount(clipped))
        }
        guard let first = text.first, let last = text.last, first.isASCII, first.isNumber, last.isASCII, last.isNumber else {
            return .failure(.notAnAmount(clipped))
        }
        var digitsOnly = ""
        var marks: [(Character, Int)] = []   // `.`/`,` and the position in `digitsOnly` they follow
        var groupingAt: [Int] = []
        for c in text {
            if c.isASCII, c.isNumber {
                digitsOnly.append(c)
            } else if c == "." || c == "," {
                marks.append((c, digitsOnly.count))
            } else if groupingMarks.contains(c) {
                groupingAt.append(digitsOnly.count)
            } else {
                return .failure(.notAnAmount(clipped))
            }
        }
        var decimalAt: Int?
        let kinds = Set(marks.map(\.0))
        if kinds.count == 2 {
            let mark = marks.last!.0
            guard marks.filter({ $0.0 == mark }).count == 1 else { return .failure(.notAnAmount(clipped)) }
            decimalAt = marks.last!.1
            groupingAt += marks.dropLast().map(\.1)
        } else if marks.count == 1 {
            let after = digitsOnly.count - marks[0].1
            if after == 3 {
                if digits == 3 { return .failure(.ambiguous(clipped)) }
                groupingAt.append(marks[0].1)
            } else {
                decimalAt = marks[0].1
            }
        } else {
            groupingAt += marks.map(\.1)
        }
        // Thousands groups: every group after the first has two or three digits (lakh grouping
        // has twos), the last has three, and they all come before the decimal mark.
        let groups = groupingAt.sorted()
        let wholeCount = decimalAt ?? digitsOnly.count
        var previous: Int?
        for position in groups {
            guard position > 0, position < wholeCount else { return .failure(.notAnAmount(clipped)) }
            if let previous, !(2...3).contains(position - previous) { return .failure(.notAnAmount(clipped)) }
            previous = position
        }
        if let previous, wholeCount - previous != 3 { return .failure(.notAnAmount(clipped)) }
        if let decimalAt, decimalAt == 0 || decimalAt == digitsOnly.count { return .failure(.notAnAmount(clipped)) }
        var decimal = String(digitsOnly.prefix(wholeCount))
        if let decimalAt { decimal += "." + digitsOnly.dropFirst(decimalAt) }
        return .success(Parsed(negative: negative, decimal: decimal, unit: unit))
    }

    /// Whether an amount's `unit` can be written for `currency`: its own code, or a symbol that
    /// does not name another currency (`€` is only EUR, `£` only GBP; `$` is many).
    static func unit(_ unit: String, fits currency: Currency) -> Bool {
        switch unit {
        case "€": currency.code == "EUR"
        case "£": currency.code == "GBP"
        case "₹": currency.code == "INR"
        default: unit.count != 3 || !unit.allSatisfy(\.isLetter) || unit == currency.code
        }
    }
}

/// Dates in the configured order (`DD/MM/YYYY`, `MM/DD/YYYY`, `YYYY-MM-DD`), with `/`, `.` or
/// `-` between the parts and one- or two-digit days and months. ISO `YYYY-MM-DD` is always
/// accepted: it cannot be misread.
public enum ExportDate {
    static func parse(_ raw: String, order: ImportFormat.DateOrder) -> Result<LocalDate, CSVField.DateProblem> {
        let text = raw.trimmingCharacters(in: .whitespaces)
        let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "/" || $0 == "." || $0 == "-" })
        let separators = text.filter { $0 == "/" || $0 == "." || $0 == "-" }
        guard parts.count == 3, Set(separators).count == 1,
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else { return .failure(.notYYYYMMDD) }
        let iso = parts[0].count == 4 && separators.first == "-"
        let (y, m, d): (Substring, Substring, Substring)
        switch iso ? .yearMonthDay : order {
        case .dayMonthYear: (d, m, y) = (parts[0], parts[1], parts[2])
        case .monthDayYear: (m, d, y) = (parts[0], parts[1], parts[2])
        case .yearMonthDay: (y, m, d) = (parts[0], parts[1], parts[2])
        }
        guard y.count == 4, (1...2).contains(m.count), (1...2).contains(d.count),
              let year = Int(y), let month = Int(m), let day = Int(d) else { return .failure(.notYYYYMMDD) }
        guard let date = LocalDate(year: year, month: month, day: day) else { return .failure(.notACalendarDate) }
        guard LocalDate.accepted.contains(date) else { return .failure(.outsideAccepted) }
        return .success(date)
    }
}

/// What to tell the owner about a file that is not UTF-8.
enum ExportEncoding {
    /// Bytes Windows-1252 leaves undefined; a file holding them is not Windows-1252 either.
    private static let undefined: Set<UInt8> = [0x81, 0x8D, 0x8F, 0x90, 0x9D]

    /// The hint for a field that is not valid UTF-8, when its high bytes read as Windows-1252
    /// text (Excel's plain "CSV" on Windows writes that): say so, and how to convert it.
    /// A single-byte encoding shows as lone bytes above 0x7F between ASCII ones; UTF-8 never
    /// has a lone one, so runs of them are left to the plain message.
    static func hint(_ field: UnsafeBufferPointer<UInt8>, fileName: String) -> String? {
        guard !field.contains(where: { undefined.contains($0) }) else { return nil }
        for (offset, byte) in field.enumerated() where byte >= 0x80 {
            if offset + 1 < field.count, field[offset + 1] >= 0x80 { return nil }
        }
        guard let text = String(data: Data(field), encoding: .windowsCP1252) else { return nil }
        let shown = (text.count > 40 ? String(text.prefix(37)) + "..." : text).escapingControls()
        return "the file looks like Windows-1252 (this field would read \"\(shown)\"): save the export as \"CSV UTF-8\", or convert it: iconv -f WINDOWS-1252 -t UTF-8 < \(fileName) > utf8.csv"
    }
}
