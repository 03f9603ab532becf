import Foundation

/// The local date and time of an instant in a time zone: how every "day" in overdue is counted.
public struct LocalDateTime: Hashable, Sendable {
    public let date: LocalDate
    public let time: LocalTime

    public init(date: LocalDate, time: LocalTime) {
        self.date = date
        self.time = time
    }

    /// The wall-clock reading of `instant` in `zone`.
    public init(_ instant: Date, in zone: TimeZone) {
        let offset = zone.secondsFromGMT(for: instant)
        let local = Int((instant.timeIntervalSince1970).rounded(.down)) + offset
        let dayNumber = Int((Double(local) / 86_400).rounded(.down))
        self.date = LocalDate(dayNumber: dayNumber)
        self.time = LocalTime(secondsSinceMidnight: local - dayNumber * 86_400)
    }
}

extension LocalDate {
    /// The instant at which this date's wall clock reads `time` in `zone`. When that wall-clock
    /// time does not exist (a DST gap) the later offset is used; when it occurs twice, the first.
    public func instant(at time: LocalTime, in zone: TimeZone) -> Date {
        let wall = TimeInterval(dayNumber * 86_400 + time.secondsSinceMidnight)
        // Try the offsets in force around that wall time; pick the one that round-trips.
        let guess = Date(timeIntervalSince1970: wall)
        let candidates = [
            zone.secondsFromGMT(for: guess.addingTimeInterval(-86_400)),
            zone.secondsFromGMT(for: guess),
            zone.secondsFromGMT(for: guess.addingTimeInterval(86_400)),
        ]
        var matches: [Date] = []
        for offset in Set(candidates) {
            let instant = Date(timeIntervalSince1970: wall - TimeInterval(offset))
            if zone.secondsFromGMT(for: instant) == offset { matches.append(instant) }
        }
        if let first = matches.min() { return first }
        // Gap: the wall time is skipped; use the offset before the gap (moves the instant later).
        return Date(timeIntervalSince1970: wall - TimeInterval(candidates[0]))
    }
}

/// Parses the `--as-of` argument: `YYYY-MM-DD` (12:00 that day in `zone`) or an RFC 3339
/// date-time with an explicit offset (`2026-03-01T08:30:00Z`, `…+01:00`, fractional seconds allowed).
/// Nil when malformed or outside `LocalDate.accepted` (see `checkAsOf` for the reason).
public func parseAsOf(_ text: String, zone: TimeZone) -> Date? {
    try? checkAsOf(text, zone: zone).get()
}

/// `parseAsOf` with the reason for a refusal: the text after `--as-of: `.
public func checkAsOf(_ text: String, zone: TimeZone) -> Result<Date, AsOfProblem> {
    if let date = LocalDate(text) {
        // Noon of an accepted date is within a day of its UTC date, whatever the zone's offset.
        guard LocalDate.accepted.contains(date) else { return .failure(.outsideRange(text)) }
        return .success(date.instant(at: LocalTime(secondsSinceMidnight: 12 * 3600), in: zone))
    }
    guard let instant = parseTimestamp(text) else { return .failure(.malformed(text)) }
    guard LocalDate.accepts(instant) else { return .failure(.outsideRange(text)) }
    return .success(instant)
}

public enum AsOfProblem: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case outsideRange(String)

    public var description: String {
        switch self {
        case .malformed(let text): "\"\(text)\" is not YYYY-MM-DD or an RFC 3339 date-time with offset"
        case .outsideRange(let text): "\"\(text)\" \(LocalDate.outsideAcceptedProblem)"
        }
    }
}

/// Parses an RFC 3339 timestamp with an explicit offset; nil when malformed or without offset.
public func parseTimestamp(_ text: String) -> Date? {
    let b = Array(text.utf8)
    guard b.count >= 20, let date = LocalDate(String(decoding: b[0..<10], as: UTF8.self)),
          b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " ") else { return nil }
    func two(_ i: Int) -> Int? {
        guard i + 1 < b.count, (48...57).contains(b[i]), (48...57).contains(b[i + 1]) else { return nil }
        return Int(b[i] - 48) * 10 + Int(b[i + 1] - 48)
    }
    guard let h = two(11), b[13] == 58, let m = two(14), b[16] == 58, let s = two(17),
          h < 24, m < 60, s < 61 else { return nil }
    var i = 19
    var fraction = 0.0
    if i < b.count, b[i] == UInt8(ascii: ".") {
        i += 1
        var scale = 0.1
        let start = i
        while i < b.count, (48...57).contains(b[i]) {
            fraction += Double(b[i] - 48) * scale
            scale /= 10
            i += 1
        }
        if i == start { return nil }
    }
    guard i < b.count else { return nil }
    var offset = 0
    if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
        i += 1
    } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
        let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
        guard let oh = two(i + 1), i + 3 < b.count, b[i + 3] == 58, let om = two(i + 4), oh < 24, om < 60 else { return nil }
        offset = sign * (oh * 3600 + om * 60)
        i += 6
    } else {
        return nil
    }
    guard i == b.count else { return nil }
    let seconds = date.dayNumber * 86_400 + h * 3600 + m * 60 + min(s, 59) - offset
    return Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
}

/// Formats an instant as RFC 3339 UTC with whole seconds (`2026-03-01T09:00:03Z`).
public func formatTimestamp(_ instant: Date) -> String {
    // Plain arithmetic: this runs once per audit entry, a million times in a large import.
    let seconds = Int(instant.timeIntervalSince1970.rounded(.down))
    let day = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    let t = seconds - day * 86_400
    func pad(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(LocalDate(dayNumber: day))T\(pad(t / 3600)):\(pad(t / 60 % 60)):\(pad(t % 60))Z"
}
