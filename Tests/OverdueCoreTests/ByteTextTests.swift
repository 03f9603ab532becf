import XCTest
@testable import OverdueCore

/// The one writer of integers, dates, amounts and hex, and the one hex reader.
final class ByteTextTests: XCTestCase {
    private func written(_ write: (inout [UInt8]) -> Void) -> String {
        var out: [UInt8] = []
        write(&out)
        return String(decoding: out, as: UTF8.self)
    }

    func testIntegersAreWrittenWithTheirSignAndPaddedDigits() {
        XCTAssertEqual(written { ByteText.append(Int64(0), to: &$0) }, "0")
        XCTAssertEqual(written { ByteText.append(Int64(-42), to: &$0) }, "-42")
        XCTAssertEqual(written { ByteText.append(Int64.min, to: &$0) }, "-9223372036854775808")
        XCTAssertEqual(written { ByteText.appendDigits(UInt64.max, minimumCount: 1, to: &$0) }, "18446744073709551615")
        XCTAssertEqual(written { ByteText.appendDigits(7, minimumCount: 3, to: &$0) }, "007")
        XCTAssertEqual(written { ByteText.appendDigits(1000, minimumCount: 3, to: &$0) }, "1000")
    }

    func testDatesAndAmountsAreTheirStringForms() {
        XCTAssertEqual(LocalDate(year: 7, month: 3, day: 9)?.description, "0007-03-09")
        XCTAssertEqual(LocalDate(year: 2026, month: 12, day: 31)?.description, "2026-12-31")
        XCTAssertEqual(Money.format(120000, digits: 2), "1200.00")
        XCTAssertEqual(Money.format(-5, digits: 2), "-0.05")
        XCTAssertEqual(Money.format(12500, digits: 3), "12.500")
        XCTAssertEqual(Money.format(180000, digits: 0), "180000")
        XCTAssertEqual(Money.format(Int64.min, digits: 2), "-92233720368547758.08")
    }

    func testHexIsPaddedInEitherCase() {
        XCTAssertEqual(ByteText.hex(0, minimumCount: 2), "00")
        XCTAssertEqual(ByteText.hex(0xAB, minimumCount: 4), "00ab")
        XCTAssertEqual(ByteText.hex(0xAB, minimumCount: 1, uppercase: true), "AB")
        XCTAssertEqual(ByteText.hex(0x1F600, minimumCount: 4, uppercase: true), "1F600")
        XCTAssertEqual(ByteText.hex(UInt64.max, minimumCount: 1), "ffffffffffffffff")
        XCTAssertEqual(hexString([0x00, 0x0F, 0xF0, 0xFF]), "000ff0ff")
        XCTAssertEqual(Unicode.Scalar(0xE9)!.codePoint, "U+00E9")
        XCTAssertEqual(Unicode.Scalar(0x1F600)!.codePoint, "U+1F600")
    }

    func testHexIsReadBackInEitherCaseAndAnythingElseIsRefused() {
        let bytes: [UInt8] = (0...255).map(UInt8.init)
        XCTAssertEqual(ByteText.decodeHex(hexString(bytes)), bytes)
        XCTAssertEqual(ByteText.decodeHex("00AbfF"), [0x00, 0xAB, 0xFF])
        XCTAssertEqual(ByteText.decodeHex(""), [])
        XCTAssertNil(ByteText.decodeHex("abc"))
        XCTAssertNil(ByteText.decodeHex("0g"))
        XCTAssertNil(ByteText.decodeHex("é0"))
        XCTAssertNil(ByteText.decodeHex(" 0"))
    }
}
