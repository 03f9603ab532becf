/// `[delivery]`: every key optional.
///
/// Defaults: `retry = ["5m", "30m", "2h", "8h"]` (the last step repeats until
/// `give_up_after`), `give_up_after = "3d"`, `min_days_between = 3`, `final_notice_days = 14`.
enum DeliverySection {
    static let defaultRetry = ["5m", "30m", "2h", "8h"].map { Interval($0)! }
    static let defaultGiveUpAfter = Interval("3d")!
    static let defaultMinDaysBetween = 3
    // Upper bounds keep every date and instant computed from them inside the calendar.
    static let maxRetryStep = Interval("30d")!
    static let maxGiveUpAfter = Interval("365d")!
    /// min_days_between and final_notice_days: ten years.
    static let maxDayCount = 3650

    static func read(_ reader: ConfigTableReader) -> DeliveryPolicy? {
        reader.refuseUnknownKeys(allowed: ["retry", "give_up_after", "min_days_between", "final_notice_days"])
        var retry = defaultRetry
        if let texts = reader.stringArray("retry") {
            retry = []
            for text in texts {
                switch ConfigTableReader.interval(text, atMost: maxRetryStep) {
                case .success(let interval): retry.append(interval)
                case .failure(let problem): reader.fail("retry", problem.text)
                }
            }
            if texts.isEmpty { reader.fail("retry", "must list at least one delay (leave the key out for the default)") }
        }
        let giveUpAfter = reader.interval("give_up_after", atMost: maxGiveUpAfter) ?? defaultGiveUpAfter
        let minDays = reader.int("min_days_between", in: 0...maxDayCount) ?? defaultMinDaysBetween
        let noticeDays = reader.int("final_notice_days", in: 0...maxDayCount) ?? DeliveryPolicy.defaultFinalNoticeDays
        guard !reader.failed else { return nil }
        return DeliveryPolicy(retry: retry, giveUpAfter: giveUpAfter, minDaysBetween: minDays, finalNoticeDays: noticeDays)
    }
}
