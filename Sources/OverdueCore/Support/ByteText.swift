/// Appending plain ASCII values (dates, decimal amounts, integers) to a UTF-8 byte buffer.
///
/// The import writes a million audit details and invoice rows, and `plan --all` a million JSON lines; building them as bytes in a
/// reused buffer, instead of through interpolated Strings, is most of what keeps it within a
/// small multiple of sqlite3's own `.import`. Output is byte-identical to `LocalDate.description`
/// and `Money.decimalString`.
public enum ByteText {
    @inlinable public static func append(_ text: String, to out: inout [UInt8]) { out.append(contentsOf: text.utf8) }

    @inlinable public static func append(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 {
            out.append(UInt8(ascii: "-"))
            appendDigits(value.magnitude, minimumCount: 1, to: &out)
        } else {
            appendDigits(UInt64(value), minimumCount: 1, to: &out)
        }
    }

    /// `YYYY-MM-DD`.
    @inlinable public static func append(_ date: LocalDate, to out: inout [UInt8]) {
        appendDigits(UInt64(date.year), minimumCount: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(UInt64(date.month), minimumCount: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(UInt64(date.day), minimumCount: 2, to: &out)
    }

    /// The amount with exactly the currency's minor digits (`1200.00`, `1200`, `12.500`).
    @inlinable public static func append(_ money: Money, to out: inout [UInt8]) {
        let digits = money.currency.minorDigits
        let magnitude = money.minorUnits.magnitude
        if money.minorUnits < 0 { out.append(UInt8(ascii: "-")) }
        guard digits > 0 else { return appendDigits(magnitude, minimumCount: 1, to: &out) }
        var scale: UInt64 = 1
        for _ in 0..<digits { scale *= 10 }
        appendDigits(magnitude / scale, minimumCount: 1, to: &out)
        out.append(UInt8(ascii: "."))
        appendDigits(magnitude % scale, minimumCount: digits, to: &out)
    }

    /// The bytes a hex string spells, or nil when it is not an even run of hex digits (for
    /// values read back from the ledger's meta table, which a person could have edited).
    public static func decodeHex(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
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
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let high = nibble(digits[i]), let low = nibble(digits[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    /// The bytes a lower-case hex string spells (hashes are stored as 32-byte blobs and shown
    /// as hex); non-hex input gives garbage, never a crash, and cannot come from `AuditChain`.
    @inlinable public static func bytes(fromHex hex: String) -> [UInt8] {
        var hex = hex
        return hex.withUTF8 { source in
            let count = source.count / 2
            return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                func nibble(_ c: UInt8) -> UInt8 { (c >= UInt8(ascii: "a") ? c &- 87 : c &- 48) & 0x0F }
                for i in 0..<count { buffer[i] = nibble(source[2 * i]) << 4 | nibble(source[2 * i + 1]) }
                initialized = count
            }
        }
    }

    @inlinable public static func appendDigits(_ value: UInt64, minimumCount: Int, to out: inout [UInt8]) {
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 24 bytes: room for 20 digits
        withUnsafeMutableBytes(of: &scratch) { buffer in
            var v = value
            var i = buffer.count
            repeat {
                i -= 1
                buffer[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            } while v > 0
            while buffer.count - i < minimumCount {
                i -= 1
                buffer[i] = UInt8(ascii: "0")
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[i...]))
        }
    }
}
