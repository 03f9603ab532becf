/// A yearly interest rate in hundredths of a percentage point (basis points): `"3.75"` is 375,
/// `"-0.88"` is -88. Central banks publish their rates to two decimals, so two are enough.
public struct InterestRate: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let basisPoints: Int

    public init(basisPoints: Int) { self.basisPoints = basisPoints }

    /// Parses a percent a year written as a plain decimal: an optional `-`, digits, and at most
    /// two decimals (`"8"`, `"8.00"`, `"-0.88"`, `"0.5"`). Nil for anything else, and for a
    /// value beyond ±100 percent, which no reference rate has ever been.
    public init?(percent text: String) {
        var digits = Substring(text)
        let negative = digits.first == "-"
        if negative { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 3,
              whole.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.count <= 2, parts.count == 1 || !fraction.isEmpty,
              fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        while fraction.count < 2 { fraction += "0" }
        guard let units = Int(whole), let hundredths = Int(fraction) else { return nil }
        let value = units * 100 + hundredths
        guard value <= 10_000 else { return nil }
        basisPoints = negative ? -value : value
    }

    /// `8.00`, `-0.88`: percent with two decimals.
    public var description: String {
        let magnitude = abs(basisPoints)
        let fraction = magnitude % 100
        return (basisPoints < 0 ? "-" : "") + "\(magnitude / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }

    public static func + (lhs: InterestRate, rhs: InterestRate) -> InterestRate {
        InterestRate(basisPoints: lhs.basisPoints + rhs.basisPoints)
    }

    public static func < (lhs: InterestRate, rhs: InterestRate) -> Bool { lhs.basisPoints < rhs.basisPoints }
}

/// One half of a calendar year: the period every reference rate here is fixed for
/// (1 January to 30 June, 1 July to 31 December).
public struct HalfYear: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let year: Int
    /// True for 1 July to 31 December.
    public let isSecond: Bool

    public init(year: Int, isSecond: Bool) {
        self.year = year
        self.isSecond = isSecond
    }

    /// The half-year `date` falls in.
    public init(containing date: LocalDate) {
        self.init(year: date.year, isSecond: date.month > 6)
    }

    /// The half-year that starts on `date`; nil unless it is a 1 January or a 1 July.
    public init?(startingOn date: LocalDate) {
        guard date.day == 1, date.month == 1 || date.month == 7 else { return nil }
        self.init(containing: date)
    }

    public var start: LocalDate { LocalDate(year: year, month: isSecond ? 7 : 1, day: 1)! }
    public var end: LocalDate { LocalDate(year: year, month: isSecond ? 12 : 6, day: isSecond ? 31 : 30)! }
    public var next: HalfYear { isSecond ? HalfYear(year: year + 1, isSecond: false) : HalfYear(year: year, isSecond: true) }

    /// The day before it starts (31 December or 30 June): the UK reference date for it.
    public var eve: LocalDate { start.adding(days: -1) }

    public var description: String { start.description }

    public static func < (lhs: HalfYear, rhs: HalfYear) -> Bool { (lhs.year, lhs.isSecond ? 1 : 0) < (rhs.year, rhs.isSecond ? 1 : 0) }
}
