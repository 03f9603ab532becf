import OverdueCore
import XCTest

/// Exact money: parsing refuses anything but plain decimals with the currency's digits.
final class MoneyTests: XCTestCase {
    let eur = Currency(code: "EUR")!, jpy = Currency(code: "JPY")!, kwd = Currency(code: "KWD")!, clf = Currency(code: "CLF")!

    func units(_ text: String, _ currency: Currency) -> Int64? { try? Money.parse(text, currency: currency).get().minorUnits }

    func error(_ text: String, _ currency: Currency) -> MoneyError? {
        if case .failure(let error) = Money.parse(text, currency: currency) { return error }
        return nil
    }

    func testCurrencyCodesAndExponents() {
        XCTAssertEqual(eur.minorDigits, 2)
        XCTAssertEqual(jpy.minorDigits, 0)
        XCTAssertEqual(kwd.minorDigits, 3)
        XCTAssertEqual(clf.minorDigits, 4)
        XCTAssertEqual(Currency(code: "USD")?.minorDigits, 2)
        XCTAssertEqual(Currency(code: "BHD")?.minorDigits, 3)
        XCTAssertEqual(Currency(code: "KRW")?.minorDigits, 0)
        XCTAssertEqual(eur.description, "EUR")
    }

    func testUnknownAndMalformedCurrencyCodesAreRefused() {
        for code in ["eur", "Eur", "XXX", "XAU", "ABC", "EURO", "EU", "", " EUR", "EUR "] {
            XCTAssertNil(Currency(code: code), code)
        }
    }

    func testParsesPlainDecimals() {
        XCTAssertEqual(units("1200", eur), 120_000)
        XCTAssertEqual(units("1200.5", eur), 120_050)
        XCTAssertEqual(units("1200.50", eur), 120_050)
        XCTAssertEqual(units("0.01", eur), 1)
        XCTAssertEqual(units("0", eur), 0)
        XCTAssertEqual(units("007.10", eur), 710)
        XCTAssertEqual(units("1200", jpy), 1200)
        XCTAssertEqual(units("12.5", kwd), 12_500)
        XCTAssertEqual(units("12.125", kwd), 12_125)
        XCTAssertEqual(units("1.0001", clf), 10_001)
    }

    func testRefusesEverythingElse() {
        for text in ["", ".", "1.", ".5", "1.2.3", "-5", "+5", "1e3", "1E3", "1,000.00", "1 000", " 12", "12 ", "0x10",
                     "NaN", "inf", "1_000", "١٢", "１２", "12€"] {
            XCTAssertEqual(error(text, eur), .notADecimal(text), text)
        }
    }

    func testTooManyDigitsIsAnErrorNeverARounding() {
        XCTAssertEqual(error("10.001", eur), .tooManyDigits("10.001", currency: "EUR", allowed: 2))
        XCTAssertEqual(error("10.000", eur), .tooManyDigits("10.000", currency: "EUR", allowed: 2))
        XCTAssertEqual(error("12.5", jpy), .tooManyDigits("12.5", currency: "JPY", allowed: 0))
        XCTAssertEqual(error("12.0", jpy), .tooManyDigits("12.0", currency: "JPY", allowed: 0))
        XCTAssertEqual(error("1.0000", kwd), .tooManyDigits("1.0000", currency: "KWD", allowed: 3))
    }

    func testOverflowIsRefused() {
        XCTAssertEqual(units("92233720368547758.07", eur), Int64.max)
        XCTAssertEqual(error("92233720368547758.08", eur), .tooLarge("92233720368547758.08"))
        XCTAssertEqual(units("92233720368547758", eur), 9_223_372_036_854_775_800)
        XCTAssertEqual(error("92233720368547759", eur), .tooLarge("92233720368547759"))
        XCTAssertEqual(units("9223372036854775807", jpy), Int64.max)
        XCTAssertEqual(error("9223372036854775808", jpy), .tooLarge("9223372036854775808"))
        XCTAssertEqual(error("99999999999999999999999", jpy), .tooLarge("99999999999999999999999"))
    }

    func testErrorDescriptionsReadAsOneLine() {
        XCTAssertEqual(MoneyError.notADecimal("1e3").description, #""1e3" is not a plain decimal amount (digits with an optional '.')"#)
        XCTAssertEqual(MoneyError.tooManyDigits("1.5", currency: "JPY", allowed: 0).description, #""1.5" has more than 0 decimal digits, the most JPY allows"#)
        XCTAssertEqual(MoneyError.tooManyDigits("1.55", currency: "XYZ", allowed: 1).description, #""1.55" has more than 1 decimal digit, the most XYZ allows"#)
        XCTAssertEqual(MoneyError.tooLarge("9").description, #""9" is too large"#)
    }

    func testDecimalStringHasExactlyTheCurrencysDigits() {
        XCTAssertEqual(Money(minorUnits: 120_000, currency: eur).decimalString, "1200.00")
        XCTAssertEqual(Money(minorUnits: 5, currency: eur).decimalString, "0.05")
        XCTAssertEqual(Money(minorUnits: 0, currency: eur).decimalString, "0.00")
        XCTAssertEqual(Money(minorUnits: -5, currency: eur).decimalString, "-0.05")
        XCTAssertEqual(Money(minorUnits: -120_050, currency: eur).decimalString, "-1200.50")
        XCTAssertEqual(Money(minorUnits: 1200, currency: jpy).decimalString, "1200")
        XCTAssertEqual(Money(minorUnits: -1200, currency: jpy).decimalString, "-1200")
        XCTAssertEqual(Money(minorUnits: 12_500, currency: kwd).decimalString, "12.500")
        XCTAssertEqual(Money(minorUnits: 7, currency: clf).decimalString, "0.0007")
        XCTAssertEqual(Money(minorUnits: Int64.max, currency: eur).decimalString, "92233720368547758.07")
        XCTAssertEqual(Money(minorUnits: Int64.min, currency: eur).decimalString, "-92233720368547758.08")
        XCTAssertEqual(Money(minorUnits: 120_000, currency: eur).description, "1200.00 EUR")
    }

    func testParseAndFormatRoundTrip() {
        for currency in [eur, jpy, kwd, clf] {
            for units: Int64 in [0, 1, 9, 10, 99, 100, 101, 12_345, 1_000_000, 987_654_321_012] {
                let text = Money(minorUnits: units, currency: currency).decimalString
                XCTAssertEqual(self.units(text, currency), units, "\(text) \(currency)")
            }
        }
    }

    func testMoneyOrdersByMinorUnits() {
        XCTAssertLessThan(Money(minorUnits: 1, currency: eur), Money(minorUnits: 2, currency: eur))
        XCTAssertEqual(Money(minorUnits: 1, currency: eur), Money(minorUnits: 1, currency: eur))
        XCTAssertNotEqual(Money(minorUnits: 1, currency: eur), Money(minorUnits: 1, currency: Currency(code: "USD")!))
    }

    // MARK: DecimalAmount

    func decimal(_ text: String) -> DecimalAmount { try! DecimalAmount.parse(text).get() }

    func testDecimalAmountKeepsDigitsAndScale() {
        XCTAssertEqual(decimal("40.00").digits, 4000)
        XCTAssertEqual(decimal("40.00").scale, 2)
        XCTAssertEqual(decimal("40").scale, 0)
        XCTAssertEqual(decimal("0.125").digits, 125)
        XCTAssertEqual(decimal("40.00").description, "40.00")
        XCTAssertEqual(DecimalAmount.parse("-1"), .failure(.notADecimal("-1")))
        XCTAssertEqual(DecimalAmount.parse("1e2"), .failure(.notADecimal("1e2")))
        XCTAssertEqual(DecimalAmount.parse("99999999999999999999"), .failure(.tooLarge("99999999999999999999")))
    }

    func testDecimalAmountInACurrency() {
        XCTAssertEqual(try decimal("40").minorUnits(in: eur).get(), 4000)
        XCTAssertEqual(try decimal("40.5").minorUnits(in: kwd).get(), 40_500)
        XCTAssertEqual(decimal("40.50").minorUnits(in: jpy), .failure(.tooManyDigits("40.50", currency: "JPY", allowed: 0)))
        XCTAssertEqual(decimal("9223372036854775807").minorUnits(in: eur), .failure(.tooLarge("9223372036854775807")))
    }

    func testExactMinorUnitsAcceptsSurplusZeros() {
        XCTAssertEqual(decimal("40.00").exactMinorUnits(in: jpy), 40)
        XCTAssertEqual(decimal("40.000").exactMinorUnits(in: eur), 4000)
        XCTAssertEqual(decimal("40.10").exactMinorUnits(in: eur), 4010)
        XCTAssertEqual(decimal("40.5").exactMinorUnits(in: kwd), 40_500)
        XCTAssertNil(decimal("40.50").exactMinorUnits(in: jpy))
        XCTAssertNil(decimal("0.001").exactMinorUnits(in: eur))
        XCTAssertNil(decimal("9223372036854775807").exactMinorUnits(in: eur))
    }
}
