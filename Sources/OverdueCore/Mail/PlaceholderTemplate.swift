import Mustache

/// A reminder template rendered once by swift-mustache with a placeholder for every value,
/// then filled in by plain concatenation for each message.
///
/// swift-mustache resolves each `{{name}}` through dynamic casts and `Mirror` at every render,
/// about 30,000 instructions per tag: composing the messages was half of a tick that sends
/// thousands. A reminder's values are all strings, and a string that is present renders a
/// section once whatever its text (only absence, nil, skips it), so the output of a template
/// without transforms depends on the values only by substitution, given which optional values
/// (`business.payment_url`, `stage.fee`) are present. `compile` renders the template with
/// placeholders for that presence and keeps the text between them; `render` puts the values
/// in, HTML-escaped exactly where swift-mustache escaped the placeholder.
///
/// Templates whose output could depend on a value otherwise (a transform such as
/// `{{uppercased(client.name)}}`, `{{.}}`, a whole object as a variable, the placeholder
/// characters themselves in the source) get no compiled form and are rendered by swift-mustache
/// every time.
struct PlaceholderTemplate: Sendable, Equatable {
    enum Piece: Sendable, Equatable {
        case text(String)
        /// The value of `ReminderLeaf.all[index]`, HTML-escaped when `escaped`.
        case value(Int, escaped: Bool)
    }

    let pieces: [Piece]

    // Private-use scalars, so no real text is taken for a placeholder; `&` inside, so that an
    // escaped placeholder (`&amp;`) tells itself apart from a raw one.
    private static let open: Unicode.Scalar = "\u{E000}"
    private static let close: Unicode.Scalar = "\u{E001}"

    static func placeholder(_ index: Int) -> String { "\u{E000}&\(index)\u{E001}" }

    /// The compiled form of `template` (parsed from `source`) for the given presence of the
    /// optional values, or nil when it must be rendered by swift-mustache each time.
    static func compile(_ template: MustacheTemplate, source: String, present: Set<Int>) -> PlaceholderTemplate? {
        guard !source.unicodeScalars.contains(where: { $0 == open || $0 == close }), usesValuesOnlyBySubstitution(source) else {
            return nil
        }
        var leaves: [String?] = []
        for index in ReminderLeaf.all.indices {
            leaves.append(ReminderLeaf.isOptional(index) && !present.contains(index) ? nil : placeholder(index))
        }
        return parse(template.render(ReminderLeaf.nested(leaves)))
    }

    /// Splits a placeholder render into text and values; nil if anything but a whole
    /// placeholder, raw or escaped, sits between the markers.
    private static func parse(_ rendered: String) -> PlaceholderTemplate? {
        var pieces: [Piece] = []
        var text = String.UnicodeScalarView()
        var marker: String.UnicodeScalarView?
        for scalar in rendered.unicodeScalars {
            if var inside = marker {
                guard scalar != open else { return nil }
                if scalar != close {
                    inside.append(scalar)
                    marker = inside
                    continue
                }
                let body = String(inside)
                let escaped = body.hasPrefix("&amp;")
                guard let index = Int(body.dropFirst(escaped ? 5 : 1)), body.hasPrefix("&"),
                      ReminderLeaf.all.indices.contains(index) else { return nil }
                if !text.isEmpty { pieces.append(.text(String(text))) }
                text = String.UnicodeScalarView()
                pieces.append(.value(index, escaped: escaped))
                marker = nil
            } else if scalar == open {
                marker = String.UnicodeScalarView()
            } else {
                guard scalar != close else { return nil }
                text.append(scalar)
            }
        }
        guard marker == nil else { return nil }
        if !text.isEmpty { pieces.append(.text(String(text))) }
        return PlaceholderTemplate(pieces: pieces)
    }

    /// True when no tag applies a transform, names `.` or uses a whole object as a value.
    private static func usesValuesOnlyBySubstitution(_ source: String) -> Bool {
        var sections: [String] = []
        for tag in TemplateVariables.tags(in: source) {
            if tag.transformed { return false }
            switch tag.kind {
            case "!", "%", "=": continue
            case "/":
                if !sections.isEmpty { sections.removeLast() }
                continue
            default: break
            }
            guard tag.name != ".", let resolved = TemplateVariables.resolve(tag.name, within: sections) else { return false }
            if tag.kind == "#" || tag.kind == "^" {
                sections.append(resolved)
            } else if ReminderLeaf.all.firstIndex(of: resolved) == nil {
                return false
            }
        }
        return true
    }

    /// The template filled with `leaves` (indexed like `ReminderLeaf.all`).
    func render(_ leaves: [String?]) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .text(let text): out += text
            case .value(let index, let escaped):
                let value = leaves[index] ?? ""
                out += escaped ? PlaceholderTemplate.htmlEscape(value) : value
            }
        }
        return out
    }

    /// swift-mustache's HTML escaping, character for character: a `Character` that is one of
    /// `<>&"'` alone is replaced (so `&` followed by a combining mark is not).
    static func htmlEscape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x3C || $0 == 0x3E || $0 == 0x26 || $0 == 0x22 || $0 == 0x27 }) else {
            return text
        }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for character in text {
            switch character {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
