/// Word wrapping for plain-text mail parts: lines of at most `width` columns (72 by default,
/// which leaves room for the `> ` of a quoted reply within the 78 of RFC 5322).
///
/// A line is broken only at an ASCII space, never inside a word, so a URL, an amount, an
/// invoice number or a Message-ID always stays whole; a word longer than the width gets a line
/// of its own and is left long. Text is counted in columns as a terminal shows it: a wide
/// (East Asian) character takes two, a combining mark none.
public enum WordWrap {
    public static let defaultWidth = 72

    /// `paragraph` (one line, no line break in it) as lines of at most `width` columns: the
    /// first starts with `indent`, the others with `hangingIndent` (default: `indent`), so a
    /// numbered item can continue under its text. Runs of spaces inside a line are kept; the
    /// run at a break is dropped.
    public static func lines(_ paragraph: String, width: Int = defaultWidth, indent: String = "",
                             hangingIndent: String? = nil) -> [String] {
        let continuation = hangingIndent ?? indent
        var out: [String] = []
        var current = indent
        var currentColumns = columns(indent)
        var hasWord = false
        for (gap, word) in tokens(paragraph) {
            let wordColumns = columns(word)
            if !hasWord {
                current += word
                currentColumns += wordColumns
                hasWord = true
            } else if currentColumns + gap.count + wordColumns <= width {
                current += String(repeating: " ", count: gap.count) + word
                currentColumns += gap.count + wordColumns
            } else {
                out.append(current)
                current = continuation + word
                currentColumns = columns(continuation) + wordColumns
            }
        }
        out.append(current)
        return out
    }

    /// Every line of `text` that is wider than `width` wrapped, continuing at the line's own
    /// leading spaces; lines already within the width are kept byte for byte (a template that
    /// lays out its own lines keeps that layout). Line ends are `\n`.
    public static func wrap(_ text: String, width: Int = defaultWidth) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let line = String(line)
            guard columns(line) > width else { return line }
            let indent = String(line.prefix { $0 == " " })
            return lines(String(line.dropFirst(indent.count)), width: width, indent: indent).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// The words of a line, each with the run of spaces before it (empty for the first).
    private static func tokens(_ line: String) -> [(gap: Substring, word: Substring)] {
        var result: [(Substring, Substring)] = []
        var index = line.startIndex
        while index < line.endIndex {
            let gapEnd = line[index...].firstIndex { $0 != " " } ?? line.endIndex
            let wordEnd = line[gapEnd...].firstIndex { $0 == " " } ?? line.endIndex
            if gapEnd < line.endIndex {
                result.append((line[index..<gapEnd], line[gapEnd..<wordEnd]))
            }
            index = wordEnd
        }
        return result
    }

    /// Columns a terminal gives `text`: two for a wide character, none for a combining mark.
    public static func columns<S: StringProtocol>(_ text: S) -> Int {
        text.reduce(0) { $0 + columns(of: $1) }
    }

    private static func columns(of character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first else { return 0 }
        let value = scalar.value
        if value < 0x300 { return 1 }
        if scalar.properties.generalCategory == .nonspacingMark || scalar.properties.generalCategory == .enclosingMark {
            return 0
        }
        return wide.contains { $0.contains(value) } ? 2 : 1
    }

    /// East Asian Wide and Fullwidth blocks (Hangul, CJK, kana, fullwidth forms) and emoji.
    private static let wide: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
        0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
        0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD,
    ]
}
