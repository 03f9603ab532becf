import Foundation

/// Byte-level checks and parsers for CSV fields. They decide the common valid case without
/// building a `String`; on a refusal the importer asks the canonical parser (`Money.parse`,
/// `LocalDate`) for the message, so the two can never disagree about what is valid.
enum CSVField {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    enum TextProblem: Equatable {
        /// The first byte (1-based position in the field) that does not continue valid UTF-8.
        case invalidUTF8(position: Int, byte: UInt8)
        /// A C0 control, DEL, C1 control (incl. U+0085), U+2028 or U+2029 (see `Mailbox.isForbidden`).
        case controlCharacter(UInt32)

        var description: String {
            switch self {
            case .invalidUTF8(let position, let byte):
                "is not valid UTF-8 (byte 0x\(ByteText.hex(UInt64(byte), minimumCount: 2, uppercase: true)) at byte \(position) of the field)"
            case .controlCharacter(let scalar):
                "contains the control character U+\(ByteText.hex(UInt64(scalar), minimumCount: 4, uppercase: true))"
            }
        }
    }

    /// Validates UTF-8 and refuses the scalars `Mailbox.isForbidden` refuses, in one pass.
    /// Nil when the field is clean text. `allowingWhitespace` lets tab, CR and LF through, for a
    /// field whose parser trims them away (a spreadsheet cell with one address per line).
    static func textProblem(_ field: Bytes, allowingWhitespace: Bool = false) -> TextProblem? {
        var i = 0
        let count = field.count
        while i < count {
            let lead = field[i]
            if lead < 0x80 {
                if lead < 0x20 || lead == 0x7F,
                   !(allowingWhitespace && (lead == 0x09 || lead == 0x0A || lead == 0x0D)) { return .controlCharacter(UInt32(lead)) }
                i += 1
                continue
            }
            // Lead byte → sequence length and the allowed range of the second byte (RFC 3629 table).
            let length: Int, low: UInt8, high: UInt8
            switch lead {
            case 0xC2...0xDF: (length, low, high) = (2, 0x80, 0xBF)
            case 0xE0: (length, low, high) = (3, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (length, low, high) = (3, 0x80, 0xBF)
            case 0xED: (length, low, high) = (3, 0x80, 0x9F)
            case 0xF0: (length, low, high) = (4, 0x90, 0xBF)
            case 0xF1...0xF3: (length, low, high) = (4, 0x80, 0xBF)
            case 0xF4: (length, low, high) = (4, 0x80, 0x8F)
            default: return .invalidUTF8(position: i + 1, byte: lead)
            }
            guard i + 1 < count, (low...high).contains(field[i + 1]) else {
                return i + 1 < count ? .invalidUTF8(position: i + 2, byte: field[i + 1]) : .invalidUTF8(position: i + 1, byte: lead)
            }
            for k in 2..<max(length, 2) {
                guard i + k < count, (0x80...0xBF).contains(field[i + k]) else {
                    return i + k < count ? .invalidUTF8(position: i + k + 1, byte: field[i + k]) : .invalidUTF8(position: i + 1, byte: lead)
                }
            }
            if lead == 0xC2, field[i + 1] <= 0x9F { return .controlCharacter(UInt32(field[i + 1])) }   // U+0080…U+009F
            if lead == 0xE2, field[i + 1] == 0x80, field[i + 2] == 0xA8 || field[i + 2] == 0xA9 {   // U+2028, U+2029
                return .controlCharacter(0x2000 + UInt32(field[i + 2] & 0x3F))
            }
            i += length
        }
        return nil
    }

    /// The field as a string; only for fields `textProblem` accepted.
    static func string(_ field: Bytes) -> String { String(decoding: field, as: UTF8.self) }

    /// The field without leading and trailing spaces (and, with `andLineBreaks`, tabs, CRs and LFs).
    static func trimmingSpaces(_ field: Bytes, andLineBreaks: Bool = false) -> Bytes {
        func isTrimmed(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: " ") || (andLineBreaks && (byte == 0x09 || byte == 0x0A || byte == 0x0D))
        }
        var start = 0, end = field.count
        while start < end, isTrimmed(field[start]) { start += 1 }
        while end > start, isTrimmed(field[end - 1]) { end -= 1 }
        return Bytes(rebasing: field[start..<end])
    }

    static func equals(_ field: Bytes, _ text: StaticString) -> Bool {
        guard field.count == text.utf8CodeUnitCount else { return false }
        let expected = text.utf8Start
        for i in 0..<field.count where field[i] != expected[i] { return false }
        return true
    }

    static func equals(_ field: Bytes, _ text: String) -> Bool {
        var text = text
        return text.withUTF8 { utf8 in
            utf8.count == field.count && (field.isEmpty || memcmp(utf8.baseAddress!, field.baseAddress!, field.count) == 0)
        }
    }

    enum DateProblem: Error { case notYYYYMMDD, notACalendarDate, outsideAccepted }

    /// Exactly `YYYY-MM-DD`, a real date (as `LocalDate(_:)` accepts).
    static func date(_ field: Bytes) -> Result<LocalDate, DateProblem> {
        guard field.count == 10, field[4] == UInt8(ascii: "-"), field[7] == UInt8(ascii: "-") else { return .failure(.notYYYYMMDD) }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                let digit = field[i] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return .failure(.notYYYYMMDD) }
        guard let date = LocalDate(year: year, month: month, day: day) else { return .failure(.notACalendarDate) }
        guard LocalDate.accepted.contains(date) else { return .failure(.outsideAccepted) }
        return .success(date)
    }

    /// Minor units of a plain decimal with at most `digits` fractional digits, exactly as
    /// `Money.parse` accepts; nil whenever `Money.parse` would refuse.
    static func minorUnits(_ field: Bytes, digits: Int) -> Int64? {
        var value: Int64 = 0
        var wholeDigits = 0, fractionDigits = 0
        var seenPoint = false
        for byte in field {
            if byte == UInt8(ascii: ".") {
                guard !seenPoint else { return nil }
                seenPoint = true
                continue
            }
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            if seenPoint { fractionDigits += 1 } else { wholeDigits += 1 }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(Int64(digit))
            guard !o1, !o2 else { return nil }
            value = plus
        }
        guard wholeDigits > 0, !seenPoint || fractionDigits > 0, fractionDigits <= digits else { return nil }
        for _ in fractionDigits..<digits {
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            value = times
        }
        return value
    }
}
