import Foundation

/// `Sun, 01 Mar 2026 10:00:03 +0100`: the RFC 5322 `date-time` of an instant in a time zone,
/// built by hand so it never depends on the process locale.
public func rfc5322Date(_ instant: Date, in zone: TimeZone) -> String {
    let offsetSeconds = zone.secondsFromGMT(for: instant)
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(secondsFromGMT: offsetSeconds) ?? zone
    let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: instant)
    let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    let sign = offsetSeconds < 0 ? "-" : "+"
    let offsetMinutes = abs(offsetSeconds) / 60
    return "\(weekdays[parts.weekday! - 1]), \(two(parts.day!)) \(months[parts.month! - 1]) \(parts.year!) "
        + "\(two(parts.hour!)):\(two(parts.minute!)):\(two(parts.second!)) "
        + "\(sign)\(two(offsetMinutes / 60))\(two(offsetMinutes % 60))"
}
