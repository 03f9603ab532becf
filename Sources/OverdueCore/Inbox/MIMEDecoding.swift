import Foundation

/// Decoding what mail programs write: RFC 2047 encoded words, quoted-printable and base64
/// bodies, and the handful of charsets replies come in. Anything undecodable is kept as
/// UTF-8 with replacement characters: a malformed message is read as well as it can be,
/// never refused by an exception.
enum MIMEDecoding {
    /// Text in `charset` (`utf-8`, `us-ascii`, `iso-8859-1`, `windows-1252`...); unknown
    /// charsets and invalid bytes decode as UTF-8 with replacement characters.
    static func text(_ bytes: some Collection<UInt8>, charset: String?) -> String {
        switch charset?.lowercased() {
        case "iso-8859-1", "latin1", "iso_8859-1", "iso-8859-15":
            return String(bytes.map { Character(Unicode.Scalar($0)) })
        case "windows-1252", "cp1252":
            return String(data: Data(bytes), encoding: .windowsCP1252) ?? String(decoding: bytes, as: UTF8.self)
        default:
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// A header value with its encoded words (`=?utf-8?Q?...?=`, `=?utf-8?B?...?=`) decoded;
    /// whitespace between two encoded words is dropped, as RFC 2047 says.
    static func headerText(_ raw: String) -> String {
        var out = ""
        var rest = Substring(raw)
        var lastWasEncoded = false
        while let start = rest.range(of: "=?") {
            let before = rest[..<start.lowerBound]
            let afterStart = rest[start.upperBound...]
            let pieces = afterStart.split(separator: "?", maxSplits: 3, omittingEmptySubsequences: false)
            guard pieces.count == 4, pieces[3].hasPrefix("="), let decoded = decodeWord(charset: String(pieces[0]), encoding: String(pieces[1]),
                                                                                    text: String(pieces[2])) else {
                out += before + "=?"
                rest = afterStart
                lastWasEncoded = false
                continue
            }
            if !(lastWasEncoded && before.allSatisfy({ $0 == " " || $0 == "\t" })) { out += before }
            out += decoded
            lastWasEncoded = true
            let consumed = pieces[0].count + pieces[1].count + pieces[2].count + 3 + 1   // three '?' and the '='
            rest = afterStart.dropFirst(consumed)
        }
        return out + rest
    }

    private static func decodeWord(charset: String, encoding: String, text: String) -> String? {
        let charset = charset.split(separator: "*").first.map(String.init) ?? charset   // RFC 2231 language suffix
        switch encoding.lowercased() {
        case "b":
            guard let data = base64(Array(text.utf8)) else { return nil }
            return MIMEDecoding.text(data, charset: charset)
        case "q":
            return MIMEDecoding.text(quotedPrintable(Array(text.utf8), underscoreIsSpace: true), charset: charset)
        default:
            return nil
        }
    }

    /// A body in `encoding` (`Content-Transfer-Encoding`); 7bit/8bit/binary pass through.
    static func body(_ bytes: ArraySlice<UInt8>, encoding: String?) -> [UInt8] {
        switch encoding?.lowercased().trimmingCharacters(in: .whitespaces) {
        case "quoted-printable": return quotedPrintable(bytes, underscoreIsSpace: false)
        case "base64": return base64(bytes.filter { $0 > 32 }) ?? Array(bytes)
        default: return Array(bytes)
        }
    }

    /// Lenient base64: whitespace ignored, missing padding tolerated; nil when not base64 at all.
    static func base64(_ bytes: [UInt8]) -> [UInt8]? {
        var clean = bytes.filter { $0 > 32 }
        while clean.count % 4 != 0 { clean.append(UInt8(ascii: "=")) }
        return Data(base64Encoded: Data(clean)).map(Array.init)
    }

    static func quotedPrintable(_ bytes: some Collection<UInt8>, underscoreIsSpace: Bool) -> [UInt8] {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        var index = 0
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 48...57: byte - 48
            case 65...70: byte - 55
            case 97...102: byte - 87
            default: nil
            }
        }
        while index < input.count {
            let byte = input[index]
            if byte == UInt8(ascii: "="), index + 1 < input.count {
                if input[index + 1] == 10 { index += 2; continue }                                  // soft break (LF)
                if input[index + 1] == 13, index + 2 < input.count, input[index + 2] == 10 { index += 3; continue }
                if index + 2 < input.count, let high = hex(input[index + 1]), let low = hex(input[index + 2]) {
                    out.append(high << 4 | low)
                    index += 3
                    continue
                }
            }
            out.append(underscoreIsSpace && byte == UInt8(ascii: "_") ? 32 : byte)
            index += 1
        }
        return out
    }
}
