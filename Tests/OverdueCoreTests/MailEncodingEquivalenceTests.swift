import Foundation
import XCTest
@testable import OverdueCore

/// Header folding keeps every line within 78 octets wherever a space allows it; the byte-level
/// quoted-printable encoder and date formatter give exactly what the straightforward versions
/// they replaced gave (kept here as the reference), over generated inputs.
final class MailEncodingEquivalenceTests: XCTestCase {
    // MARK: References (the code before it was made fast)

    static func referenceQuotedPrintable(_ text: String) -> [UInt8] {
        var lines: [[UInt8]] = [[]]
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 13 || byte == 10 {
                lines.append([])
                if byte == 13, index + 1 < bytes.count, bytes[index + 1] == 10 { index += 1 }
            } else {
                lines[lines.count - 1].append(byte)
            }
            index += 1
        }
        var out: [UInt8] = []
        let hex = Array("0123456789ABCDEF".utf8)
        for (number, line) in lines.enumerated() {
            var length = 0
            for (index, byte) in line.enumerated() {
                let isLast = index == line.count - 1
                let literal: Bool
                switch byte {
                case 9, 32: literal = !isLast
                case UInt8(ascii: "="): literal = false
                case 33...126: literal = !(index == 0 && byte == UInt8(ascii: "F") && line.starts(with: Array("From ".utf8)))
                default: literal = false
                }
                let width = literal ? 1 : 3
                if length + width > (isLast ? 76 : 75) {
                    out += [UInt8(ascii: "="), 13, 10]
                    length = 0
                }
                out += literal ? [byte] : [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
                length += width
            }
            if number < lines.count - 1 { out += [13, 10] }
        }
        return out
    }

    static func referenceDate(_ instant: Date, in zone: TimeZone) -> String {
        let offsetSeconds = zone.secondsFromGMT(for: instant)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: offsetSeconds) ?? zone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: instant)
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let sign = offsetSeconds < 0 ? "-" : "+"
        let offsetMinutes = abs(offsetSeconds) / 60
        return "\(weekdays[parts.weekday! - 1]), \(two(parts.day!)) \(months[parts.month! - 1]) \(parts.year!) "
            + "\(two(parts.hour!)):\(two(parts.minute!)):\(two(parts.second!)) "
            + "\(sign)\(two(offsetMinutes / 60))\(two(offsetMinutes % 60))"
    }

    // MARK: Generated inputs

    var random = SeededRandom(seed: 20_260_301)

    /// SplitMix64: the same sequence on every run.
    struct SeededRandom: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func randomText(from alphabet: [String], maxLength: Int) -> String {
        (0..<Int.random(in: 0...maxLength, using: &random)).map { _ in alphabet.randomElement(using: &random)! }.joined()
    }

    func testFoldingBreaksBeforeASpaceSoNoLinePasses78OctetsAndUnfoldsToTheValue() {
        let ascii = ["a", "b", "Z", "0", " ", " ", "  ", "=?", "?=", "-", "\"", "<x@y.example>", String(repeating: "w", count: 40)]
        let any = ascii + ["é", "e\u{301}", " \u{301}", "😀", "ß"]
        for _ in 0..<3000 {
            let value = randomText(from: Bool.random(using: &random) ? ascii : any, maxLength: 60)
            for name in ["Subject", "To", "Reply-To"] {
                let folded = Array(HeaderEncoding.fold(name, value).utf8)
                // Unfolding (RFC 5322 2.2.3: removing each CRLF) gives back "Name: value".
                XCTAssertEqual(folded.filter { $0 != 13 && $0 != 10 }, Array("\(name): \(value)".utf8), value.debugDescription)
                var lines: [[UInt8]] = [[]]
                for byte in folded where byte != 13 {
                    if byte == 10 { lines.append([]) } else { lines[lines.count - 1].append(byte) }
                }
                for (index, line) in lines.enumerated() {
                    // A line passes 78 octets only when it holds a single word longer than that.
                    if line.count > HeaderEncoding.maxLineLength {
                        XCTAssertLessThanOrEqual(line.split(separator: 32).count, index == 0 ? 2 : 1, value.debugDescription)
                    }
                    if index > 0 { XCTAssertEqual(line.first, 32, value.debugDescription) }
                }
            }
        }
    }

    func testFoldingCountsOctetsSoNonASCIIWordsFoldEarlier() {
        let word = String(repeating: "é", count: 10)   // 20 octets
        let folded = HeaderEncoding.fold("Subject", Array(repeating: word, count: 4).joined(separator: " "))
        XCTAssertEqual(folded, "Subject: \(word) \(word) \(word)\r\n \(word)")
    }

    func testHeaderValuesAgreeWithTheReferenceChecks() {
        // unstructured/phrase now test for "=?", "  " and word length on bytes; the outcome must not move.
        let alphabet = ["a", "B", " ", "  ", "=", "?", "=?", "\"", "\\", ",", "é", String(repeating: "x", count: 30)]
        for _ in 0..<3000 {
            let text = randomText(from: alphabet, maxLength: 12)
            let plain = HeaderEncoding.isPlainASCII(text)
            let longest = text.split(separator: " ").map { $0.utf8.count }.max() ?? 0
            let keptAsIs = plain && !text.contains("=?") && longest <= 66 && !text.hasPrefix(" ") && !text.hasSuffix(" ")
                && !text.contains("  ")
            XCTAssertEqual(HeaderEncoding.unstructured(text) == text, keptAsIs, text.debugDescription)
        }
    }

    func testQuotedPrintableAgreesWithTheReference() {
        let alphabet = ["a", "F", "From ", " ", "\t", "=", "\r", "\n", "\r\n", ".", "é", "😀", "\u{0}", "~",
                        String(repeating: "x", count: 70), String(repeating: "=", count: 30)]
        for _ in 0..<3000 {
            let text = randomText(from: alphabet, maxLength: 30)
            XCTAssertEqual(QuotedPrintable.encode(text), Self.referenceQuotedPrintable(text), text.debugDescription)
        }
    }

    func testDatesAgreeWithCalendarInEveryKindOfZone() {
        let zones = ["UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham", "America/Los_Angeles",
                     "Australia/Lord_Howe", "Pacific/Kiritimati", "Pacific/Pago_Pago"].map { TimeZone(identifier: $0)! }
        var instants: [Double] = [0, 59.999, 951_782_400, 4_107_542_400, 1_772_355_603.5, 253_402_300_799]
        for _ in 0..<2000 { instants.append(Double.random(in: 0...7_258_118_400, using: &random)) }
        for seconds in instants {
            let instant = Date(timeIntervalSince1970: seconds)
            for zone in zones {
                XCTAssertEqual(rfc5322Date(instant, in: zone), Self.referenceDate(instant, in: zone), "\(seconds) \(zone.identifier)")
            }
        }
    }
}
