import XCTest
@testable import OverdueCore

/// The pure parts of issue 9 part 4 and renamed stages: the accepted dates, bounded config
/// numbers, NUL in config text, NFC identity, CSV cell neutralisation, stage names the ledger
/// holds that a config no longer accounts for.
final class InputBoundsTests: XCTestCase {
    private let file = ConfigFixtures.path

    // MARK: Dates

    func testAsOfOutsideTheAcceptedDatesIsRefusedWithItsReason() {
        let berlin = Fixture.zone("Europe/Berlin")
        for text in ["9999-12-31T23:30:00Z", "9999-12-31T00:00:00Z", "9999-12-31", "0001-01-01", "0001-01-01T23:59:59Z",
                     "0001-01-02T00:30:00+01:00"] {
            XCTAssertEqual(checkAsOf(text, zone: berlin), .failure(.outsideRange(text)), text)
            XCTAssertNil(parseAsOf(text, zone: berlin), text)
        }
        XCTAssertEqual(checkAsOf("soon", zone: berlin), .failure(.malformed("soon")))
        XCTAssertTrue(AsOfProblem.outsideRange("x").description.contains("0001-01-02 to 9999-12-30"))
    }

    func testEveryAcceptedInstantHasAFourDigitLocalDateInEveryZone() {
        let edges = ["9999-12-30T23:59:59Z", "0001-01-02T00:00:00Z", "9999-12-30", "0001-01-02"]
        for zoneName in ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin", "UTC"] {
            let zone = Fixture.zone(zoneName)
            for text in edges {
                guard let instant = parseAsOf(text, zone: zone) else { return XCTFail("\(text) refused in \(zoneName)") }
                for readIn in ["Pacific/Kiritimati", "Etc/GMT+12", "Europe/Berlin"] {
                    let local = LocalDateTime(instant, in: Fixture.zone(readIn)).date
                    XCTAssertEqual(LocalDate(local.description), local, "\(text) in \(zoneName) read in \(readIn)")
                }
            }
        }
    }

    func testAStoredDateWithAFiveDigitYearIsStillRead() {
        let date = LocalDate(dayNumber: LocalDate(year: 9999, month: 12, day: 31)!.dayNumber + 1)
        XCTAssertEqual(date.description, "10000-01-01")
        XCTAssertEqual(LocalDate(stored: "10000-01-01"), date)
        XCTAssertEqual(LocalDate(stored: "2026-03-01"), LocalDate("2026-03-01"))
        XCTAssertNil(LocalDate("10000-01-01"))
        for bad in ["", "10000-13-01", "10000-02-30", "+10000-01-01", "999-01-01", "2026-3-01"] {
            XCTAssertNil(LocalDate(stored: bad), bad)
        }
    }

    func testHolidaysOutsideTheAcceptedDatesAreRefused() {
        ConfigFixtures.assertRefused(ConfigFixtures.replacing(line: "holidays =", with: "holidays = [\"9999-12-31\"]"),
                                     "\(file):10: send_window.holidays: \"9999-12-31\" is outside the supported dates")
    }

    // MARK: Config numbers

    private func refused(_ prefix: String, _ replacement: String, _ expected: String, line: UInt = #line) {
        ConfigFixtures.assertRefused(ConfigFixtures.replacing(line: prefix, with: replacement, line: line), expected, line: line)
    }

    func testEveryNumberInTheConfigIsBounded() {
        refused("min_days_between =", "min_days_between = 9223372036854775807",
                "\(file):31: delivery.min_days_between: 9223372036854775807 is out of range (0 to 3650)")
        refused("interval =", "interval = \"99999999999999d\"", "\(file):2: daemon.interval: \"99999999999999d\" is longer than the maximum 1d")
        refused("interval =", "interval = \"25h\"", "\(file):2: daemon.interval: \"25h\" is longer than the maximum 1d")
        refused("timeout =", "timeout = \"2h\"", "\(file):26: smtp.timeout: \"2h\" is longer than the maximum 1h")
        refused("give_up_after =", "give_up_after = \"366d\"", "\(file):30: delivery.give_up_after: \"366d\" is longer than the maximum 365d")
        refused("retry =", "retry = [\"5m\", \"31d\"]", "\(file):29: delivery.retry: \"31d\" is longer than the maximum 30d")
        refused("retry =", "retry = [\"99999999999999999999999s\"]", "\(file):29: delivery.retry: \"99999999999999999999999s\" is longer")
        refused("days = 60", "days = -9223372036854775808", "\(file):41: stage[2].days: -9223372036854775808 is out of range (-36500 to 36500)")
        refused("days = 60", "days = 36501", "\(file):41: stage[2].days: 36501 is out of range")
    }

    func testTheLargestAcceptedNumbersLoad() throws {
        var text = ConfigFixtures.replacing(line: "min_days_between =", with: "min_days_between = 3650")
        text = ConfigFixtures.replacing(line: "interval =", with: "interval = \"1d\"", in: text)
        text = ConfigFixtures.replacing(line: "timeout =", with: "timeout = \"1h\"", in: text)
        text = ConfigFixtures.replacing(line: "give_up_after =", with: "give_up_after = \"365d\"", in: text)
        text = ConfigFixtures.replacing(line: "retry =", with: "retry = [\"30d\"]", in: text)
        let config = try ConfigLoader.parse(text, path: file)
        XCTAssertEqual(config.delivery.minDaysBetween, 3650)
        XCTAssertEqual(config.daemon.interval.seconds, 86_400)
    }

    // MARK: NUL

    func testANulByteIsRefusedWithItsLine() {
        let text = ConfigFixtures.specExample.replacingOccurrences(of: "[send_window]", with: "# x\u{0}\n[send_window]")
        ConfigFixtures.assertRefused(text, "\(file):6: contains a NUL byte")
        XCTAssertNil(ConfigLoader.lineOfNUL(in: "a\nb\n"))
        XCTAssertEqual(ConfigLoader.lineOfNUL(in: "a\nb\u{0}"), 2)
    }

    // MARK: Identity

    func testIdentifiersAreNormalisedToNFC() {
        let nfc = "m\u{FC}ller", nfd = "mu\u{308}ller"
        XCTAssertEqual(Array(Identifier.nfc(nfd).utf8), Array(nfc.utf8))
        XCTAssertEqual(Array(Identifier.nfc(nfc).utf8), Array(nfc.utf8))
        XCTAssertTrue(Identifier.isNFC(nfc))
        XCTAssertFalse(Identifier.isNFC(nfd))
        XCTAssertEqual(Identifier.nfc("INV-1"), "INV-1")
    }

    func testOneImportFileWithAnIdInBothFormsIsOneClient() throws {
        let rows = [ImportFixture.record(["number": "INV-1", "client_id": "mu\u{308}ller"]),
                    ImportFixture.record(["number": "INV-2", "client_id": "m\u{FC}ller"])]
        let imported = try ImportFixture.parse(ImportFixture.file(rows)).get()
        XCTAssertEqual(Set(imported.map { Array($0.clientID.utf8) }), [Array("m\u{FC}ller".utf8)])
    }

    // MARK: CSV output

    func testFormulaLeadingCellsAreNeutralisedAsOWASPRecommends() {
        XCTAssertEqual(CSVCell.output("=HYPERLINK(\"http://x\",\"y\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"")
        XCTAssertEqual(CSVCell.output("+1"), "'+1")
        XCTAssertEqual(CSVCell.output("-5.00"), "'-5.00")
        XCTAssertEqual(CSVCell.output("@SUM(A1)"), "'@SUM(A1)")
        XCTAssertEqual(CSVCell.output("\tx"), "'\tx")
        XCTAssertEqual(CSVCell.output("\rx"), "\"'\rx\"")
        XCTAssertEqual(CSVCell.output("INV-1"), "INV-1")
        XCTAssertEqual(CSVCell.output(""), "")
        XCTAssertEqual(CSVCell.output("{\"a\":1}"), "\"{\"\"a\"\":1}\"")
    }

    // MARK: Renamed stages

    func testStageNamesTheLedgerHoldsMustBeAccountedFor() throws {
        let config = try ConfigLoader.parse(ConfigFixtures.specExample, path: file)
        XCTAssertEqual(config.unaccountedStageNames(["courtesy", "reminder-7", "hand-off", "old"]), ["old", "reminder-7"])
        XCTAssertThrowsError(try config.checkStagesAccountedFor(["reminder-7"], configText: ConfigFixtures.specExample, ledger: "/l.sqlite")) { error in
            guard let error = error as? OverdueError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.exitCode, .config)
            XCTAssertTrue(error.message.hasPrefix("\(self.file):33: stage: the ledger /l.sqlite has reminders of stage \"reminder-7\""), error.message)
            XCTAssertTrue(error.message.contains("renamed_from = [\"reminder-7\"]"), error.message)
        }
        XCTAssertNoThrow(try config.checkStagesAccountedFor(["courtesy", "final-notice"], configText: nil, ledger: "/l.sqlite"))

        let renamed = ConfigFixtures.replacing(line: "name = \"courtesy\"", with: "name = \"heads-up\"\nrenamed_from = [\"courtesy\", \"pre-due\"]")
        let later = try ConfigLoader.parse(renamed, path: file)
        XCTAssertEqual(later.unaccountedStageNames(["courtesy", "pre-due", "hand-off"]), [])
        XCTAssertEqual(later.stage(named: "courtesy")?.name, "heads-up")
    }

    func testARenamedStageKeepsItsPlaceOnTheLadder() {
        var renamed = Fixture.ladder
        renamed[1] = Fixture.email("seven-days", 7)
        renamed[1].renamedFrom = ["friendly"]
        let context = Fixture.context(dispatches: [Fixture.dispatch("friendly", on: "2026-03-08")])
        let line = Fixture.planner(stages: renamed).plan(context, at: Fixture.instant("2026-03-12"))
        assertLine(line, stage: nil, action: .none, reason: .done)
        let without = Fixture.planner(stages: { var s = renamed; s[1].renamedFrom = []; return s }()).plan(context, at: Fixture.instant("2026-03-12"))
        XCTAssertEqual(without.stage, "seven-days")
    }

    func testRenamedFromIsChecked() {
        refused("name = \"final-notice\"", "name = \"final-notice\"\nrenamed_from = [\"courtesy\"]",
                "\(file):41: stage[2].renamed_from: \"courtesy\" is the name of stage[1]")
        refused("name = \"final-notice\"", "name = \"final-notice\"\nrenamed_from = [\"Old\"]",
                "\(file):41: stage[2].renamed_from: \"Old\" must be lowercase")
        let twice = ConfigFixtures.replacing(line: "name = \"final-notice\"", with: "name = \"final-notice\"\nrenamed_from = [\"old\"]")
        ConfigFixtures.assertRefused(ConfigFixtures.replacing(line: "name = \"hand-off\"", with: "name = \"hand-off\"\nrenamed_from = [\"old\"]", in: twice),
                                     "\(file):")
    }
}
