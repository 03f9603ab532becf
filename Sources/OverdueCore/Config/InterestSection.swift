import TOMLKit

/// `[interest]`: optional. Either `regime = "none" | "uk" | "eu" | "de"` or a fixed
/// `rate = "8.00"` (percent a year, simple), not both; `[interest.rates]` (keys `"YYYY-01-01"`
/// or `"YYYY-07-01"`, values percent strings such as `"3.75"` or `"-0.88"`) adds or overrides
/// the regime's reference rate for the half-year starting that day.
enum InterestSection {
    static func read(_ reader: ConfigTableReader) -> InterestPolicy? {
        reader.refuseUnknownKeys(allowed: ["regime", "rate", "rates"])
        let regimes = InterestRegime.allCases.map(\.rawValue).joined(separator: ", ")
        let regime = reader.parsed("regime") { text -> Result<InterestRegime, ConfigProblem> in
            guard let regime = InterestRegime(rawValue: text) else {
                return .failure(ConfigProblem("\"\(text)\" is not a regime (expected one of: \(regimes))"))
            }
            return .success(regime)
        }
        let rate = reader.parsed("rate") { text -> Result<InterestRate, ConfigProblem> in
            guard let rate = InterestRate(percent: text) else {
                return .failure(ConfigProblem("\"\(text)\" is not a percent a year (a decimal with at most two places, such as \"8.00\")"))
            }
            guard rate.basisPoints >= 0 else { return .failure(ConfigProblem("\"\(text)\" is negative; a late payer is not paid interest")) }
            return .success(rate)
        }
        if reader.has("regime") && reader.has("rate") {
            reader.fail("rate", "give either regime (statutory interest) or rate (a fixed rate), not both")
        } else if !reader.has("regime") && !reader.has("rate") {
            reader.fail("regime", "is required (one of: \(regimes)), or give a fixed rate = \"8.00\" instead")
        }
        let rates = readRates(reader, regime: regime)
        guard !reader.failed, let rates else { return nil }
        if let rate { return InterestPolicy(basis: .fixed(rate)) }
        guard let regime else { return nil }
        return InterestPolicy(basis: .statutory(regime), rates: rates)
    }

    /// `[interest.rates]`, each key a half-year's first day and each value a percent.
    private static func readRates(_ reader: ConfigTableReader, regime: InterestRegime?) -> [HalfYear: InterestRate]? {
        guard let value = reader.table["rates"] else { return [:] }
        guard let table = value.table else {
            reader.fail("rates", "expected a table [interest.rates] of \"YYYY-MM-DD\" = \"PERCENT\", found a \(value.type)")
            return nil
        }
        if regime == nil || regime == InterestRegime.none {
            reader.fail("rates", "reference rates apply only to a regime that has them (uk, eu, de)")
            return nil
        }
        let rates = ConfigTableReader(table: table, name: "interest.rates", diagnostics: reader.diagnostics)
        var result: [HalfYear: InterestRate] = [:]
        for key in table.keys.sorted() {
            guard let half = LocalDate(key).flatMap(HalfYear.init(startingOn:)) else {
                rates.fail(key, "\"\(key)\" is not the first day of a half-year (YYYY-01-01 or YYYY-07-01)")
                continue
            }
            guard let rate = rates.parsed(key, { text -> Result<InterestRate, ConfigProblem> in
                InterestRate(percent: text).map { .success($0) }
                    ?? .failure(ConfigProblem("\"\(text)\" is not a percent (a decimal with at most two places, such as \"3.75\" or \"-0.88\")"))
            }) else { continue }
            result[half] = rate
        }
        if rates.failed { reader.markFailed() }
        return rates.failed ? nil : result
    }
}
