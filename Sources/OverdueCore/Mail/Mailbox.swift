import Foundation

/// An email address with an optional display name: `Jane Doe <jane@example.com>`.
///
/// Construction validates: the address is a plain `local@domain` (dot-atom, ASCII, no
/// control characters or whitespace), and the display name has no control characters
/// (checked per Unicode scalar, so CR LF, NUL, U+0085, U+2028 and U+2029 are all refused).
public struct Mailbox: Hashable, Sendable, CustomStringConvertible {
    public let displayName: String?
    public let address: String

    public init(displayName: String? = nil, address: String) throws(MailboxError) {
        guard Mailbox.isValidAddress(address) else { throw .badAddress(address) }
        if let name = displayName, let bad = name.unicodeScalars.first(where: Mailbox.isForbidden) {
            throw .controlCharacter(bad.codePoint)
        }
        self.displayName = displayName.flatMap { $0.isEmpty ? nil : $0 }
        self.address = address
    }

    /// Parses `addr@host` or `Display Name <addr@host>` (the display name may be quoted).
    public init(parsing text: String) throws(MailboxError) {
        let trimmed = text.trimmingASCIIWhitespace()
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            var name = String(trimmed[..<open]).trimmingASCIIWhitespace()
            if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
                name = String(name.dropFirst().dropLast())
            }
            let address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            try self.init(displayName: name.isEmpty ? nil : name, address: address)
        } else {
            try self.init(displayName: nil, address: trimmed)
        }
    }

    public var description: String {
        if let displayName { return "\(displayName) <\(address)>" }
        return address
    }

    /// C0 controls, DEL, C1 controls (incl. U+0085), U+2028, U+2029.
    public static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v) || v == 0x2028 || v == 0x2029
    }

    // Byte lookup tables, built once: the CSV import checks a million addresses.
    private static let atext = table("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~")
    private static let hostChars = table("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
    private static func table(_ characters: String) -> [Bool] {
        var table = [Bool](repeating: false, count: 256)
        for byte in characters.utf8 { table[Int(byte)] = true }
        return table
    }

    /// A deliberately strict address check: dot-atom local part and a dotted-label domain
    /// (or a bare `localhost`-style label), all ASCII printable, at most 254 octets.
    public static func isValidAddress(_ address: String) -> Bool {
        let bytes = Array(address.utf8)
        guard bytes.count <= 254, let at = bytes.lastIndex(of: UInt8(ascii: "@")),
              bytes.firstIndex(of: UInt8(ascii: "@")) == at else { return false }
        let local = bytes[..<at], domain = bytes[(at + 1)...]
        let atext = Mailbox.atext
        func dotAtom(_ part: ArraySlice<UInt8>, allowed: [Bool]) -> Bool {
            guard !part.isEmpty, part.first != UInt8(ascii: "."), part.last != UInt8(ascii: ".") else { return false }
            var previousDot = false
            for byte in part {
                if byte == UInt8(ascii: ".") {
                    if previousDot { return false }
                    previousDot = true
                } else {
                    guard allowed[Int(byte)] else { return false }
                    previousDot = false
                }
            }
            return true
        }
        let hostChars = Mailbox.hostChars
        guard local.count <= 64, dotAtom(local, allowed: atext), dotAtom(domain, allowed: hostChars) else { return false }
        return domain.split(separator: UInt8(ascii: ".")).allSatisfy {
            $0.first != UInt8(ascii: "-") && $0.last != UInt8(ascii: "-") && $0.count <= 63
        }
    }
}

public enum MailboxError: Error, Equatable, Sendable, CustomStringConvertible {
    case badAddress(String)
    case controlCharacter(String)

    public var description: String {
        switch self {
        case .badAddress(let text): "\"\(text.escapingControls())\" is not a valid email address"
        case .controlCharacter(let scalar): "contains the control character \(scalar)"
        }
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        var scalars = Substring(self)
        while let f = scalars.first, f == " " || f == "\t" { scalars = scalars.dropFirst() }
        while let l = scalars.last, l == " " || l == "\t" { scalars = scalars.dropLast() }
        return String(scalars)
    }

    /// The string with every forbidden scalar shown as `\u{XXXX}`, safe to print on one line.
    public func escapingControls() -> String {
        guard unicodeScalars.contains(where: Mailbox.isForbidden) else { return self }
        var out = ""
        for scalar in unicodeScalars {
            if Mailbox.isForbidden(scalar) { out += "\\u{" + ByteText.hex(UInt64(scalar.value), minimumCount: 4, uppercase: true) + "}" } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }
}
