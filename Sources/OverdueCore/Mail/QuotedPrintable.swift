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
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 8 + 8)
        // Lines are encoded in place between line breaks (CRLF, LF or CR); the last line may be empty.
        var start = 0
        while true {
            var end = start
            while end < bytes.count, bytes[end] != 13, bytes[end] != 10 { end += 1 }
            encodeLine(bytes[start..<end], into: &out)
            guard end < bytes.count else { break }
            out += [13, 10]
            start = bytes[end] == 13 && end + 1 < bytes.count && bytes[end + 1] == 10 ? end + 2 : end + 1
        }
        return out
    }

    private static let from = Array("From ".utf8)

    private static func encodeLine(_ line: ArraySlice<UInt8>, into out: inout [UInt8]) {
        var length = 0
        let first = line.startIndex, last = line.endIndex - 1
        for index in line.indices {
            let byte = line[index]
            let isLast = index == last
            let literal: Bool
            switch byte {
            case 9, 32: literal = !isLast // trailing whitespace would be stripped in transit
            case UInt8(ascii: "="): literal = false
            case 33...126: literal = !(index == first && byte == UInt8(ascii: "F") && line.starts(with: from))
            default: literal = false
            }
            let width = literal ? 1 : 3
            // Room for the soft break's "=" unless this is the line's last piece.
            let limit = isLast ? maxLineLength : maxLineLength - 1
            if length + width > limit {
                out.append(UInt8(ascii: "="))
                out.append(13)
                out.append(10)
                length = 0
            }
            if literal {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "="))
                ByteText.appendHex(UInt64(byte), minimumCount: 2, uppercase: true, to: &out)
            }
            length += width
        }
    }
}
