import Foundation
import Synchronization

/// How one locale (`business.locale`) writes money and dates for people: "€4,850.00" and
/// "19 February 2026" in en-GB, "4.850,00 €" and "19. Februar 2026" in de-DE, "¥180,000" in ja-JP.
///
/// Foundation's locale data supplies only the separators, the currency symbol, where the symbol
/// goes and the long date pattern; the digits are written here from the amount's integer minor
/// units, with the currency's ISO 4217 minor digits, so an amount never passes through a float.
/// The gap between symbol and number is a plain space, as people type it; HTML templates keep a
/// value on one line with `white-space:nowrap`.
public final class LocaleFormat: Sendable {
    /// The locale as configured (`en-GB`).
    public let identifier: String
    private let locale: Locale
    private let decimalSeparator: String
    private let groupSeparator: String
    /// Digits in the group nearest the decimal separator, and in every group above it (0: no grouping).
    private let primaryGrouping: Int
    private let secondaryGrouping: Int
    /// The currency pattern's text before and after the number; `¤` stands for the symbol.
    private let prefix: String
    private let suffix: String
    private let datePattern: [DatePiece]
    private let monthNames: [String]
    private let shortMonthNames: [String]
    private let symbols = Mutex<[String: String]>([:])

    private static let cache = Mutex<[String: LocaleFormat]>([:])

    /// The format for `identifier`, read from the locale data once per process.
    public static func named(_ identifier: String) -> LocaleFormat {
        cache.withLock { cache in
            if let format = cache[identifier] { return format }
            let format = LocaleFormat(identifier: identifier)
            cache[identifier] = format
            return format
        }
    }

    init(identifier: String) {
        self.identifier = identifier
        locale = Locale(identifier: identifier)
        let numbers = NumberFormatter()
        numbers.locale = locale
        numbers.numberStyle = .currency
        decimalSeparator = Self.spaced(numbers.currencyDecimalSeparator ?? ".")
        groupSeparator = Self.spaced(numbers.currencyGroupingSeparator ?? ",")
        let pattern = Array((numbers.positiveFormat ?? "¤#,##0.00").unicodeScalars)
        let isNumber: (Unicode.Scalar) -> Bool = { "#0,.".unicodeScalars.contains($0) }
        if let first = pattern.firstIndex(where: { $0 == "#" || $0 == "0" }),
           let last = pattern.lastIndex(where: { $0 == "#" || $0 == "0" }), pattern[first...last].allSatisfy(isNumber) {
            prefix = Self.spaced(String(String.UnicodeScalarView(pattern[..<first])))
            suffix = Self.spaced(String(String.UnicodeScalarView(pattern[(last + 1)...])))
            let integer = String(String.UnicodeScalarView(pattern[first...last])).split(separator: ".", maxSplits: 1)[0]
            let groups = integer.split(separator: ",", omittingEmptySubsequences: false)
            primaryGrouping = groups.count > 1 ? groups[groups.count - 1].count : 0
            secondaryGrouping = groups.count > 2 ? groups[groups.count - 2].count : primaryGrouping
        } else {
            (prefix, suffix, primaryGrouping, secondaryGrouping) = ("¤", "", 3, 3)
        }
        let dates = DateFormatter()
        dates.locale = locale
        dates.dateStyle = .long
        dates.timeStyle = .none
        datePattern = DatePiece.parse(dates.dateFormat ?? "") ?? DatePiece.iso
        monthNames = dates.monthSymbols.count == 12 ? dates.monthSymbols : []
        shortMonthNames = dates.shortMonthSymbols.count == 12 ? dates.shortMonthSymbols : []
    }

    /// `money` for people: grouped, with the locale's separators and the currency's symbol.
    /// A negative amount (never one a reminder states) keeps its sign in front.
    public func money(_ money: Money) -> String {
        let symbol = self.symbol(for: money.currency)
        let digits = money.currency.minorDigits
        let plain = Money.format(money.minorUnits, digits: digits)
        let parts = plain.drop(while: { $0 == "-" }).split(separator: ".", maxSplits: 1)
        var number = grouped(String(parts[0]))
        if parts.count == 2 { number += decimalSeparator + parts[1] }
        // As CLDR's currency spacing does: a symbol of letters ("KWD", "CHF") is set apart from the digits.
        let before = prefix.hasSuffix("¤") && symbol.unicodeScalars.last?.properties.isAlphabetic == true ? " " : ""
        let after = suffix.hasPrefix("¤") && symbol.unicodeScalars.first?.properties.isAlphabetic == true ? " " : ""
        let text = prefix.replacingOccurrences(of: "¤", with: symbol) + before + number + after
            + suffix.replacingOccurrences(of: "¤", with: symbol)
        return (money.minorUnits < 0 ? "-" : "") + text.trimmingCharacters(in: .whitespaces)
    }

    /// `date` for people, in the locale's long style ("19 February 2026").
    public func date(_ date: LocalDate) -> String {
        var out = ""
        for piece in datePattern {
            switch piece {
            case .literal(let text): out += text
            case .day(let width): out += Self.padded(date.day, width)
            case .month(let width):
                if width >= 4, monthNames.count == 12 {
                    out += monthNames[date.month - 1]
                } else if width == 3, shortMonthNames.count == 12 {
                    out += shortMonthNames[date.month - 1]
                } else {
                    out += Self.padded(date.month, min(width, 2))
                }
            case .year(let width): out += width == 2 ? Self.padded(date.year % 100, 2) : String(date.year)
            }
        }
        return out
    }

    /// The locale's symbol for `currency` ("€", "£", "US$" in en-GB), read once per currency.
    private func symbol(for currency: Currency) -> String {
        symbols.withLock { symbols in
            if let symbol = symbols[currency.code] { return symbol }
            let numbers = NumberFormatter()
            numbers.locale = locale
            numbers.numberStyle = .currency
            numbers.currencyCode = currency.code
            let symbol = numbers.currencySymbol.flatMap { $0.isEmpty ? nil : $0 } ?? currency.code
            symbols[currency.code] = symbol
            return symbol
        }
    }

    /// The integer digits with the group separator inserted.
    private func grouped(_ digits: String) -> String {
        guard primaryGrouping > 0, digits.count > primaryGrouping else { return digits }
        var groups: [Substring] = []
        var end = digits.endIndex
        var size = primaryGrouping
        while end > digits.startIndex {
            let start = digits.index(end, offsetBy: -size, limitedBy: digits.startIndex) ?? digits.startIndex
            groups.append(digits[start..<end])
            end = start
            size = secondaryGrouping > 0 ? secondaryGrouping : primaryGrouping
        }
        return groups.reversed().joined(separator: groupSeparator)
    }

    /// Pattern spaces (ICU writes no-break spaces there) become plain spaces.
    private static func spaced(_ text: String) -> String {
        text.replacingOccurrences(of: "\u{A0}", with: " ")
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// A long date pattern (`d MMMM y`, `y年M月d日`) as day, month, year and literal text.
    enum DatePiece: Equatable {
        case literal(String)
        case day(Int)
        case month(Int)
        case year(Int)

        static let iso: [DatePiece] = [.year(4), .literal("-"), .month(2), .literal("-"), .day(2)]

        /// Nil when the pattern uses a field other than day, month and year (then dates are ISO).
        static func parse(_ pattern: String) -> [DatePiece]? {
            var pieces: [DatePiece] = []
            var literal = ""
            let scalars = Array(pattern.unicodeScalars)
            var index = 0
            func flush() {
                if !literal.isEmpty { pieces.append(.literal(literal)) }
                literal = ""
            }
            while index < scalars.count {
                let scalar = scalars[index]
                if scalar == "'" {
                    var end = index + 1
                    if end < scalars.count, scalars[end] == "'" {
                        literal += "'"
                        index += 2
                        continue
                    }
                    while end < scalars.count, scalars[end] != "'" { end += 1 }
                    literal += String(String.UnicodeScalarView(scalars[(index + 1)..<min(end, scalars.count)]))
                    index = end + 1
                    continue
                }
                guard scalar.isASCII, scalar.properties.isAlphabetic else {
                    literal.unicodeScalars.append(scalar == "\u{A0}" ? " " : scalar)
                    index += 1
                    continue
                }
                var end = index
                while end < scalars.count, scalars[end] == scalar { end += 1 }
                let width = end - index
                flush()
                switch scalar {
                case "d": pieces.append(.day(width))
                case "M", "L": pieces.append(.month(width))
                case "y": pieces.append(.year(width))
                default: return nil
                }
                index = end
            }
            flush()
            return pieces.contains(.day(1)) || pieces.contains(.day(2)) ? pieces : nil
        }
    }
}
