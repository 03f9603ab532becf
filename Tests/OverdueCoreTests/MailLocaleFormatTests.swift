import XCTest
@testable import OverdueCore

/// Money and dates for people in `business.locale`: exact digits from minor units, the
/// locale's separators, symbol placement and long date.
final class MailLocaleFormatTests: XCTestCase {
    func money(_ minorUnits: Int64, _ code: String, _ locale: String) -> String {
        LocaleFormat.named(locale).money(Money(minorUnits: minorUnits, currency: Currency(code: code)!))
    }

    func testMoneyIsWrittenTheWayEachLocaleWritesIt() {
        XCTAssertEqual(money(485_000, "EUR", "en-GB"), "€4,850.00")
        XCTAssertEqual(money(485_000, "EUR", "de-DE"), "4.850,00 €")
        XCTAssertEqual(money(180_000, "JPY", "ja-JP"), "¥180,000")
        XCTAssertEqual(money(86_500, "GBP", "en-GB"), "£865.00")
        XCTAssertEqual(money(123_456_789_012, "EUR", "de-DE"), "1.234.567.890,12 €")
    }

    func testMinorDigitsComeFromTheCurrencyNotTheLocale() {
        XCTAssertEqual(money(180_000, "JPY", "en-GB"), "JP¥180,000")
        XCTAssertEqual(money(12_500, "KWD", "en-GB"), "KWD 12.500", "three digits, and a symbol of letters set apart")
        XCTAssertEqual(money(1_234_567, "KWD", "de-DE"), "1.234,567 KWD")
        XCTAssertEqual(money(5, "EUR", "en-GB"), "€0.05")
        XCTAssertEqual(money(0, "JPY", "ja-JP"), "¥0")
    }

    func testAmountsBeyondDoublePrecisionStayExact() {
        // 2^53 + 1 minor units: a Double would make it ...992.
        XCTAssertEqual(money(9_007_199_254_740_993, "EUR", "en-GB"), "€90,071,992,547,409.93")
        XCTAssertEqual(money(Int64.max, "JPY", "ja-JP"), "¥9,223,372,036,854,775,807")
    }

    func testANegativeAmountKeepsItsSignInFront() {
        XCTAssertEqual(money(-500, "EUR", "en-GB"), "-€5.00")
        XCTAssertEqual(money(-500, "EUR", "de-DE"), "-5,00 €")
        XCTAssertEqual(money(Int64.min, "JPY", "en-GB"), "-JP¥9,223,372,036,854,775,808")
    }

    func testDatesAreWrittenInTheLocalesLongStyle() {
        let date = LocalDate("2026-02-19")!
        XCTAssertEqual(LocaleFormat.named("en-GB").date(date), "19 February 2026")
        XCTAssertEqual(LocaleFormat.named("de-DE").date(date), "19. Februar 2026")
        XCTAssertEqual(LocaleFormat.named("ja-JP").date(date), "2026年2月19日")
        XCTAssertEqual(LocaleFormat.named("en-US").date(date), "February 19, 2026")
        XCTAssertEqual(LocaleFormat.named("es-ES").date(LocalDate("2026-03-05")!), "5 de marzo de 2026")
    }

    func testDatePatternsWithOtherFieldsFallBackToISO() {
        XCTAssertNil(LocaleFormat.DatePiece.parse("EEEE d MMMM y"))
        XCTAssertEqual(LocaleFormat.DatePiece.parse("d 'de' MMMM"), [.day(1), .literal(" de "), .month(4)])
    }
}
