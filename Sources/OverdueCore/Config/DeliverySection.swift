/// `[delivery]`: every key optional.
///
/// Defaults: `retry = ["5m", "30m", "2h", "8h"]` (the last step repeats until
/// `give_up_after`), `give_up_after = "3d"`, `min_days_between = 3`, `final_notice_days = 14`.
enum DeliverySection {
    static let defaultRetry = ["5m", "30m", "2h", "8h"].map { Interval($0)! }
    static let defaultGiveUpAfter = Interval("3d")!
    static let defaultMinDaysBetween = 3

    static func read(_ reader: ConfigTableReader) -> DeliveryPolicy? {
        reader.refuseUnknownKeys(allowed: ["retry", "give_up_after", "min_days_between", "final_notice_days"])
        var retry = defaultRetry
        if let texts = reader.stringArray("retry") {
            retry = []
            for text in texts {
                guard let interval = Interval(text) else {
                    reader.fail("retry", "\"\(text)\" is not a duration (a positive whole number and a unit: \"30s\", \"15m\", \"2h\", \"3d\")")
                    continue
                }
                retry.append(interval)
            }
            if texts.isEmpty { reader.fail("retry", "must list at least one delay (leave the key out for the default)") }
        }
        let giveUpAfter = reader.interval("give_up_after") ?? defaultGiveUpAfter
        let minDays = reader.int("min_days_between") ?? defaultMinDaysBetween
        if minDays < 0 { reader.fail("min_days_between", "must be 0 or more, not \(minDays)") }
        let noticeDays = reader.int("final_notice_days") ?? DeliveryPolicy.defaultFinalNoticeDays
        if noticeDays < 0 { reader.fail("final_notice_days", "must be 0 or more, not \(noticeDays)") }
        guard !reader.failed else { return nil }
        return DeliveryPolicy(retry: retry, giveUpAfter: giveUpAfter, minDaysBetween: minDays, finalNoticeDays: noticeDays)
    }
}
