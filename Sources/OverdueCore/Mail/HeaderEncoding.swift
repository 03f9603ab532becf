/// Header field encoding: RFC 2047 encoded-words for non-ASCII text, RFC 5322 quoting of
/// display names, and folding at 78 octets. Everything it returns is 7-bit ASCII.
///
/// Callers must have refused control characters already (`MessageBuilder` does): this layer
/// formats, it does not judge.
enum HeaderEncoding {
    /// Longest encoded-word emitted. RFC 2047 allows 75; 68 leaves room for the longest header
    /// name we write (`Reply-To: `, 10 octets) so that even the first line stays within 78.
    static let maxEncodedWordLength = 68
    static let maxLineLength = 78

    /// An unstructured value (Subject): kept as is when it is plain printable ASCII that folds
    /// within 78 octets and cannot be mistaken for an encoded-word; otherwise encoded whole, which
    /// round-trips exactly (spaces included, since they sit inside the encoded-words).
    static func unstructured(_ text: String) -> String {
        if isPlainASCII(text), !asciiContains(text, "=?"), longestWord(text) <= maxLineLength - 12,
           !text.hasPrefix(" "), !text.hasSuffix(" "), !asciiContains(text, "  ") {
            return text
        }
        return encodedWords(text).joined(separator: " ")
    }

    /// A display name as an RFC 5322 phrase: an atom sequence as is, a quoted-string when it
    /// holds specials (`"Acme, Inc."`, `"Jane \"JD\" Doe"`), encoded-words when not ASCII.
    static func phrase(_ name: String) -> String {
        guard isPlainASCII(name), !asciiContains(name, "=?"), longestWord(name) <= maxLineLength - 12 else {
            return encodedWords(name).joined(separator: " ")
        }
        let isAtoms = !name.hasPrefix(" ") && !name.hasSuffix(" ") && !asciiContains(name, "  ")
            && name.utf8.allSatisfy { $0 == UInt8(ascii: " ") || atext.contains($0) }
        if isAtoms { return name }
        var quoted = "\""
        for scalar in name.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { quoted.append("\\") }
            quoted.unicodeScalars.append(scalar)
        }
        return quoted + "\""
    }

    /// `Name <local@domain>` or the bare address.
    static func mailbox(_ mailbox: Mailbox) -> String {
        guard let name = mailbox.displayName else { return mailbox.address }
        return "\(phrase(name)) <\(mailbox.address)>"
    }

    /// UTF-8 "B" encoded-words, each at most `maxEncodedWordLength` long and each holding whole
    /// characters (grapheme clusters; a cluster too long for one word is split between scalars,
    /// which still leaves every word valid UTF-8 on its own).
    static func encodedWords(_ text: String) -> [String] {
        let prefix = "=?UTF-8?B?", suffix = "?="
        let maxPayloadBytes = (maxEncodedWordLength - prefix.count - suffix.count) / 4 * 3
        var words: [String] = []
        var pending: [UInt8] = []
        func flush() {
            if !pending.isEmpty { words.append(prefix + base64(pending) + suffix) }
            pending.removeAll()
        }
        for character in text {
            let bytes = Array(String(character).utf8)
            if bytes.count <= maxPayloadBytes {
                if pending.count + bytes.count > maxPayloadBytes { flush() }
                pending += bytes
            } else {
                for scalar in character.unicodeScalars {
                    let scalarBytes = Array(String(scalar).utf8)
                    if pending.count + scalarBytes.count > maxPayloadBytes { flush() }
                    pending += scalarBytes
                }
            }
        }
        flush()
        return words.isEmpty ? [prefix + suffix] : words
    }

    /// `Name: value`, folded before a space wherever a line would pass 78 octets. A word longer
    /// than a line is left whole (lines may reach 998); the encoders above avoid making one.
    /// Words are split at the space octet and measured in octets, as RFC 5322 counts them (the
    /// encoders give ASCII; anything else is folded by the same rule).
    static func fold(_ name: String, _ value: String) -> String {
        var out = Array(name.utf8)
        out.append(UInt8(ascii: ":"))
        out.reserveCapacity(out.count + value.utf8.count + 8)
        var lineLength = out.count
        // Never break before the first word, nor make a continuation line of only spaces.
        var lineHasWord = false
        let bytes = Array(value.utf8)
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: " ") { end += 1 }
            let length = end - start
            if lineHasWord, lineLength + 1 + length > maxLineLength {
                out += [13, 10]
                lineLength = 0
                lineHasWord = false
            }
            out.append(UInt8(ascii: " "))
            out += bytes[start..<end]
            lineLength += 1 + length
            if length > 0 { lineHasWord = true }
            start = end + 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `text` holds `pattern`, octet for octet.
    private static func asciiContains(_ text: String, _ pattern: StaticString) -> Bool {
        // A plain scan of the bytes: the generic `firstRange(of:)` cost more than the rest of
        // a message's headers.
        let needle = UnsafeBufferPointer(start: pattern.utf8Start, count: pattern.utf8CodeUnitCount)
        var text = text
        return text.withUTF8 { haystack in
            guard let first = needle.first, haystack.count >= needle.count else { return needle.isEmpty }
            for start in 0...(haystack.count - needle.count) where haystack[start] == first {
                if UnsafeBufferPointer(rebasing: haystack[start..<start + needle.count]).elementsEqual(needle) { return true }
            }
            return false
        }
    }

    static func isPlainASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// The longest run of octets between spaces (callers have checked `isPlainASCII`, where
    /// octets are Characters).
    private static func longestWord(_ text: String) -> Int {
        var longest = 0, current = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: " ") {
                current = 0
            } else {
                current += 1
                longest = max(longest, current)
            }
        }
        return longest
    }

    /// RFC 5322 `atext`: what an atom may hold without quoting.
    static let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~".utf8)

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(index + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
