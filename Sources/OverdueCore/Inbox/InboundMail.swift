import Crypto
import Foundation

/// One message read from the inbox, parsed leniently (RFC 5322 headers, a MIME tree of
/// bounded depth): only what the classifier looks at is kept. Parsing never fails; a message
/// that is not MIME at all is one text part.
public struct InboundMail: Sendable, Equatable {
    /// Header fields in order, names lower-cased, values unfolded (not yet decoded).
    public var headers: [(name: String, value: String)]
    public var parts: [MIMEPart]

    public static func == (lhs: InboundMail, rhs: InboundMail) -> Bool {
        lhs.headers.elementsEqual(rhs.headers, by: { $0.name == $1.name && $0.value == $1.value }) && lhs.parts == rhs.parts
    }

    /// At most this many parts and this depth of nesting are read; the rest of a message built
    /// to exhaust the parser is ignored.
    static let maxParts = 64
    static let maxDepth = 6

    public init(_ raw: [UInt8]) {
        let (headerBytes, body) = InboundMail.split(raw[...])
        headers = InboundMail.headerFields(headerBytes)
        var parts: [MIMEPart] = []
        InboundMail.collect(headers: headers, body: body, depth: 0, into: &parts)
        self.parts = parts
    }

    /// The first value of header `name` (lower-case), RFC 2047 words decoded.
    public func header(_ name: String) -> String? {
        headers.first { $0.name == name }.map { MIMEDecoding.headerText($0.value).trimmingCharacters(in: .whitespaces) }
    }

    public var subject: String { header("subject") ?? "" }
    public var from: String { header("from") ?? "" }
    /// The sender's address, lower-cased: `From`'s (the last `<...>`, else the word with an `@`).
    public var senderAddress: String? { InboundMail.address(in: from) }
    public var messageID: String? { InboundMail.messageIDs(in: header("message-id") ?? "").first }
    public var date: Date? { header("date").flatMap(InboundMail.parseDate) }
    /// Message-IDs of `In-Reply-To` then `References` (last first: the nearest ancestor first).
    public var threadIDs: [String] {
        InboundMail.messageIDs(in: header("in-reply-to") ?? "") + InboundMail.messageIDs(in: header("references") ?? "").reversed()
    }

    /// The first lines the sender wrote (the first text part, quoted text and signatures cut
    /// off): at most `lines` lines of at most 200 characters each.
    public func excerpt(lines: Int = 5) -> [String] {
        guard let text = parts.first(where: { $0.type == "text/plain" })?.text ?? parts.first(where: { $0.type == "text/html" })
            .map({ InboundMail.strippingTags($0.text) }) else { return [] }
        var out: [String] = []
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if InboundMail.isQuoteStart(line) { break }
            if line.isEmpty || line.hasPrefix(">") { continue }
            out.append(String(line.unicodeScalars.filter { !Mailbox.isForbidden($0) }.prefix(200).map(Character.init)))
            if out.count == lines { break }
        }
        return out
    }

    /// The key a message without a Message-ID is recorded under: the SHA-256 of its bytes.
    public static func digestKey(_ raw: [UInt8]) -> String { "sha256:" + hexString(SHA256.hash(data: raw)) }

    // MARK: Parsing

    static func split(_ raw: ArraySlice<UInt8>) -> (ArraySlice<UInt8>, ArraySlice<UInt8>) {
        var index = raw.startIndex
        while index < raw.endIndex {
            if raw[index] == 10 {
                let next = index + 1
                if next < raw.endIndex, raw[next] == 10 { return (raw[..<index], raw[(next + 1)...]) }
                if next + 1 < raw.endIndex, raw[next] == 13, raw[next + 1] == 10 { return (raw[..<index], raw[(next + 2)...]) }
            }
            index += 1
        }
        return (raw, raw[raw.endIndex...])
    }

    static func headerFields(_ bytes: ArraySlice<UInt8>) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        for line in bytes.split(separator: 10, omittingEmptySubsequences: true) {
            let trimmed = line.last == 13 ? line.dropLast() : line
            guard let first = trimmed.first else { continue }
            if first == 32 || first == 9 {
                if !fields.isEmpty { fields[fields.count - 1].value += " " + MIMEDecoding.text(trimmed, charset: nil).trimmingCharacters(in: .whitespaces) }
                continue
            }
            guard let colon = trimmed.firstIndex(of: UInt8(ascii: ":")), colon > trimmed.startIndex else { continue }
            let name = MIMEDecoding.text(trimmed[..<colon], charset: nil).trimmingCharacters(in: .whitespaces).lowercased()
            let value = MIMEDecoding.text(trimmed[(colon + 1)...], charset: nil).trimmingCharacters(in: .whitespaces)
            fields.append((name, value))
        }
        return fields
    }

    private static func collect(headers: [(name: String, value: String)], body: ArraySlice<UInt8>, depth: Int, into parts: inout [MIMEPart]) {
        guard parts.count < maxParts else { return }
        let contentType = ContentType(headers.first { $0.name == "content-type" }?.value ?? "text/plain")
        let encoding = headers.first { $0.name == "content-transfer-encoding" }?.value
        if contentType.type.hasPrefix("multipart/"), depth < maxDepth, let boundary = contentType.parameters["boundary"], !boundary.isEmpty {
            parts.append(MIMEPart(type: contentType.type, parameters: contentType.parameters, headers: [], text: ""))
            for child in multipartBodies(body, boundary: boundary) {
                let (childHeaders, childBody) = split(child)
                collect(headers: headerFields(childHeaders), body: childBody, depth: depth + 1, into: &parts)
            }
            return
        }
        let decoded = MIMEDecoding.body(body, encoding: encoding)
        switch contentType.type {
        case "message/rfc822", "text/rfc822-headers", "message/rfc822-headers", "message/global", "message/global-headers":
            let (innerHeaders, _) = split(decoded[...])
            parts.append(MIMEPart(type: contentType.type, parameters: contentType.parameters, headers: headerFields(innerHeaders), text: ""))
        case "message/delivery-status", "message/global-delivery-status":
            parts.append(MIMEPart(type: contentType.type, parameters: contentType.parameters, headers: [],
                                  text: MIMEDecoding.text(decoded, charset: "utf-8")))
        default:
            let text = contentType.type.hasPrefix("text/") ? MIMEDecoding.text(decoded, charset: contentType.parameters["charset"]) : ""
            parts.append(MIMEPart(type: contentType.type, parameters: contentType.parameters, headers: [], text: text))
        }
    }

    /// The bodies between `--boundary` lines; a missing final `--boundary--` ends at the end.
    private static func multipartBodies(_ body: ArraySlice<UInt8>, boundary: String) -> [ArraySlice<UInt8>] {
        let marker = Array("--\(boundary)".utf8)
        var bodies: [ArraySlice<UInt8>] = []
        var start: Int?
        var lineStart = body.startIndex
        while lineStart < body.endIndex {
            let lineEnd = body[lineStart...].firstIndex(of: 10) ?? body.endIndex
            let line = body[lineStart..<lineEnd]
            if line.starts(with: marker) {
                if let start {
                    var end = lineStart
                    if end > start, body[end - 1] == 10 { end -= 1 }
                    if end > start, body[end - 1] == 13 { end -= 1 }
                    bodies.append(body[start..<end])
                }
                let rest = line.dropFirst(marker.count)
                if rest.starts(with: [45, 45]) { return bodies }
                start = min(lineEnd + 1, body.endIndex)
            }
            lineStart = lineEnd + 1
        }
        if let start, start < body.endIndex { bodies.append(body[start...]) }
        return bodies
    }

    /// `a@b` from `"Name" <a@b>` or `a@b (Name)`; lower-cased.
    public static func address(in text: String) -> String? {
        if let open = text.lastIndex(of: "<"), let close = text[open...].firstIndex(of: ">") {
            let inside = text[text.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
            return inside.contains("@") ? inside.lowercased() : nil
        }
        let word = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == ";" }).first { $0.contains("@") }
        return word.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "<>\"'()")).lowercased() }
    }

    /// Every `<...>` token of a header, brackets kept.
    static func messageIDs(in text: String) -> [String] {
        var ids: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            let id = rest[open...close]
            if id.count > 2, id.count <= 998 { ids.append(String(id)) }
            rest = rest[rest.index(after: close)...]
        }
        return ids
    }

    /// RFC 5322 `date-time` (the day name optional, obsolete zone names read as UTC).
    static func parseDate(_ text: String) -> Date? {
        var words = text.replacingOccurrences(of: ",", with: " ").split(separator: " ").map(String.init)
        if let first = words.first, first.first?.isLetter == true { words.removeFirst() }
        guard words.count >= 4, let day = Int(words[0]), let year = Int(words[2]) else { return nil }
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        guard let month = months.firstIndex(of: String(words[1].prefix(3)).lowercased()) else { return nil }
        let clock = words[3].split(separator: ":").compactMap { Int($0) }
        guard clock.count >= 2 else { return nil }
        var offset = 0
        if words.count >= 5, let sign = words[4].first, sign == "+" || sign == "-", let value = Int(words[4].dropFirst()) {
            offset = (value / 100 * 3600 + value % 100 * 60) * (sign == "-" ? -1 : 1)
        }
        let fullYear = year < 50 ? 2000 + year : year < 1000 ? 1900 + year : year
        guard let date = LocalDate(year: fullYear, month: month + 1, day: day) else { return nil }
        let seconds = date.dayNumber * 86_400 + clock[0] * 3600 + clock[1] * 60 + (clock.count > 2 ? clock[2] : 0) - offset
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// True for the line a mail program puts above the quoted message it answers.
    static func isQuoteStart(_ line: String) -> Bool {
        let lower = line.lowercased()
        return (lower.hasPrefix("on ") && lower.hasSuffix("wrote:")) || (lower.hasPrefix("am ") && lower.hasSuffix("schrieb:"))
            || (lower.hasPrefix("le ") && lower.hasSuffix("a écrit :")) || lower.hasPrefix("-----original message-----")
            || lower.hasPrefix("________________________________") || (lower.hasPrefix("from:") && lower.contains("@"))
            || lower == "-- " || lower == "--"
    }

    static func strippingTags(_ html: String) -> String {
        var out = ""
        var inTag = false
        for character in html {
            if character == "<" { inTag = true; continue }
            if character == ">" { inTag = false; out.append("\n"); continue }
            if !inTag { out.append(character) }
        }
        return out.replacingOccurrences(of: "&nbsp;", with: " ").replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// One leaf (or multipart container) of a message's MIME tree.
public struct MIMEPart: Sendable, Equatable {
    /// `type/subtype`, lower-cased.
    public var type: String
    public var parameters: [String: String]
    /// For `message/rfc822` and `text/rfc822-headers`: the returned message's header fields.
    public var headers: [(name: String, value: String)]
    /// Decoded text of a `text/*` or `message/delivery-status` part.
    public var text: String

    public static func == (lhs: MIMEPart, rhs: MIMEPart) -> Bool {
        lhs.type == rhs.type && lhs.parameters == rhs.parameters && lhs.text == rhs.text
            && lhs.headers.elementsEqual(rhs.headers, by: { $0.name == $1.name && $0.value == $1.value })
    }
}

/// `Content-Type: type/subtype; name=value; name="quoted value"`.
struct ContentType {
    var type: String
    var parameters: [String: String] = [:]

    init(_ text: String) {
        var fields: [String] = []
        var current = ""
        var quoted = false
        for character in text {
            if character == "\"" { quoted.toggle(); continue }
            if character == ";", !quoted { fields.append(current); current = ""; continue }
            current.append(character)
        }
        fields.append(current)
        type = fields[0].trimmingCharacters(in: .whitespaces).lowercased()
        if !type.contains("/") { type = "text/plain" }
        for field in fields.dropFirst() {
            guard let equals = field.firstIndex(of: "=") else { continue }
            let name = field[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            parameters[name] = field[field.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
    }
}
