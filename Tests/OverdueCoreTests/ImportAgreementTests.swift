import Foundation
import OverdueCore
import XCTest

/// The import decides valid values on raw bytes for speed; these tests hold its byte-level
/// checks to the canonical ones (`Money.parse`, `LocalDate`, Swift's UTF-8 decoding and
/// `Mailbox.isForbidden`) over many generated values.
final class ImportAgreementTests: XCTestCase {
    /// SplitMix64: a fixed seed makes every run check the same values.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func parse(_ records: [String]) -> Result<[ImportRow], CSVImportFailure> {
        ImportFixture.parse(ImportFixture.file(records))
    }

    func testAmountsAgreeWithMoneyParse() {
        var random = Generator(state: 1)
        let alphabet = Array("0123456789.....-+e ,")
        for currency in ["EUR", "JPY", "KWD", "CLF"] {
            for _ in 0..<1500 {
                let length = Int.random(in: 0...8, using: &random)
                let text = String((0..<length).map { _ in alphabet.randomElement(using: &random)! })
                let expected = try? Money.parse(text, currency: Currency(code: currency)!).get()
                let result = parse([ImportFixture.record(["amount": text, "currency": currency, "paid": ""])])
                switch (expected, result) {
                case (let money?, .success(let rows)):
                    XCTAssertEqual(rows.first?.amount, money, text)
                case (let money?, .failure(let failure)):
                    XCTAssertEqual(money.minorUnits, 0, "\(text) \(currency): \(failure.problems)")
                case (nil, .success):
                    XCTFail("\(text) \(currency) accepted, Money.parse refuses it")
                case (nil, .failure):
                    break
                }
            }
        }
    }

    func testDatesAgreeWithLocalDate() {
        var random = Generator(state: 2)
        let alphabet = Array("0123456789--")
        for _ in 0..<3000 {
            var text = String((0..<10).map { _ in alphabet.randomElement(using: &random)! })
            if Bool.random(using: &random) {   // mostly well-formed, to exercise calendar validity
                text = String(format: "%04d-%02d-%02d", Int.random(in: 0...2200, using: &random),
                              Int.random(in: 0...13, using: &random), Int.random(in: 0...32, using: &random))
            }
            // The import also keeps to LocalDate.accepted (one day inside the four-digit years).
            let expected = LocalDate(text).flatMap { LocalDate.accepted.contains($0) ? $0 : nil }
            let result = parse([ImportFixture.record(["issue_date": text, "due_date": "9999-12-30"])])
            switch (expected, result) {
            case (let date?, .success(let rows)): XCTAssertEqual(rows.first?.issueDate, date, text)
            case (nil, .failure): break
            default: XCTFail("\(text): LocalDate \(String(describing: expected)), import \(result)")
            }
        }
    }

    func testTextChecksAgreeWithUTF8DecodingAndTheForbiddenList() {
        var random = Generator(state: 3)
        // Bytes around the interesting boundaries: ASCII controls, C1 in UTF-8, U+2028, surrogates, overlongs.
        let pieces: [[UInt8]] = [[0x41], [0x20], [0x09], [0x0D], [0x7F], [0xC2, 0x85], [0xC2, 0xA0], [0xC2, 0x9F],
                                 [0xE2, 0x80, 0xA8], [0xE2, 0x80, 0xA7], [0xED, 0xA0, 0x80], [0xC0, 0x80], [0xF0, 0x9F, 0x99, 0x82],
                                 [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0xFF], [0xC3, 0xA9], [0x22]]
        for _ in 0..<3000 {
            let value = (0..<Int.random(in: 1...5, using: &random)).flatMap { _ in pieces.randomElement(using: &random)! }
            let decoded = String(validating: value, as: UTF8.self)
            let clean = decoded.map { !$0.unicodeScalars.contains(where: Mailbox.isForbidden) } ?? false
            let trimmedEmpty = value.allSatisfy { $0 == 0x20 }
            var file = Array((ImportFixture.header + "\n").utf8)
            // Quoted, with "" for each quote, so only the text rules can refuse it.
            file += Array("INV-1,acme,\"".utf8) + value.flatMap { $0 == 0x22 ? [0x22, 0x22] : [$0] }
            file += Array("\",ap@acme.example,2026-02-01,2026-03-01,1,EUR,0,open\n".utf8)
            switch ImportFixture.parse(file) {
            case .success(let rows):
                XCTAssertTrue(clean && !trimmedEmpty, "\(value) accepted")
                XCTAssertEqual(rows.first?.clientName, decoded?.trimmingCharacters(in: CharacterSet(charactersIn: " ")), "\(value)")
            case .failure:
                XCTAssertFalse(clean && !trimmedEmpty, "\(value) refused")
            }
        }
    }
}
