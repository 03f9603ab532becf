/// The published reference rates the statutory regimes add their points to, one value per
/// half-year (the value that half-year uses), shipped as data. `[interest.rates]` in the config
/// adds half-years or overrides these. A half-year missing here has no rate: the computation
/// stops with an error naming it, never a guess from a neighbouring value.
///
/// Each table says where its values come from and when they were last compared with that
/// source; a half-year that had not begun (or whose rate was not yet fixed) on that day is
/// left out, so a table never claims a value that could still change.
public struct ReferenceRateTable: Sendable {
    /// What the rate is, for messages (`Bank of England Bank Rate`).
    public let name: String
    /// Where the values were read.
    public let source: String
    /// The day they were last compared with `source`.
    public let checked: LocalDate
    public let rates: [HalfYear: InterestRate]

    init(name: String, source: String, checked: String, _ table: KeyValuePairs<String, String>) {
        self.name = name
        self.source = source
        self.checked = LocalDate(checked)!
        var rates: [HalfYear: InterestRate] = [:]
        for (start, percent) in table {
            rates[HalfYear(startingOn: LocalDate(start)!)!] = InterestRate(percent: percent)!
        }
        self.rates = rates
    }
}

extension ReferenceRateTable {
    /// UK: the Bank of England's Bank Rate ("official dealing rate") in force at the close of
    /// business on 31 December (for the half-year from 1 January) or 30 June (for the half-year
    /// from 1 July): the Late Payment of Commercial Debts (Rate of Interest) (No. 3) Order 2002.
    /// Keyed by the half-year the value applies to, so "2026-07-01" is the rate on 30 June 2026.
    /// Changes behind these values: 0.25 from 4 Aug 2016, 0.50 from 2 Nov 2017, 0.75 from 2 Aug
    /// 2018, 0.10 from 19 Mar 2020, 0.25 from 16 Dec 2021, 1.25 from 16 Jun 2022, 3.50 from 15 Dec
    /// 2022, 5.00 from 22 Jun 2023, 5.25 from 3 Aug 2023, 4.75 from 7 Nov 2024, 4.25 from 8 May
    /// 2025, 3.75 from 18 Dec 2025 (held on 18 Jun 2026).
    public static let bankOfEngland = ReferenceRateTable(
        name: "Bank of England Bank Rate",
        source: "https://www.bankofengland.co.uk/boeapps/database/Bank-Rate.asp",
        checked: "2026-12-02", [
            "2012-01-01": "0.50", "2012-07-01": "0.50", "2013-01-01": "0.50", "2013-07-01": "0.50",
            "2014-01-01": "0.50", "2014-07-01": "0.50", "2015-01-01": "0.50", "2015-07-01": "0.50",
            "2016-01-01": "0.50", "2016-07-01": "0.50", "2017-01-01": "0.25", "2017-07-01": "0.25",
            "2018-01-01": "0.50", "2018-07-01": "0.50", "2019-01-01": "0.75", "2019-07-01": "0.75",
            "2020-01-01": "0.75", "2020-07-01": "0.10", "2021-01-01": "0.10", "2021-07-01": "0.10",
            "2022-01-01": "0.25", "2022-07-01": "1.25", "2023-01-01": "3.50", "2023-07-01": "5.00",
            "2024-01-01": "5.25", "2024-07-01": "5.25", "2025-01-01": "4.75", "2025-07-01": "4.25",
            "2026-01-01": "3.75", "2026-07-01": "3.75",
        ])

    /// EU: the ECB's main refinancing operations rate in force on the first calendar day of the
    /// half-year (1 January, 1 July). The rate on 1 July 2026 could not be confirmed when the
    /// table was checked and is left out.
    public static let ecb = ReferenceRateTable(
        name: "ECB main refinancing operations rate",
        source: "https://www.ecb.europa.eu/stats/policy_and_exchange_rates/key_ecb_interest_rates/html/index.en.html",
        checked: "2026-12-02", [
            "2012-01-01": "1.00", "2012-07-01": "1.00", "2013-01-01": "0.75", "2013-07-01": "0.50",
            "2014-01-01": "0.25", "2014-07-01": "0.15", "2015-01-01": "0.05", "2015-07-01": "0.05",
            "2016-01-01": "0.05", "2016-07-01": "0.00", "2017-01-01": "0.00", "2017-07-01": "0.00",
            "2018-01-01": "0.00", "2018-07-01": "0.00", "2019-01-01": "0.00", "2019-07-01": "0.00",
            "2020-01-01": "0.00", "2020-07-01": "0.00", "2021-01-01": "0.00", "2021-07-01": "0.00",
            "2022-01-01": "0.00", "2022-07-01": "0.00", "2023-01-01": "2.50", "2023-07-01": "4.00",
            "2024-01-01": "4.50", "2024-07-01": "4.25", "2025-01-01": "3.15", "2025-07-01": "2.15",
            "2026-01-01": "2.15",
        ])

    /// Germany: the Basiszinssatz of § 247 BGB as the Deutsche Bundesbank announces it for
    /// 1 January and 1 July. Negative from 2013 to 2022. The value from 1 July 2026 could not be
    /// confirmed when the table was checked and is left out.
    public static let basiszinssatz = ReferenceRateTable(
        name: "Basiszinssatz (§ 247 BGB)",
        source: "https://www.bundesbank.de/de/bundesbank/organisation/agb-und-regelungen/basiszinssatz-607820",
        checked: "2026-12-02", [
            "2012-01-01": "0.12", "2012-07-01": "0.12", "2013-01-01": "-0.13", "2013-07-01": "-0.38",
            "2014-01-01": "-0.63", "2014-07-01": "-0.73", "2015-01-01": "-0.83", "2015-07-01": "-0.83",
            "2016-01-01": "-0.83", "2016-07-01": "-0.88", "2017-01-01": "-0.88", "2017-07-01": "-0.88",
            "2018-01-01": "-0.88", "2018-07-01": "-0.88", "2019-01-01": "-0.88", "2019-07-01": "-0.88",
            "2020-01-01": "-0.88", "2020-07-01": "-0.88", "2021-01-01": "-0.88", "2021-07-01": "-0.88",
            "2022-01-01": "-0.88", "2022-07-01": "-0.88", "2023-01-01": "1.62", "2023-07-01": "3.12",
            "2024-01-01": "3.62", "2024-07-01": "3.37", "2025-01-01": "2.27", "2025-07-01": "1.27",
            "2026-01-01": "1.27",
        ])
}
