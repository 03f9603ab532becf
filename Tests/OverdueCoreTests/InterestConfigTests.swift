import XCTest
@testable import OverdueCore

/// `[interest]` in the config: a regime or a fixed rate, reference rates by half-year, and
/// every mistake refused with exit 78 naming file, line and key. Lines count from the spec's
/// example (51 lines), so the appended section starts on line 52.
final class InterestConfigTests: XCTestCase {
    private let file = ConfigFixtures.path

    func load(_ section: String) throws -> Config {
        try ConfigLoader.parse(ConfigFixtures.specExample + "\n" + section, path: file)
    }

    func testWithoutTheSectionThereIsNoInterest() throws {
        XCTAssertNil(try ConfigLoader.parse(ConfigFixtures.specExample, path: file).interest)
    }

    func testRegimeAndRatesAreRead() throws {
        let config = try load("[interest]\nregime = \"de\"\n\n[interest.rates]\n\"2026-07-01\" = \"1.02\"\n\"2027-01-01\" = \"-0.5\"\n")
        XCTAssertEqual(config.interest?.basis, .statutory(.de))
        XCTAssertEqual(config.interest?.rates, [HalfYear(year: 2026, isSecond: true): InterestRate(basisPoints: 102),
                                                HalfYear(year: 2027, isSecond: false): InterestRate(basisPoints: -50)])
        XCTAssertEqual(try load("[interest]\nrate = \"8.00\"\n").interest?.basis, .fixed(InterestRate(basisPoints: 800)))
        XCTAssertEqual(try load("[interest]\nregime = \"none\"\n").interest?.basis, .statutory(.none))
    }

    func testMistakesAreRefusedWithTheirLineAndKey() {
        func refused(_ section: String, _ expected: String, line: UInt = #line) {
            ConfigFixtures.assertRefused(ConfigFixtures.specExample + "\n" + section, "\(file):\(expected)", line: line)
        }
        refused("[interest]\nregime = \"fr\"\n", "54: interest.regime: \"fr\" is not a regime (expected one of: none, uk, eu, de)")
        refused("[interest]\nrate = \"eight\"\n", "54: interest.rate: \"eight\" is not a percent a year")
        refused("[interest]\nrate = \"-1.00\"\n", "54: interest.rate: \"-1.00\" is negative")
        refused("[interest]\nrate = 8\n", "54: interest.rate: expected a string, found an integer")
        refused("[interest]\nregime = \"uk\"\nrate = \"8.00\"\n", "55: interest.rate: give either regime (statutory interest) or rate")
        refused("[interest]\n", "53: interest.regime: is required")
        refused("[interest]\nregime = \"uk\"\nmargin = \"9\"\n", "55: interest.margin: unknown key")
        refused("[interest]\nregime = \"uk\"\n\n[interest.rates]\n\"2026-03-01\" = \"3.75\"\n",
                "57: interest.rates.2026-03-01: \"2026-03-01\" is not the first day of a half-year")
        refused("[interest]\nregime = \"uk\"\n\n[interest.rates]\n\"2026-07-01\" = \"3.755\"\n",
                "57: interest.rates.2026-07-01: \"3.755\" is not a percent")
        refused("[interest]\nregime = \"uk\"\n\n[interest.rates]\n\"2026-07-01\" = 3.75\n",
                "57: interest.rates.2026-07-01: expected a string, found a floating-point")
        refused("[interest]\nrate = \"8.00\"\n\n[interest.rates]\n\"2026-07-01\" = \"3.75\"\n",
                "56: interest.rates: reference rates apply only to a regime that has them")
        refused("[interest]\nregime = \"uk\"\nrates = \"3.75\"\n", "55: interest.rates: expected a table")
    }
}
