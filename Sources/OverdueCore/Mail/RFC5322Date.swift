import Foundation

/// `Sun, 01 Mar 2026 10:00:03 +0100`: the RFC 5322 `date-time` of an instant in a time zone,
/// built by hand so it never depends on the process locale.
///
/// Only the zone's offset at that instant comes from `TimeZone`; the calendar fields are plain
/// Gregorian arithmetic on the shifted seconds (a `Calendar` per message cost more than the
/// rest of the header block), for years 1970–9999, the range a reminder can carry. Outside it
/// `Calendar` is asked, as before, since it switches to the Julian calendar before 1582.
public func rfc5322Date(_ instant: Date, in zone: TimeZone) -> String {
    let offsetSeconds = zone.secondsFromGMT(for: instant)
    let local = (instant.timeIntervalSince1970 + Double(offsetSeconds)).rounded(.down)
    let fields: (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, weekday: Int)
    if local >= 0, local < 253_402_300_800 {   // 1970-01-01 up to 10000-01-01
        let seconds = Int(local)
        let days = seconds / 86_400, time = seconds % 86_400
        let date = LocalDate(dayNumber: days)
        // 1970-01-01 was a Thursday; weekday 1 is Sunday, as Calendar counts.
        fields = (date.year, date.month, date.day, time / 3600, time / 60 % 60, time % 60, (days + 4) % 7 + 1)
    } else {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: offsetSeconds) ?? zone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: instant)
        fields = (parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!, parts.weekday!)
    }
    let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    let sign = offsetSeconds < 0 ? "-" : "+"
    let offsetMinutes = abs(offsetSeconds) / 60
    return "\(weekdays[fields.weekday - 1]), \(two(fields.day)) \(months[fields.month - 1]) \(fields.year) "
        + "\(two(fields.hour)):\(two(fields.minute)):\(two(fields.second)) "
        + "\(sign)\(two(offsetMinutes / 60))\(two(offsetMinutes % 60))"
}
