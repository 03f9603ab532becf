/// Exact money: an integer count of the currency's minor units. Never a floating-point value.
public struct Money: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let minorUnits: Int64
    public let currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// Parses a plain decimal string (`1200`, `1200.5`, `1200.50`) into minor units.
    ///
    /// Accepted: ASCII digits, at most one `.`, at most `currency.minorDigits` fractional
    /// digits. Rejected with a reason: signs, exponents, grouping, spaces, too many digits, overflow.
    public static func parse(_ text: String, currency: Currency) -> Result<Money, MoneyError> {
        DecimalAmount.parse(text).flatMap { $0.minorUnits(in: currency) }
            .map { Money(minorUnits: $0, currency: currency) }
    }

    /// The amount as a plain decimal string with exactly the currency's minor digits:
    /// `1200.00` EUR, `1200` JPY, `12.500` KWD.
    public var decimalString: String { Money.format(minorUnits, digits: currency.minorDigits) }

    public var description: String { "\(decimalString) \(currency.code)" }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.minorUnits < rhs.minorUnits }

    public static func format(_ minorUnits: Int64, digits: Int) -> String {
        var out: [UInt8] = []
        ByteText.appendDecimal(minorUnits, digits: digits, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// Why a money string was refused; the text is what the user reads after `column: `.
public enum MoneyError: Error, Equatable, Sendable, CustomStringConvertible {
    case notADecimal(String)
    case tooManyDigits(String, currency: String, allowed: Int)
    case tooLarge(String)

    public var description: String {
        switch self {
        case .notADecimal(let text): "\"\(text)\" is not a plain decimal amount (digits with an optional '.')"
        case .tooManyDigits(let text, let code, let allowed):
            "\"\(text)\" has more than \(allowed) decimal digit\(allowed == 1 ? "" : "s"), the most \(code) allows"
        case .tooLarge(let text): "\"\(text)\" is too large"
        }
    }
}

/// A non-negative exact decimal (`digits × 10^-scale`) whose currency is not yet known,
/// as written in the config (`fee = "40.00"`) before it meets an invoice.
public struct DecimalAmount: Hashable, Sendable, CustomStringConvertible {
    public let digits: Int64
    public let scale: Int
    public let text: String

    public static func parse(_ text: String) -> Result<DecimalAmount, MoneyError> {
        let bytes = Array(text.utf8)
        var whole: [UInt8] = []
        var fraction: [UInt8] = []
        var seenPoint = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                if seenPoint { return .failure(.notADecimal(text)) }
                seenPoint = true
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if seenPoint { fraction.append(byte) } else { whole.append(byte) }
            } else {
                return .failure(.notADecimal(text))
            }
        }
        if whole.isEmpty || (seenPoint && fraction.isEmpty) { return .failure(.notADecimal(text)) }
        var value: Int64 = 0
        for byte in whole + fraction {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            if o1 || o2 { return .failure(.tooLarge(text)) }
            value = plus
        }
        return .success(DecimalAmount(digits: value, scale: fraction.count, text: text))
    }

    /// The amount in `currency`'s minor units, if it is written with no more digits than the
    /// currency has. Trailing zeros count as digits (`10.000` EUR is refused), as an accountant would.
    public func minorUnits(in currency: Currency) -> Result<Int64, MoneyError> {
        guard scale <= currency.minorDigits else {
            return .failure(.tooManyDigits(text, currency: currency.code, allowed: currency.minorDigits))
        }
        var value = digits
        for _ in scale..<currency.minorDigits {
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            if overflow { return .failure(.tooLarge(text)) }
            value = times
        }
        return .success(value)
    }

    /// Like `minorUnits(in:)` but also accepts extra fractional digits that are zeros
    /// (`40.00` as a fee on a JPY invoice is 40 yen); nil when the value cannot be represented.
    public func exactMinorUnits(in currency: Currency) -> Int64? {
        var value = digits
        var excess = scale - currency.minorDigits
        while excess > 0 {
            guard value % 10 == 0 else { return nil }
            value /= 10
            excess -= 1
        }
        if case .success(let units) = DecimalAmount(digits: value, scale: min(scale, currency.minorDigits), text: text)
            .minorUnits(in: currency) { return units }
        return nil
    }

    public var description: String { text }
}
