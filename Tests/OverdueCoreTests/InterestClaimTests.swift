import XCTest
@testable import OverdueCore

/// Statutory interest and compensation: worked examples from the statutes' guidance, and the
/// boundaries of the rules (half-years, leap years, partial payments, zero and negative rates).
final class InterestClaimTests: XCTestCase {
    func invoice(_ amount: String, _ currency: String = "GBP", due: String, paid: String = "0") -> Invoice {
        let code = Currency(code: currency)!
        return Invoice(number: "INV-1", clientID: "acme", issueDate: LocalDate(due)!.adding(days: -30), dueDate: LocalDate(due)!,
                       amount: try! Money.parse(amount, currency: code).get(), paid: try! Money.parse(paid, currency: code).get())
    }

    func payment(_ amount: String, _ currency: String = "EUR", on date: String) -> Payment {
        Payment(amount: try! Money.parse(amount, currency: Currency(code: currency)!).get(), paidOn: LocalDate(date)!,
                recordedAt: Date(timeIntervalSince1970: 0))
    }

    func claim(_ policy: InterestPolicy, _ invoice: Invoice, payments: [Payment] = [], asOf: String) throws -> InterestClaim {
        try InterestClaim.compute(policy, invoice: invoice, payments: payments, asOf: LocalDate(asOf)!).get()
    }

    let uk = InterestPolicy(basis: .statutory(.uk))
    let eu = InterestPolicy(basis: .statutory(.eu))
    let de = InterestPolicy(basis: .statutory(.de))
    func fixed(_ percent: String) -> InterestPolicy { InterestPolicy(basis: .fixed(InterestRate(percent: percent)!)) }

    // MARK: Worked examples

    /// GOV.UK, "Late commercial payments: charging interest and debt recovery" (charging
    /// interest on a commercial debt): a debt of £1,000 at 8% + a 0.5% reference rate is £85 a
    /// year, £85 / 365 = £0.2329 a day. Thirty days late: 30 × 85 / 365 = £6.986..., £6.99 when
    /// rounded once at the end (rounding the daily £0.23 first would give £6.90). Bank Rate was
    /// 0.5% on 31 December 2014, so a debt due 1 March 2015 takes 8.5%; £1,000 is in the £70 band.
    func testUKGuidanceWorkedExampleThirtyDaysOnAThousandPounds() throws {
        let result = try claim(uk, invoice("1000.00", due: "2015-03-01"), asOf: "2015-03-31")
        XCTAssertEqual(result.interest.description, "6.99 GBP")
        XCTAssertEqual(result.periods.map(\.rate.description), ["8.50"])
        XCTAssertEqual(result.periods.map(\.days), [30])
        XCTAssertEqual(result.compensation.description, "70.00 GBP")
        XCTAssertEqual(result.total(adding: invoice("1000.00", due: "2015-03-01").balance).description, "1076.99 GBP")
    }

    /// The German Tageszinsformel, "Kapital × Tage × Prozentsatz / (365 × 100)" (anleiter.de,
    /// "Wie berechnet man Verzugszinsen?"): 1000.00 EUR, 25 days at 5.12% (Basiszinssatz 0.12 + 5,
    /// 2012) give 3.51 EUR. As a fixed rate, which carries no compensation.
    func testGermanDayInterestFormulaExampleAsAFixedRate() throws {
        let result = try claim(fixed("5.12"), invoice("1000.00", "EUR", due: "2012-03-01"), asOf: "2012-03-26")
        XCTAssertEqual(result.interest.description, "3.51 EUR")
        XCTAssertEqual(result.compensation.description, "0.00 EUR")
    }

    /// § 288 Abs. 2 BGB with the Bundesbank's Basiszinssatz of each half-year: 10,000 EUR due
    /// 15 June 2024, as of 14 August 2024: 15 days at 3.62 + 9 = 12.62%, then 45 days at
    /// 3.37 + 9 = 12.37%: 10,000 × (12.62% × 15 + 12.37% × 45) / 365 = 204.37 EUR exactly; + 40 EUR.
    func testGermanB2BInterestFollowsTheBasiszinssatzOfEachHalfYear() throws {
        let result = try claim(de, invoice("10000.00", "EUR", due: "2024-06-15"), asOf: "2024-08-14")
        XCTAssertEqual(result.periods.map(\.rate.description), ["12.62", "12.37"])
        XCTAssertEqual(result.periods.map(\.days), [15, 45])
        XCTAssertEqual(result.interest.description, "204.37 EUR")
        XCTAssertEqual(result.compensation.description, "40.00 EUR")
    }

    /// Directive 2011/7/EU: the ECB rate in force on 1 January applies to the first semester, that
    /// on 1 July to the second. 5,000 EUR due 20 June 2023, as of 20 July 2023: 10 days at
    /// 2.50 + 8 = 10.50%, 20 days at 4.00 + 8 = 12.00%: 5,000 × (0.105 × 10 + 0.12 × 20) / 365 =
    /// 47.26 EUR; compensation 40 EUR (Art. 6).
    func testEUInterestTakesTheECBRateOfEachSemester() throws {
        let result = try claim(eu, invoice("5000.00", "EUR", due: "2023-06-20"), asOf: "2023-07-20")
        XCTAssertEqual(result.periods.map(\.rate.description), ["10.50", "12.00"])
        XCTAssertEqual(result.interest.description, "47.26 EUR")
        XCTAssertEqual(result.compensation.description, "40.00 EUR")
    }

    // MARK: Half-years and the UK reference date

    func testUKRateIsFixedFromTheHalfYearInterestStartsToRun() throws {
        // Due 29 June 2022: interest starts 30 June, Bank Rate on 31 Dec 2021 was 0.25: 8.25% for
        // the whole debt, through the rises of 2022 and 2023.
        let june29 = try claim(uk, invoice("1000.00", due: "2022-06-29"), asOf: "2023-06-29")
        XCTAssertEqual(june29.periods.map(\.rate.description), ["8.25"])
        XCTAssertEqual(june29.periods.map(\.days), [365])
        XCTAssertEqual(june29.interest.description, "82.50 GBP")
        // Due 30 June 2022: interest starts 1 July, so the rate on 30 June 2022 (1.25) applies.
        let june30 = try claim(uk, invoice("1000.00", due: "2022-06-30"), asOf: "2022-07-01")
        XCTAssertEqual(june30.periods.map(\.rate.description), ["9.25"])
    }

    func testEURateChangesOnTheFirstOfJanuaryAndJuly() throws {
        let result = try claim(eu, invoice("1000.00", "EUR", due: "2022-12-30"), asOf: "2023-01-02")
        XCTAssertEqual(result.periods.map { "\($0.from)..\($0.through) \($0.rate)" },
                       ["2022-12-31..2022-12-31 8.00", "2023-01-01..2023-01-02 10.50"])
    }

    func testAHalfYearWithoutAKnownRateIsAnErrorNamingIt() {
        // The ECB table stops at the first half of 2026.
        let result = InterestClaim.compute(eu, invoice: invoice("1000.00", "EUR", due: "2026-06-20"), payments: [],
                                           asOf: LocalDate("2026-07-05")!)
        XCTAssertEqual(result, .failure(.noReferenceRate(regime: .eu, half: HalfYear(year: 2026, isSecond: true))))
        guard case .failure(let error) = result else { return }
        XCTAssertTrue(error.description.contains("add it to [interest.rates] as \"2026-07-01\" = \"PERCENT\""), error.description)
        // A UK debt whose interest starts in 2027 needs the rate on 31 December 2026.
        let uk2027 = InterestClaim.compute(uk, invoice: invoice("1000.00", due: "2026-12-31"), payments: [], asOf: LocalDate("2027-01-05")!)
        XCTAssertEqual(uk2027, .failure(.noReferenceRate(regime: .uk, half: HalfYear(year: 2027, isSecond: false))))
        if case .failure(let error) = uk2027 { XCTAssertTrue(error.description.contains("in force on 2026-12-31"), error.description) }
        // One day earlier it started in 2026: the known 3.75 holds for the debt, into 2027.
        XCTAssertNoThrow(try claim(uk, invoice("1000.00", due: "2026-12-30"), asOf: "2027-03-01"))
    }

    func testConfiguredRatesAddAndOverrideTheTable() throws {
        var policy = eu
        policy.rates[HalfYear(year: 2026, isSecond: true)] = InterestRate(percent: "2.00")!
        let result = try claim(policy, invoice("1000.00", "EUR", due: "2026-06-29"), asOf: "2026-07-02")
        XCTAssertEqual(result.periods.map(\.rate.description), ["10.15", "10.00"])
        policy.rates[HalfYear(year: 2026, isSecond: false)] = InterestRate(percent: "3.00")!
        XCTAssertEqual(try claim(policy, invoice("1000.00", "EUR", due: "2026-06-29"), asOf: "2026-07-02").periods.first?.rate.description, "11.00")
    }

    // MARK: Day count and rounding

    func testLeapDayIsADayAndTheYearStill365Days() throws {
        // 3.65% on 1000.00 is exactly 0.10 a day under actual/365.
        let result = try claim(fixed("3.65"), invoice("1000.00", "EUR", due: "2024-02-28"), asOf: "2024-03-01")
        XCTAssertEqual(result.periods.map(\.days), [2], "29 February counts")
        XCTAssertEqual(result.interest.description, "0.20 EUR")
        let year = try claim(fixed("3.65"), invoice("1000.00", "EUR", due: "2023-12-31"), asOf: "2024-12-31")
        XCTAssertEqual(year.interest.description, "36.60 EUR", "366 days of 2024 at 1/365 each")
    }

    func testRoundedOnceHalfUp() throws {
        // 1.00 at 18.25%: 0.0005 a day; 9 days = 0.0045 -> 0.00, 10 days = 0.005 -> 0.01.
        XCTAssertEqual(try claim(fixed("18.25"), invoice("1.00", "EUR", due: "2025-01-01"), asOf: "2025-01-10").interest.minorUnits, 0)
        XCTAssertEqual(try claim(fixed("18.25"), invoice("1.00", "EUR", due: "2025-01-01"), asOf: "2025-01-11").interest.minorUnits, 1)
    }

    func testNothingBeforeTheDayAfterTheDueDate() throws {
        let onDue = try claim(uk, invoice("500.00", due: "2025-03-01"), asOf: "2025-03-01")
        XCTAssertEqual(onDue.interest.minorUnits, 0)
        XCTAssertEqual(onDue.compensation.minorUnits, 0, "not late yet: no compensation")
        XCTAssertTrue(onDue.periods.isEmpty)
        XCTAssertEqual(try claim(uk, invoice("500.00", due: "2025-03-01"), asOf: "2025-03-02").compensation.description, "40.00 GBP")
    }

    // MARK: Payments

    func testAPartialPaymentReducesThePrincipalFromTheNextDay() throws {
        // 1000.00 at 3.65%: 0.10 a day for 10 days (the day of payment included), then 600.00: 0.06 a day.
        let result = try claim(fixed("3.65"), invoice("1000.00", "EUR", due: "2026-01-01", paid: "400.00"),
                               payments: [payment("400.00", on: "2026-01-11")], asOf: "2026-01-21")
        XCTAssertEqual(result.periods.map { "\($0.from) \($0.days) \($0.principal)" },
                       ["2026-01-02 10 1000.00 EUR", "2026-01-12 10 600.00 EUR"])
        XCTAssertEqual(result.interest.description, "1.60 EUR")
    }

    func testUndatedImportedPaymentCountsAsPaidByTheDueDate() throws {
        let result = try claim(fixed("3.65"), invoice("1000.00", "EUR", due: "2026-01-01", paid: "500.00"), asOf: "2026-01-11")
        XCTAssertEqual(result.periods.map(\.principal.description), ["500.00 EUR"])
        XCTAssertEqual(result.interest.description, "0.50 EUR")
    }

    func testAPaidInvoiceKeepsTheInterestUntilItsLastPayment() throws {
        let paidLate = invoice("1000.00", "EUR", due: "2026-01-01", paid: "1000.00")
        let result = try claim(InterestPolicy(basis: .statutory(.eu)), paidLate, payments: [payment("1000.00", on: "2026-01-11")],
                               asOf: "2026-06-30")
        XCTAssertEqual(result.periods.map(\.days), [10])
        XCTAssertEqual(result.interest.description, "2.78 EUR", "10 days at 2.15 + 8 = 10.15%: 2.7808")
        XCTAssertEqual(result.compensation.description, "40.00 EUR")
        let paidOnTime = try claim(eu, invoice("1000.00", "EUR", due: "2026-01-01", paid: "1000.00"),
                                   payments: [payment("1000.00", on: "2025-12-30")], asOf: "2026-06-30")
        XCTAssertEqual(paidOnTime.interest.minorUnits, 0)
        XCTAssertEqual(paidOnTime.compensation.minorUnits, 0, "nothing was late")
    }

    // MARK: Zero and negative reference rates

    func testNegativeBasiszinssatzStillLeavesAPositiveRate() throws {
        // 2020: Basiszinssatz -0.88, so 8.12% on 10,000 EUR for 365 days = 812.00 EUR.
        let result = try claim(de, invoice("10000.00", "EUR", due: "2019-12-31"), asOf: "2020-12-30")
        XCTAssertEqual(result.periods.map(\.rate.description), ["8.12"], "one stretch: the rate did not change on 1 July")
        XCTAssertEqual(result.interest.description, "812.00 EUR")
    }

    func testZeroECBRateGivesTheEightPoints() throws {
        XCTAssertEqual(try claim(eu, invoice("1000.00", "EUR", due: "2020-12-31"), asOf: "2021-12-31").interest.description, "80.00 EUR")
    }

    func testADayWhoseTotalRateIsBelowZeroBearsNone() throws {
        var policy = de
        policy.rates[HalfYear(year: 2025, isSecond: false)] = InterestRate(percent: "-10.00")!
        let result = try claim(policy, invoice("1000.00", "EUR", due: "2025-01-01"), asOf: "2025-01-31")
        XCTAssertEqual(result.periods.map(\.rate.description), ["-1.00"])
        XCTAssertEqual(result.interest.minorUnits, 0)
    }

    // MARK: Compensation

    func testUKCompensationBands() throws {
        func compensation(_ amount: String) throws -> String {
            try claim(uk, invoice(amount, due: "2025-03-01"), asOf: "2025-03-10").compensation.description
        }
        XCTAssertEqual(try compensation("999.99"), "40.00 GBP")
        XCTAssertEqual(try compensation("1000.00"), "70.00 GBP")
        XCTAssertEqual(try compensation("9999.99"), "70.00 GBP")
        XCTAssertEqual(try compensation("10000.00"), "100.00 GBP")
        // The band is the debt as it fell due: 10,000 less 9,500 paid by then is under 1,000.
        XCTAssertEqual(try claim(uk, invoice("10000.00", due: "2025-03-01", paid: "9500.00"), asOf: "2025-03-10")
            .compensation.description, "40.00 GBP")
    }

    func testAnInvoiceInAnotherCurrencyGetsNoCompensationButTheRegimesInterest() throws {
        let dollars = try claim(uk, invoice("1000.00", "USD", due: "2015-03-01"), asOf: "2015-03-31")
        XCTAssertEqual(dollars.compensation.description, "0.00 USD")
        XCTAssertEqual(dollars.interest.description, "6.99 USD")
        XCTAssertEqual(try claim(de, invoice("1000.00", "GBP", due: "2025-03-01"), asOf: "2025-03-10").compensation.minorUnits, 0)
    }

    func testRegimeNoneClaimsNothing() throws {
        let result = try claim(InterestPolicy(basis: .statutory(.none)), invoice("1000.00", due: "2020-01-01"), asOf: "2026-01-01")
        XCTAssertEqual(result.interest.minorUnits, 0)
        XCTAssertEqual(result.compensation.minorUnits, 0)
    }

    func testNoDigitsCurrencyRoundsToWholeUnits() throws {
        // 100,000 JPY at 3.65% for 3 days: 30 yen.
        XCTAssertEqual(try claim(fixed("3.65"), invoice("100000", "JPY", due: "2025-01-01"), asOf: "2025-01-04").interest.description, "30 JPY")
    }

    // MARK: The tables

    func testShippedTablesHaveEveryHalfYearFrom2012AndSayWhereTheyComeFrom() {
        for table in [ReferenceRateTable.bankOfEngland, .ecb, .basiszinssatz] {
            var half = HalfYear(year: 2012, isSecond: false)
            while half <= HalfYear(year: 2026, isSecond: false) {
                XCTAssertNotNil(table.rates[half], "\(table.name) \(half)")
                half = half.next
            }
            XCTAssertTrue(table.source.hasPrefix("https://"))
            XCTAssertEqual(table.checked, LocalDate("2026-12-02"))
        }
        XCTAssertEqual(ReferenceRateTable.bankOfEngland.rates[HalfYear(year: 2026, isSecond: true)], InterestRate(percent: "3.75"))
        XCTAssertNil(ReferenceRateTable.ecb.rates[HalfYear(year: 2026, isSecond: true)], "not confirmed: left out")
    }

    func testRatesParseAsPercentWithAtMostTwoDecimals() {
        XCTAssertEqual(InterestRate(percent: "8")?.basisPoints, 800)
        XCTAssertEqual(InterestRate(percent: "0.5")?.basisPoints, 50)
        XCTAssertEqual(InterestRate(percent: "-0.88")?.basisPoints, -88)
        XCTAssertEqual(InterestRate(percent: "-0.88")?.description, "-0.88")
        for bad in ["", "8.", ".5", "8.125", "1e2", "+8", "8,00", "101", " 8", "--1"] {
            XCTAssertNil(InterestRate(percent: bad), bad)
        }
    }
}
