/// Plain ASCII values (integers, dates, decimal amounts, hex) written into a UTF-8 byte buffer:
/// the one implementation of each, which the String forms (`LocalDate.description`,
/// `Money.format`, `hexString`) are made from.
///
/// The import writes a million audit details and invoice rows, and `plan --all` a million JSON
/// lines; building them as bytes in a reused buffer, instead of through interpolated Strings,
/// is most of what keeps those within a small multiple of sqlite3's own `.import` and `SELECT`.
public enum ByteText {
    @inlinable public static func append(_ text: String, to out: inout [UInt8]) { out.append(contentsOf: text.utf8) }

    @inlinable public static func append(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        appendDigits(value.magnitude, minimumCount: 1, to: &out)
    }

    /// `YYYY-MM-DD`, laid out on the stack and appended at once (two per imported invoice and
    /// audit entry); a year outside 0...9999 the long way.
    @inlinable public static func append(_ date: LocalDate, to out: inout [UInt8]) {
        if (0...9999).contains(date.year) {
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 10) { text in
                func put(_ value: Int, digits: Int, at start: Int) {
                    var rest = value
                    for index in stride(from: start + digits - 1, through: start, by: -1) {
                        text[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                        rest /= 10
                    }
                }
                put(date.year, digits: 4, at: 0)
                text[4] = UInt8(ascii: "-")
                put(date.month, digits: 2, at: 5)
                text[7] = UInt8(ascii: "-")
                put(date.day, digits: 2, at: 8)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: text[0..<10]))
            }
            return
        }
        append(Int64(date.year), minimumCount: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(UInt64(date.month), minimumCount: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(UInt64(date.day), minimumCount: 2, to: &out)
    }

    /// The amount with exactly the currency's minor digits (`1200.00`, `1200`, `12.500`).
    @inlinable public static func append(_ money: Money, to out: inout [UInt8]) {
        appendDecimal(money.minorUnits, digits: money.currency.minorDigits, to: &out)
    }

    /// `minorUnits` as a plain decimal with exactly `digits` digits after the point (none and
    /// no point when `digits` is 0).
    @inlinable public static func appendDecimal(_ minorUnits: Int64, digits: Int, to out: inout [UInt8]) {
        let magnitude = minorUnits.magnitude
        if minorUnits < 0 { out.append(UInt8(ascii: "-")) }
        guard digits > 0 else { return appendDigits(magnitude, minimumCount: 1, to: &out) }
        var scale: UInt64 = 1
        for _ in 0..<digits { scale *= 10 }
        appendDigits(magnitude / scale, minimumCount: 1, to: &out)
        out.append(UInt8(ascii: "."))
        appendDigits(magnitude % scale, minimumCount: digits, to: &out)
    }

    /// Decimal digits of `value`, zero-padded to at least `minimumCount`.
    /// The digits are written from the last into a stack buffer, each by a division by the
    /// constant 10 (which the compiler turns into a multiplication), then appended at once.
    @inlinable public static func appendDigits(_ value: UInt64, minimumCount: Int, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var position = digits.count
            var rest = value
            repeat {
                position -= 1
                digits[position] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest > 0
            for _ in (digits.count - position)..<max(minimumCount, digits.count - position) { out.append(UInt8(ascii: "0")) }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[position...]))
        }
    }

    @inlinable static func append(_ value: Int64, minimumCount: Int, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        appendDigits(value.magnitude, minimumCount: minimumCount, to: &out)
    }

    // MARK: Hex

    /// Hex digits of `value`, zero-padded to at least `minimumCount`: the one hex encoder, for
    /// hashes and Message-IDs (lower case), JSON's `\uXXXX`, quoted-printable's `=XX` and
    /// URLs' `%XX` (upper case), and code points in error messages.
    @inlinable public static func appendHex(_ value: UInt64, minimumCount: Int, uppercase: Bool = false, to out: inout [UInt8]) {
        var count = 1
        while count < 16, value >> (4 * UInt64(count)) != 0 { count += 1 }
        if count < minimumCount { out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: minimumCount - count)) }
        for index in stride(from: count - 1, through: 0, by: -1) {
            out.append(hexDigit(UInt8(truncatingIfNeeded: value >> (4 * UInt64(index))), uppercase: uppercase))
        }
    }

    /// The hex digit of the low four bits of `nibble`.
    @inlinable static func hexDigit(_ nibble: UInt8, uppercase: Bool = false) -> UInt8 {
        let digits: StaticString = "0123456789abcdef0123456789ABCDEF"
        return digits.utf8Start[Int(nibble & 0x0F) + (uppercase ? 16 : 0)]
    }

    /// Two lower-case hex digits per byte of `bytes` (hashes, Message-IDs, secrets).
    /// Written 32 bytes at a time through a stack buffer, so a hash costs one append.
    @inlinable public static func appendHex<Bytes: Sequence>(bytes: Bytes, to out: inout [UInt8]) where Bytes.Element == UInt8 {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { digits in
            var filled = 0
            for byte in bytes {
                if filled == 64 {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[0..<64]))
                    filled = 0
                }
                digits[filled] = hexDigit(byte >> 4)
                digits[filled + 1] = hexDigit(byte)
                filled += 2
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[0..<filled]))
        }
    }

    /// `appendHex` as a String.
    public static func hex(_ value: UInt64, minimumCount: Int, uppercase: Bool = false) -> String {
        var out: [UInt8] = []
        appendHex(value, minimumCount: minimumCount, uppercase: uppercase, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes a hex string spells (either case), or nil when it is not an even run of hex
    /// digits: stored hashes and secrets are read back through this, and a person could have
    /// edited them.
    public static func decodeHex(_ hex: String) -> [UInt8]? {
        let digits = hex.utf8
        guard digits.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var high: UInt8?
        for c in digits {
            guard let value = nibble(c) else { return nil }
            if let h = high {
                bytes.append(h << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return bytes
    }
}

/// Lower-case hex of a byte sequence, two digits a byte (hashes, Message-IDs, secrets).
public func hexString<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    var out: [UInt8] = []
    out.reserveCapacity(64)
    ByteText.appendHex(bytes: bytes, to: &out)
    return String(decoding: out, as: UTF8.self)
}

extension Unicode.Scalar {
    /// `U+00E9`: how error messages name a character.
    public var codePoint: String { "U+" + ByteText.hex(UInt64(value), minimumCount: 4, uppercase: true) }
}
