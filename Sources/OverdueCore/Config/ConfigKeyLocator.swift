/// Finds the line on which a key of `overdue.toml` is written, so that a config error can
/// name `FILE:LINE`.
///
/// TOMLKit reports positions only for syntax errors, not for the keys of a parsed document,
/// so this scans the text once: it follows table headers (`[smtp]`; `[[stage]]` counted, so
/// the third `[[stage]]` is index 2) and records the first line of every `key =` under them.
/// It skips comments, multi-line strings and the continuation lines of multi-line arrays and
/// inline tables. It only has to agree with a document that TOMLKit already accepted.
public struct ConfigKeyLocator: Sendable {
    private struct Slot: Hashable {
        var table: String
        var index: Int?
        var key: String
    }

    private var keyLines: [Slot: Int] = [:]
    /// Header line of each table, and of each element of an array of tables (in order).
    private var headerLines: [String: [Int]] = [:]

    public init(text: String) {
        var table = ""
        var index: Int?
        var arrayCounts: [String: Int] = [:]
        var openString: String?      // the delimiter of a multi-line string we are inside
        var bracketDepth = 0         // open `[`/`{` of a value that continues on later lines

        for (offset, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let number = offset + 1
            var line = Substring(rawLine)
            if let delimiter = openString {
                guard let end = line.range(of: delimiter) else { continue }
                openString = nil
                line = line[end.upperBound...]
                let scan = ConfigKeyLocator.scanValue(line)
                bracketDepth += scan.depthChange
                openString = scan.openString
                continue
            }
            if bracketDepth > 0 {
                let scan = ConfigKeyLocator.scanValue(line)
                bracketDepth = max(0, bracketDepth + scan.depthChange)
                openString = scan.openString
                continue
            }
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }

            if trimmed.hasPrefix("[[") {
                let name = ConfigKeyLocator.headerName(trimmed.dropFirst(2), closing: "]]")
                let count = arrayCounts[name, default: 0]
                arrayCounts[name] = count + 1
                (table, index) = (name, count)
                headerLines[name, default: []].append(number)
            } else if trimmed.hasPrefix("[") {
                let name = ConfigKeyLocator.headerName(trimmed.dropFirst(), closing: "]")
                (table, index) = (name, nil)
                headerLines[name, default: []].append(number)
            } else if let equals = ConfigKeyLocator.equalsSign(in: trimmed) {
                let key = ConfigKeyLocator.firstKeyComponent(trimmed[..<equals])
                let slot = Slot(table: table, index: index, key: key)
                if keyLines[slot] == nil { keyLines[slot] = number }
                let scan = ConfigKeyLocator.scanValue(trimmed[trimmed.index(after: equals)...])
                bracketDepth = max(0, scan.depthChange)
                openString = scan.openString
            }
        }
    }

    /// The line of `key` in `table` (the `index`-th element for an array of tables), else the
    /// line of a `[table.key]` header, else of the table's own header; nil when none is written.
    /// `table` is `""` for the top level; `key` nil asks for the header itself.
    public func line(table: String, index: Int? = nil, key: String? = nil) -> Int? {
        if let key {
            if let line = keyLines[Slot(table: table, index: index, key: key)] { return line }
            let nested = table.isEmpty ? key : table + "." + key
            if index == nil, let line = headerLines[nested]?.first { return line }
        }
        guard !table.isEmpty else { return nil }
        guard let headers = headerLines[table] else {
            // Written as an inline table (`smtp = { ... }`): point at that line.
            return index == nil ? keyLines[Slot(table: "", index: nil, key: table)] : nil
        }
        if let index { return index < headers.count ? headers[index] : nil }
        return headers.first
    }

    // MARK: - Scanning

    /// The name between `[` and `]`, with quotes and spaces around dotted parts removed.
    private static func headerName(_ rest: Substring, closing: String) -> String {
        let inner = rest.range(of: closing).map { rest[..<$0.lowerBound] } ?? rest
        return inner.split(separator: ".").map { unquote($0) }.joined(separator: ".")
    }

    /// The `=` that ends the key part of a line, skipping any inside a quoted key.
    private static func equalsSign(in line: Substring) -> Substring.Index? {
        var quote: Character?
        for index in line.indices {
            let character = line[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "=" {
                return index
            }
        }
        return nil
    }

    /// `a.b.c` → `a`: a dotted key defines a sub-table of the first part, and that part is the
    /// key the loader complains about.
    private static func firstKeyComponent(_ keyPart: Substring) -> String {
        let first = keyPart.split(separator: ".", maxSplits: 1).first ?? keyPart
        return unquote(first)
    }

    private static func unquote(_ text: Substring) -> String {
        var trimmed = text.trimmingCharacters(in: " \t")
        if trimmed.count >= 2, let first = trimmed.first, first == "\"" || first == "'", trimmed.last == first {
            trimmed = String(trimmed.dropFirst().dropLast())
        }
        return trimmed
    }

    /// Walks the value part of a line: how many brackets it leaves open, and whether it opens
    /// a multi-line string (`"""` or `'''`) that continues on the next line.
    private static func scanValue(_ value: Substring) -> (depthChange: Int, openString: String?) {
        var depth = 0
        var index = value.startIndex
        while index < value.endIndex {
            let rest = value[index...]
            if let delimiter = ["\"\"\"", "'''"].first(where: { rest.hasPrefix($0) }) {
                let after = value.index(index, offsetBy: 3)
                guard let end = value[after...].range(of: delimiter) else { return (depth, delimiter) }
                index = end.upperBound
                continue
            }
            let character = value[index]
            switch character {
            case "#":
                return (depth, nil)
            case "\"", "'":
                index = value.index(after: index)
                while index < value.endIndex, value[index] != character {
                    if character == "\"", value[index] == "\\" { index = value.index(after: index) }
                    if index < value.endIndex { index = value.index(after: index) }
                }
            case "[", "{":
                depth += 1
            case "]", "}":
                depth -= 1
            default:
                break
            }
            if index < value.endIndex { index = value.index(after: index) }
        }
        return (depth, nil)
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var result = self
        while let first = result.first, set.contains(first) { result = result.dropFirst() }
        while let last = result.last, set.contains(last) { result = result.dropLast() }
        return String(result)
    }
}
