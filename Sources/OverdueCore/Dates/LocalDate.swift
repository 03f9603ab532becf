import Foundation

/// A calendar date with no time zone (proleptic Gregorian), as written `YYYY-MM-DD`.
///
/// Day arithmetic is done on `dayNumber` (days since 1970-01-01), so differences between
/// dates are exact calendar days whatever DST or leap years do.
public struct LocalDate: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              (1...LocalDate.daysIn(month: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD` (ASCII digits, real calendar date); nil otherwise.
    public init?(_ text: String) {
        var text = text
        guard let date = text.withUTF8({ LocalDate(utf8: $0) }) else { return nil }
        self = date
    }

    /// `init?(_:)` on UTF-8 bytes, for callers that hold the bytes already (a database column).
    @inlinable
    public init?(utf8 b: UnsafeBufferPointer<UInt8>) {
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                value = value * 10 + Int(b[i] - 48)
            }
            return value
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Days since 1970-01-01 (negative before). Howard Hinnant's days_from_civil.
    public var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date `dayNumber` days after 1970-01-01 (civil_from_days).
    public init(dayNumber: Int) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    public func adding(days: Int) -> LocalDate { LocalDate(dayNumber: dayNumber + days) }

    /// Calendar days from `other` to `self` (positive when `self` is later).
    public func days(since other: LocalDate) -> Int { dayNumber - other.dayNumber }

    public var weekday: Weekday { Weekday(dayNumber: dayNumber) }

    public var description: String {
        var out: [UInt8] = []
        ByteText.append(self, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool { lhs.dayNumber < rhs.dayNumber }

    public static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = LocalDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad date \(text)"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension LocalDate {
    /// The dates overdue accepts from any input (`--as-of`, CSV dates, `--on`, holidays): one
    /// day inside the four-digit years, so that reading an accepted instant in any time zone
    /// (offsets stay under a day), or stepping one day from an accepted date, still gives a date
    /// that `LocalDate(_:)` reads back. A five-digit year stored once would make every later
    /// read of the ledger fail.
    public static let accepted: ClosedRange<LocalDate> =
        LocalDate(year: 1, month: 1, day: 2)!...LocalDate(year: 9999, month: 12, day: 30)!

    /// Why an input outside `accepted` is refused (the text after `FIELD: "VALUE" `).
    public static let outsideAcceptedProblem = "is outside the supported dates \(accepted.lowerBound) to \(accepted.upperBound)"

    /// True when `instant`'s UTC date is in `accepted`.
    public static func accepts(_ instant: Date) -> Bool {
        let seconds = instant.timeIntervalSince1970
        return seconds >= Double(accepted.lowerBound.dayNumber * 86_400)
            && seconds < Double((accepted.upperBound.dayNumber + 1) * 86_400)
    }

    /// Reads a date the ledger stored: `YYYY-MM-DD`, and also the longer years (`10000-01-01`)
    /// that `description` writes for a date beyond 9999, which older versions could store, so
    /// one such row never makes the whole ledger unreadable.
    public init?(stored text: String) {
        if let date = LocalDate(text) {
            self = date
            return
        }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count >= 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }),
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              y <= 999_999, (1...12).contains(m), (1...LocalDate.daysIn(month: m, year: y)).contains(d) else { return nil }
        self.year = y
        self.month = m
        self.day = d
    }
}

/// A day of the week, named as in the config (`mon` … `sun`).
public enum Weekday: String, CaseIterable, Sendable, Hashable {
    case mon, tue, wed, thu, fri, sat, sun

    /// 1970-01-01 was a Thursday.
    init(dayNumber: Int) {
        let index = ((dayNumber % 7) + 7 + 3) % 7   // 0 = mon
        self = Weekday.allCases[index]
    }
}

/// A wall-clock time of day in minutes and seconds since midnight.
public struct LocalTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let secondsSinceMidnight: Int

    public init(secondsSinceMidnight: Int) { self.secondsSinceMidnight = secondsSinceMidnight }

    /// Parses `HH:MM` (00:00 … 24:00; 24:00 is the end of the day, for window ends).
    public init?(hhmm text: String) {
        let b = Array(text.utf8)
        guard b.count == 5, b[2] == UInt8(ascii: ":"), b.allSatisfy({ $0 == 58 || (48...57).contains($0) }) else { return nil }
        let h = Int(b[0] - 48) * 10 + Int(b[1] - 48)
        let m = Int(b[3] - 48) * 10 + Int(b[4] - 48)
        guard m < 60, h < 24 || (h == 24 && m == 0) else { return nil }
        self.secondsSinceMidnight = h * 3600 + m * 60
    }

    public var description: String {
        let h = secondsSinceMidnight / 3600, m = secondsSinceMidnight / 60 % 60
        return (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
    }

    public static func < (lhs: LocalTime, rhs: LocalTime) -> Bool { lhs.secondsSinceMidnight < rhs.secondsSinceMidnight }
}
