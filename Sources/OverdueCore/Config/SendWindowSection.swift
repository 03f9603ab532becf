/// `[send_window]`, optional as a whole; when present every key is optional too.
///
/// Defaults: `days` = all seven, `start = "00:00"`, `end = "24:00"`, `holidays = []`, so a
/// table with only `holidays` means "any time except on those dates".
enum SendWindowSection {
    static func read(_ reader: ConfigTableReader) -> SendWindow? {
        reader.refuseUnknownKeys(allowed: ["days", "start", "end", "holidays"])
        var days = Set(Weekday.allCases)
        if let names = reader.stringArray("days") {
            days = []
            for name in names {
                guard let day = Weekday(rawValue: name) else {
                    reader.fail("days", "\"\(name)\" is not a weekday (mon, tue, wed, thu, fri, sat, sun)")
                    continue
                }
                if !days.insert(day).inserted { reader.fail("days", "\"\(name)\" is listed twice") }
            }
            if names.isEmpty { reader.fail("days", "must name at least one weekday (leave the key out for every day)") }
        }
        let start = time(reader, "start") ?? LocalTime(secondsSinceMidnight: 0)
        let end = time(reader, "end") ?? LocalTime(secondsSinceMidnight: 86_400)
        if !reader.failed, start >= end {
            reader.fail("end", "\(end) is not after start \(start); the window would never open")
        }
        var holidays: Set<LocalDate> = []
        for text in reader.stringArray("holidays") ?? [] {
            guard let date = LocalDate(text) else {
                reader.fail("holidays", "\"\(text)\" is not a date (YYYY-MM-DD)")
                continue
            }
            guard LocalDate.accepted.contains(date) else {
                reader.fail("holidays", "\"\(text)\" \(LocalDate.outsideAcceptedProblem)")
                continue
            }
            holidays.insert(date)
        }
        guard !reader.failed else { return nil }
        return SendWindow(days: days, start: start, end: end, holidays: holidays)
    }

    private static func time(_ reader: ConfigTableReader, _ key: String) -> LocalTime? {
        reader.parsed(key) { text in
            LocalTime(hhmm: text).map { .success($0) }
                ?? .failure(ConfigProblem("\"\(text)\" is not a time of day (HH:MM, 00:00 to 24:00)"))
        }
    }
}
