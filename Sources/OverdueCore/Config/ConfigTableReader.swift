import TOMLKit

/// Why one config value was refused: the text after `section.key: `.
struct ConfigProblem: Error {
    let text: String
    init(_ text: String) { self.text = text }
}

/// Typed access to one table of `overdue.toml` that records a located error for every
/// missing, mistyped or invalid value instead of stopping at the first.
///
/// Accessors return nil both when a key is absent (and optional) and when it is invalid;
/// `failed` tells the two apart, so a section is built only when all its values were good.
final class ConfigTableReader {
    let table: TOMLTable
    /// The table's name as written in a header (`smtp`, `stage`).
    let name: String
    /// Position among `[[name]]` elements, for arrays of tables.
    let index: Int?
    let diagnostics: ConfigDiagnostics
    private(set) var failed = false

    init(table: TOMLTable, name: String, index: Int? = nil, diagnostics: ConfigDiagnostics) {
        self.table = table
        self.name = name
        self.index = index
        self.diagnostics = diagnostics
    }

    /// How the user reads a key's name: `smtp.url`, or `stage[2].days` (counting from 1, as in
    /// "the second `[[stage]]`").
    func field(_ key: String) -> String {
        (index.map { "\(name)[\($0 + 1)]" } ?? name) + "." + key
    }

    func has(_ key: String) -> Bool { table[key] != nil }

    /// Marks the table invalid because a nested table (already reported) is.
    func markFailed() { failed = true }

    func fail(_ key: String, _ problem: String) {
        failed = true
        diagnostics.report(table: name, index: index, key: key, field: field(key), problem)
    }

    /// Every key not in `allowed` is an error; `hints` can say what to write instead.
    func refuseUnknownKeys(allowed: Set<String>, hints: [String: String] = [:]) {
        for key in table.keys.sorted() where !allowed.contains(key) {
            fail(key, hints[key] ?? "unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    // MARK: - Typed values

    /// A string without control characters (config strings end up in mail headers and logs).
    /// `lines`: line breaks are allowed (a message body's block, such as the signature), CRLF read as LF.
    func string(_ key: String, required: Bool = false, lines: Bool = false) -> String? {
        guard let value = table[key] else {
            if required { fail(key, "is required") }
            return nil
        }
        guard let text = value.string else {
            fail(key, "expected a string, found \(article(value.type))")
            return nil
        }
        let checked = lines ? text.replacingOccurrences(of: "\r\n", with: "\n") : text
        if let bad = checked.unicodeScalars.first(where: { Mailbox.isForbidden($0) && !(lines && $0 == "\n") }) {
            fail(key, "contains the control character " + bad.codePoint)
            return nil
        }
        return checked
    }

    /// A string that must not be empty.
    func nonEmptyString(_ key: String, required: Bool = false, lines: Bool = false) -> String? {
        guard let text = string(key, required: required, lines: lines) else { return nil }
        guard !text.isEmpty else {
            fail(key, "must not be empty")
            return nil
        }
        return text
    }

    func int(_ key: String, required: Bool = false) -> Int? {
        guard let value = table[key] else {
            if required { fail(key, "is required") }
            return nil
        }
        guard let number = value.int else {
            fail(key, "expected an integer, found \(article(value.type))")
            return nil
        }
        return number
    }

    /// An array whose every element is a string without control characters.
    func stringArray(_ key: String, required: Bool = false) -> [String]? {
        guard let value = table[key] else {
            if required { fail(key, "is required") }
            return nil
        }
        guard let array = value.array else {
            fail(key, "expected an array of strings, found \(article(value.type))")
            return nil
        }
        var strings: [String] = []
        for (position, element) in array.enumerated() {
            guard let text = element.string else {
                fail(key, "element \(position + 1): expected a string, found \(article(element.type))")
                return nil
            }
            if let bad = text.unicodeScalars.first(where: Mailbox.isForbidden) {
                fail(key, "element \(position + 1): contains the control character " + bad.codePoint)
                return nil
            }
            strings.append(text)
        }
        return strings
    }

    /// A string turned into a typed value by `transform`; its `ConfigProblem` becomes the error.
    func parsed<T>(_ key: String, required: Bool = false,
                   _ transform: (String) -> Result<T, ConfigProblem>) -> T? {
        guard let text = string(key, required: required) else { return nil }
        switch transform(text) {
        case .success(let value): return value
        case .failure(let problem):
            fail(key, problem.text)
            return nil
        }
    }

    /// A duration such as `"15m"`, at most `limit`.
    func interval(_ key: String, atMost limit: Interval) -> Interval? {
        parsed(key) { text in ConfigTableReader.interval(text, atMost: limit) }
    }

    /// The one duration rule of the config: a positive whole number and a unit, no longer than
    /// `limit`, so that every sum and timer built from it stays far from overflow.
    static func interval(_ text: String, atMost limit: Interval) -> Result<Interval, ConfigProblem> {
        guard let interval = Interval(text) else {
            let digits = text.dropLast()
            // Digits and a unit, not zero: only too large to count in seconds.
            if digits.contains(where: { $0 != "0" }), digits.allSatisfy({ $0.isASCII && $0.isNumber }), "smhd".contains(text.last!) {
                return .failure(ConfigProblem("\"\(text)\" is longer than the maximum \(limit)"))
            }
            return .failure(ConfigProblem("\"\(text)\" is not a duration (a positive whole number and a unit: \"30s\", \"15m\", \"2h\", \"3d\")"))
        }
        guard interval <= limit else { return .failure(ConfigProblem("\"\(text)\" is longer than the maximum \(limit)")) }
        return .success(interval)
    }

    /// An integer in `range`.
    func int(_ key: String, in range: ClosedRange<Int>, required: Bool = false) -> Int? {
        guard let number = int(key, required: required) else { return nil }
        guard range.contains(number) else {
            fail(key, "\(number) is out of range (\(range.lowerBound) to \(range.upperBound))")
            return nil
        }
        return number
    }

    private func article(_ type: TOMLType) -> String {
        let name = type.description
        return (name.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + name
    }
}
