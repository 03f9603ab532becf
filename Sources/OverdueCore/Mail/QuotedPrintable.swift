/// RFC 2045 quoted-printable for text bodies: 7-bit output, lines of at most 76 octets, CRLF
/// line breaks.
///
/// The input's line breaks (CRLF, LF or a lone CR) all become CRLF first, so the text part is
/// canonical. Beyond what RFC 2045 requires, a line starting with `From ` gets its `F` encoded
/// (mbox writers would otherwise mangle it); leading dots stay literal, since SMTP dot-stuffing
/// (libcurl does it after every CRLF) carries them through.
enum QuotedPrintable {
    static let maxLineLength = 76

    static func encode(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        let lines = normalizedLines(text)
        for (index, line) in lines.enumerated() {
            encodeLine(line, into: &out)
            if index < lines.count - 1 { out += [13, 10] }
        }
        return out
    }

    /// The text split at every line break (CRLF, LF, CR), as UTF-8 bytes.
    static func normalizedLines(_ text: String) -> [[UInt8]] {
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
        return lines
    }

    private static func encodeLine(_ line: [UInt8], into out: inout [UInt8]) {
        let hex = Array("0123456789ABCDEF".utf8)
        var length = 0
        for (index, byte) in line.enumerated() {
            let isLast = index == line.count - 1
            let literal: Bool
            switch byte {
            case 9, 32: literal = !isLast // trailing whitespace would be stripped in transit
            case UInt8(ascii: "="): literal = false
            case 33...126: literal = !(index == 0 && byte == UInt8(ascii: "F") && line.starts(with: Array("From ".utf8)))
            default: literal = false
            }
            let width = literal ? 1 : 3
            // Room for the soft break's "=" unless this is the line's last piece.
            let limit = isLast ? maxLineLength : maxLineLength - 1
            if length + width > limit {
                out += [UInt8(ascii: "="), 13, 10]
                length = 0
            }
            if literal {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
            length += width
        }
    }
}
