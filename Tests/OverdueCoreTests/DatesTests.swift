import Foundation
import OverdueCore
import XCTest

/// Calendar dates, local time in a zone, `--as-of` parsing, timestamps and config intervals.
final class DatesTests: XCTestCase {
    func zone(_ identifier: String) -> TimeZone { TimeZone(identifier: identifier)! }
    func utc(_ text: String) -> Date { parseTimestamp(text)! }

    // MARK: LocalDate

    func testParsesOnlyStrictRealDates() {
        XCTAssertEqual(LocalDate("2026-03-01"), LocalDate(year: 2026, month: 3, day: 1))
        XCTAssertEqual(LocalDate("2028-02-29")?.day, 29)
        XCTAssertEqual(LocalDate("0001-01-01")?.year, 1)
        XCTAssertEqual(LocalDate("9999-12-31")?.year, 9999)
        for text in ["2026-02-29", "2100-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00", "0000-01-01",
                     "2026-2-3", "26-02-03", "2026/02/03", "2026-02-03 ", " 2026-02-03", "2026-02-03T00:00", "", "２０２６-02-03",
                     "+026-02-03", "2026-0a-03"] {
            XCTAssertNil(LocalDate(text), text)
        }
    }

    func testLeapYears() {
        XCTAssertTrue(LocalDate.isLeap(2028))
        XCTAssertTrue(LocalDate.isLeap(2000))
        XCTAssertFalse(LocalDate.isLeap(2100))
        XCTAssertFalse(LocalDate.isLeap(2026))
        XCTAssertEqual(LocalDate.daysIn(month: 2, year: 2028), 29)
        XCTAssertEqual(LocalDate.daysIn(month: 2, year: 2100), 28)
        XCTAssertEqual(LocalDate.daysIn(month: 4, year: 2026), 30)
        XCTAssertEqual(LocalDate.daysIn(month: 12, year: 2026), 31)
    }

    func testDayNumbersAndDifferences() {
        XCTAssertEqual(LocalDate("1970-01-01")!.dayNumber, 0)
        XCTAssertEqual(LocalDate("1969-12-31")!.dayNumber, -1)
        XCTAssertEqual(LocalDate("2000-03-01")!.dayNumber, 11_017)
        XCTAssertEqual(LocalDate("2026-03-01")!.days(since: LocalDate("2026-02-01")!), 28)
        XCTAssertEqual(LocalDate("2028-03-01")!.days(since: LocalDate("2028-02-01")!), 29)
        XCTAssertEqual(LocalDate("2026-02-01")!.days(since: LocalDate("2026-03-01")!), -28)
        XCTAssertEqual(LocalDate("2027-01-01")!.days(since: LocalDate("2026-01-01")!), 365)
        XCTAssertEqual(LocalDate("2029-01-01")!.days(since: LocalDate("2028-01-01")!), 366)
        XCTAssertEqual(LocalDate("2101-03-01")!.days(since: LocalDate("2100-03-01")!), 365)
    }

    func testDayNumberRoundTripsOverFourCenturies() {
        var date = LocalDate("1900-01-01")!
        for number in date.dayNumber...(date.dayNumber + 146_097) {
            let back = LocalDate(dayNumber: number)
            XCTAssertEqual(back.dayNumber, number)
            if number > date.dayNumber {
                // Consecutive day numbers are consecutive calendar days.
                let expected = date.day < LocalDate.daysIn(month: date.month, year: date.year)
                    ? LocalDate(year: date.year, month: date.month, day: date.day + 1)
                    : (date.month < 12 ? LocalDate(year: date.year, month: date.month + 1, day: 1) : LocalDate(year: date.year + 1, month: 1, day: 1))
                guard back == expected else { return XCTFail("\(date) is followed by \(back)") }
            }
            date = back
        }
    }

    func testAddingDays() {
        XCTAssertEqual(LocalDate("2028-02-28")!.adding(days: 1), LocalDate("2028-02-29"))
        XCTAssertEqual(LocalDate("2100-02-28")!.adding(days: 1), LocalDate("2100-03-01"))
        XCTAssertEqual(LocalDate("2026-12-31")!.adding(days: 1), LocalDate("2027-01-01"))
        XCTAssertEqual(LocalDate("2026-03-01")!.adding(days: -3), LocalDate("2026-02-26"))
    }

    func testWeekdays() {
        XCTAssertEqual(LocalDate("1970-01-01")!.weekday, .thu)
        XCTAssertEqual(LocalDate("1969-12-31")!.weekday, .wed)
        XCTAssertEqual(LocalDate("2026-03-01")!.weekday, .sun)
        XCTAssertEqual(LocalDate("2026-03-02")!.weekday, .mon)
        XCTAssertEqual(LocalDate("2026-12-25")!.weekday, .fri)
        XCTAssertEqual(LocalDate("2028-02-29")!.weekday, .tue)
        XCTAssertEqual(LocalDate("1900-01-01")!.weekday, .mon)
    }

    func testDescriptionAndCodable() throws {
        XCTAssertEqual(LocalDate("0001-02-03")!.description, "0001-02-03")
        XCTAssertEqual(LocalDate("2026-12-25")!.description, "2026-12-25")
        let json = try JSONEncoder().encode([LocalDate("2026-03-01")!])
        XCTAssertEqual(String(decoding: json, as: UTF8.self), #"["2026-03-01"]"#)
        XCTAssertEqual(try JSONDecoder().decode([LocalDate].self, from: json), [LocalDate("2026-03-01")!])
        XCTAssertThrowsError(try JSONDecoder().decode([LocalDate].self, from: Data(#"["2026-02-30"]"#.utf8)))
    }

    // MARK: LocalTime and LocalDateTime

    func testLocalTimeParsing() {
        XCTAssertEqual(LocalTime(hhmm: "09:00")?.secondsSinceMidnight, 9 * 3600)
        XCTAssertEqual(LocalTime(hhmm: "00:00")?.secondsSinceMidnight, 0)
        XCTAssertEqual(LocalTime(hhmm: "23:59")?.secondsSinceMidnight, 86_340)
        XCTAssertEqual(LocalTime(hhmm: "24:00")?.secondsSinceMidnight, 86_400)
        for text in ["24:01", "25:00", "9:00", "09:0", "09:60", "0900", "09-00", "", "09:00:00", "::::0"] {
            XCTAssertNil(LocalTime(hhmm: text), text)
        }
        XCTAssertEqual(LocalTime(hhmm: "07:05")?.description, "07:05")
    }

    func testWallClockOfAnInstant() {
        let auckland = LocalDateTime(utc("2026-03-01T11:30:00Z"), in: zone("Pacific/Auckland"))
        XCTAssertEqual(auckland.date, LocalDate("2026-03-02"))
        XCTAssertEqual(auckland.time, LocalTime(hhmm: "00:30"))
        let losAngeles = LocalDateTime(utc("2026-03-02T07:30:00Z"), in: zone("America/Los_Angeles"))
        XCTAssertEqual(losAngeles.date, LocalDate("2026-03-01"))
        XCTAssertEqual(losAngeles.time, LocalTime(hhmm: "23:30"))
        let before1970 = LocalDateTime(Date(timeIntervalSince1970: -0.5), in: zone("UTC"))
        XCTAssertEqual(before1970.date, LocalDate("1969-12-31"))
        XCTAssertEqual(before1970.time.secondsSinceMidnight, 86_399)
    }

    func testInstantOfAWallClockTimeAcrossDST() {
        let berlin = zone("Europe/Berlin")
        let noon = LocalTime(hhmm: "12:00")!
        XCTAssertEqual(LocalDate("2026-03-29")!.instant(at: noon, in: berlin), utc("2026-03-29T10:00:00Z"))
        XCTAssertEqual(LocalDate("2026-03-28")!.instant(at: noon, in: berlin), utc("2026-03-28T11:00:00Z"))
        // 02:30 does not exist on 29 March: the instant moves later, to 03:30 CEST.
        XCTAssertEqual(LocalDate("2026-03-29")!.instant(at: LocalTime(hhmm: "02:30")!, in: berlin), utc("2026-03-29T01:30:00Z"))
        // 02:30 happens twice on 25 October: the first (CEST) is used.
        XCTAssertEqual(LocalDate("2026-10-25")!.instant(at: LocalTime(hhmm: "02:30")!, in: berlin), utc("2026-10-25T00:30:00Z"))
        let sydney = zone("Australia/Sydney")
        XCTAssertEqual(LocalDate("2026-04-05")!.instant(at: noon, in: sydney), utc("2026-04-05T02:00:00Z"))
        XCTAssertEqual(LocalDate("2026-10-04")!.instant(at: noon, in: sydney), utc("2026-10-04T01:00:00Z"))
    }

    // MARK: --as-of and timestamps

    func testAsOfDateMeansNoonInTheZone() {
        XCTAssertEqual(parseAsOf("2026-03-01", zone: zone("Europe/Berlin")), utc("2026-03-01T11:00:00Z"))
        XCTAssertEqual(parseAsOf("2026-07-01", zone: zone("Europe/Berlin")), utc("2026-07-01T10:00:00Z"))
        XCTAssertEqual(parseAsOf("2026-03-01", zone: zone("Pacific/Auckland")), utc("2026-02-28T23:00:00Z"))
        XCTAssertEqual(parseAsOf("2026-03-01", zone: zone("America/Los_Angeles")), utc("2026-03-01T20:00:00Z"))
    }

    func testAsOfDateTimeNeedsAnOffset() {
        let berlin = zone("Europe/Berlin")
        XCTAssertEqual(parseAsOf("2026-03-01T08:30:00Z", zone: berlin)?.timeIntervalSince1970, 1_772_353_800)
        XCTAssertEqual(parseAsOf("2026-03-01T09:30:00+01:00", zone: berlin), utc("2026-03-01T08:30:00Z"))
        XCTAssertEqual(parseAsOf("2026-03-01T03:00:00-05:30", zone: berlin), utc("2026-03-01T08:30:00Z"))
        XCTAssertEqual(parseAsOf("2026-03-01t08:30:00z", zone: berlin), utc("2026-03-01T08:30:00Z"))
        XCTAssertEqual(parseAsOf("2026-03-01 08:30:00Z", zone: berlin), utc("2026-03-01T08:30:00Z"))
        XCTAssertEqual(parseAsOf("2026-03-01T08:30:00.250Z", zone: berlin)!.timeIntervalSince1970, 1_772_353_800.25, accuracy: 0.0001)
        for text in ["2026-03-01T08:30:00", "2026-03-01T08:30Z", "2026-03-01T24:00:00Z", "2026-03-01T08:60:00Z",
                     "2026-03-01T08:30:00+0100", "2026-03-01T08:30:00+1:00", "2026-03-01T08:30:00.Z", "2026-02-30T08:30:00Z",
                     "2026-03-01T08:30:00Zjunk", "now", "", "2026-03-01X08:30:00Z", "2026-3-1"] {
            XCTAssertNil(parseAsOf(text, zone: berlin), text)
        }
    }

    func testTimestampsFormatAsUTCWithWholeSeconds() {
        XCTAssertEqual(formatTimestamp(utc("2026-03-01T09:00:03Z")), "2026-03-01T09:00:03Z")
        XCTAssertEqual(formatTimestamp(utc("2026-03-01T10:00:03+01:00")), "2026-03-01T09:00:03Z")
        XCTAssertEqual(formatTimestamp(utc("2026-03-01T09:00:03.999Z")), "2026-03-01T09:00:03Z")
        XCTAssertEqual(formatTimestamp(Date(timeIntervalSince1970: 0)), "1970-01-01T00:00:00Z")
    }

    // MARK: Interval

    func testIntervals() {
        XCTAssertEqual(Interval("30s")?.seconds, 30)
        XCTAssertEqual(Interval("15m")?.seconds, 900)
        XCTAssertEqual(Interval("1h")?.seconds, 3600)
        XCTAssertEqual(Interval("3d")?.seconds, 259_200)
        XCTAssertEqual(Interval("15m")?.description, "15m")
        XCTAssertEqual(Interval(seconds: 90).description, "90s")
        XCTAssertLessThan(Interval("59m")!, Interval("1h")!)
        for text in ["", "s", "0s", "-1m", "+5m", "1.5h", "1w", "5", "5 m", " 5m", "5M", "５m", "1h30m", "999999999999999999d"] {
            XCTAssertNil(Interval(text), text)
        }
    }
}
