/// A JSON value whose objects keep their key order, so outputs match the contract byte for byte.
public indirect enum JSONValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool { lhs.serialized == rhs.serialized }

    public static func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
    public static func strings(_ list: [String]) -> JSONValue { .array(list.map(JSONValue.string)) }

    /// Compact serialization on one line: no spaces, `/` not escaped, non-ASCII kept as UTF-8,
    /// control characters as `\uXXXX` (U+2028/2029 and C1 too, so a line is always one line).
    public var serialized: String { String(decoding: serializedBytes, as: UTF8.self) }

    public var serializedBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(to: &out)
        return out
    }

    /// Appends the serialization to a byte buffer: the fast path for outputs of a million lines
    /// and for hashing, with no intermediate Strings.
    public func write(to out: inout [UInt8]) {
        switch self {
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .int(let i): ByteText.append(i, to: &out)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .null: out.append(contentsOf: "null".utf8)
        case .array(let items): JSONValue.writeArray(items, to: &out) { $0.write(to: &$1) }
        case .object(let pairs):
            var object = JSONObjectWriter()
            for (key, value) in pairs {
                object.key(key, to: &out)
                value.write(to: &out)
            }
            object.end(to: &out)
        }
    }

    public static func writeString(_ s: String, to out: inout [UInt8]) {
        // Read in place: a copy to call the mutating `withUTF8` would retain the string (an
        // atomic write to memory that is often cold, as a plan line's addresses are).
        if s.utf8.withContiguousStorageIfAvailable({ writeString(contiguous: $0, to: &out) }) != nil { return }
        var s = s
        s.withUTF8 { writeString(contiguous: $0, to: &out) }
    }

    /// `writeString`, or `null` for nil, with no `JSONValue` built (each of which is a boxed
    /// allocation): the audit line writes three of these per entry.
    public static func writeString(optional s: String?, to out: inout [UInt8]) {
        if let s { writeString(s, to: &out) } else { out.append(contentsOf: "null".utf8) }
    }

    /// An array of strings, as `.strings(list)` writes it, with no `JSONValue` built.
    public static func writeStrings(_ list: [String], to out: inout [UInt8]) {
        writeArray(list, to: &out) { writeString($0, to: &$1) }
    }

    private static func writeArray<Items: Sequence>(_ items: Items, to out: inout [UInt8],
                                                   _ element: (Items.Element, inout [UInt8]) -> Void) {
        out.append(UInt8(ascii: "["))
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            element(item, &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// `writeString` for text already encoded as UTF-8 (a date or an amount written by `ByteText`).
    public static func writeString(utf8: [UInt8], to out: inout [UInt8]) {
        utf8.withUnsafeBufferPointer { writeString(contiguous: $0, to: &out) }
    }

    static func writeString(contiguous utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // The common case, nothing to escape: checked and copied on the contiguous UTF-8 in place.
        if isPlain(utf8) {
            out.append(contentsOf: utf8)
        } else {
            writeEscaped(String(decoding: utf8, as: UTF8.self), to: &out)
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func isPlain(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in utf8 where !isPlain(byte) { return false }
        return true
    }

    /// A UTF-8 byte that can be copied as is: not a control, quote, backslash or DEL, and not
    /// a lead byte (0xC2, 0xE2) that may start a C1 control or U+2028/U+2029 (those go the slow way).
    private static func isPlain(_ byte: UInt8) -> Bool {
        byte >= 0x20 && byte != 0x22 && byte != 0x5C && byte != 0x7F && byte != 0xC2 && byte != 0xE2
    }

    private static func writeEscaped(_ s: String, to out: inout [UInt8]) {
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append(contentsOf: "\\\"".utf8)
            case "\\": out.append(contentsOf: "\\\\".utf8)
            case "\n": out.append(contentsOf: "\\n".utf8)
            case "\r": out.append(contentsOf: "\\r".utf8)
            case "\t": out.append(contentsOf: "\\t".utf8)
            default:
                let v = scalar.value
                if v < 0x20 || v == 0x7F || v == 0x2028 || v == 0x2029 || (0x80...0x9F).contains(v) {
                    out.append(contentsOf: "\\u".utf8)
                    ByteText.appendHex(UInt64(v), minimumCount: 4, to: &out)
                } else {
                    out.append(contentsOf: String(scalar).utf8)
                }
            }
        }
    }
}

/// Writes a JSON object member by member straight into bytes, for values that are not in a
/// `JSONValue` tree (the import's audit details); `JSONValue.object` is written through it too.
public struct JSONObjectWriter {
    private var members = 0

    public init() {}

    /// `{` before the first member, `,` before the others, then `"key":`; the caller writes the value.
    public mutating func key(_ key: String, to out: inout [UInt8]) {
        out.append(members == 0 ? UInt8(ascii: "{") : UInt8(ascii: ","))
        JSONValue.writeString(key, to: &out)
        out.append(UInt8(ascii: ":"))
        members += 1
    }

    /// `}`, or `{}` for an object without members.
    public func end(to out: inout [UInt8]) {
        if members == 0 { out.append(UInt8(ascii: "{")) }
        out.append(UInt8(ascii: "}"))
    }
}
