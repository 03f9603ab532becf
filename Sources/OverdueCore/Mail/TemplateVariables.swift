/// The variables a reminder template may use, and a scan of a Mustache source for any other.
///
/// swift-mustache renders a missing variable as nothing, which would send "Dear ," to a
/// client because of a typo. So every tag is checked against the known names before a
/// template is accepted, and the first unknown one is reported with its line. The names are
/// those of `ReminderValues.fields`, the one description that also computes the values, so
/// the check and the values cannot drift apart.
public enum TemplateVariables {
    /// Every name a template may use: each field's full path, `_text` beside every amount and
    /// date, and the groups and lists themselves (for sections).
    public static let known: Set<String> = names(of: ReminderValues.fields, under: "")

    static func names(of fields: [TemplateField], under prefix: String) -> Set<String> {
        var names: Set<String> = []
        for field in fields {
            let name = prefix + field.name
            names.insert(name)
            switch field.kind {
            case .money, .date: names.insert(name + "_text")
            case .group(_, let inner), .list(_, let inner): names.formUnion(Self.names(of: inner, under: name + "."))
            case .text, .flag: break
            }
        }
        return names
    }

    /// A tag the scan found: the name as written (transforms removed) and its 1-based line.
    public struct Use: Equatable, Sendable {
        public var name: String
        public var line: Int
    }

    public enum Problem: Equatable, Sendable {
        case unknownVariable(String, line: Int)
        case unsupported(String, line: Int)
    }

    /// The first problem in `source` in reading order, or nil when every tag names a known
    /// variable. Names inside a section also resolve against the section's own path
    /// (`{{#invoice}}{{number}}{{/invoice}}`), as Mustache's context stack does. Partials
    /// (`{{> NAME}}`, a file name, not a variable) are allowed only where `partials` says so;
    /// blocks and parents never are.
    public static func firstProblem(in source: String, partials: Bool = false) -> Problem? {
        var problem: Problem?
        walk(source) { tag, resolved in
            switch tag.kind {
            case "!", "%", "=": return true
            case ">" where partials: return true
            case ">":
                problem = .unsupported("partials ({{>…}}) are not supported here (only in a stage's .txt and .html templates)", line: tag.line)
            case "<", "$":
                problem = .unsupported("blocks and parents ({{\(tag.kind.map(String.init) ?? "")…}}) are not supported in reminder templates; "
                    + "share text with a partial, {{> NAME}} from NAME.partial.txt or NAME.partial.html", line: tag.line)
            default:
                guard resolved == nil else { return true }
                problem = .unknownVariable(tag.name, line: tag.line)
            }
            return false
        }
        return problem
    }

    /// The known paths `source` reads, each with its dotted prefixes (the groups and lists that
    /// hold it), names inside sections resolved as `firstProblem` resolves them. `outer`: the
    /// sections open where the source is included (a partial). Lets a message compute only the
    /// values its templates read.
    static func used(in source: String, within outer: [String] = []) -> Set<String> {
        var used: Set<String> = []
        walk(source, within: outer) { _, resolved in
            guard let resolved else { return true }
            used.insert(resolved)
            var prefix = Substring(resolved)
            while let dot = prefix.lastIndex(of: ".") {
                prefix = prefix[..<dot]
                used.insert(String(prefix))
            }
            return true
        }
        return used
    }

    /// Walks `source`'s tags with the sections open at each (`outer` first; a closing tag
    /// closes only what `source` opened). `visit` gets every other tag with the known path it
    /// names, nil when it names none or is no variable (a comment, pragma, delimiter change,
    /// partial, block or parent); returning false stops the walk.
    private static func walk(_ source: String, within outer: [String] = [], _ visit: (Tag, String?) -> Bool) {
        var sections = outer
        for tag in tags(in: source) {
            switch tag.kind {
            case "/":
                if sections.count > outer.count { sections.removeLast() }
                continue
            case "!", "%", "=", ">", "<", "$":
                guard visit(tag, nil) else { return }
                continue
            default: break
            }
            let resolved = resolve(tag.name, within: sections)
            guard visit(tag, resolved) else { return }
            if let resolved, tag.kind == "#" || tag.kind == "^" { sections.append(resolved) }
        }
    }

    /// `used(in:)` for a partial, which may be included inside any section: its names read as
    /// they would at the top level and inside each group and list.
    static func usedByPartial(_ source: String) -> Set<String> {
        containers.reduce(used(in: source)) { $0.union(used(in: source, within: [$1])) }
    }

    /// The groups and lists: the known names that hold other known names.
    private static let containers: [String] = known.filter { name in known.contains { $0.hasPrefix(name + ".") } }.sorted()

    /// The partials `source` includes (`{{> NAME}}`), in reading order, with their lines.
    static func partials(in source: String) -> [Use] {
        tags(in: source).filter { $0.kind == ">" }.map { Use(name: $0.name, line: $0.line) }
    }

    /// The full known path `name` refers to from inside `sections`, or nil when it is unknown.
    /// As Mustache's context stack does, the first part of a dotted name is looked up from the
    /// innermost section outwards and the rest only inside what it found: inside
    /// `{{#reminders}}`, `{{stage.name}}` is the reminder's `stage`, which has no `name`.
    static func resolve(_ name: String, within sections: [String]) -> String? {
        if name == "." { return sections.last ?? "" }
        let head = name.split(separator: ".", maxSplits: 1).first.map(String.init) ?? name
        for prefix in sections.reversed() where !prefix.isEmpty && known.contains(prefix + "." + head) {
            return known.contains(prefix + "." + name) ? prefix + "." + name : nil
        }
        return known.contains(name) ? name : nil
    }

    struct Tag {
        var kind: Character?
        var name: String
        var line: Int
    }

    /// The tags of a Mustache source, honouring `{{=<% %>=}}` delimiter changes and triple
    /// mustaches. Assumes the source already parsed (swift-mustache reports syntax errors).
    static func tags(in source: String) -> [Tag] {
        let text = Array(source.unicodeScalars)
        var open = Array("{{".unicodeScalars), close = Array("}}".unicodeScalars)
        var tags: [Tag] = []
        var line = 1
        var index = 0
        func matches(_ pattern: [Unicode.Scalar], at position: Int) -> Bool {
            position + pattern.count <= text.count && Array(text[position..<position + pattern.count]) == pattern
        }
        while index < text.count {
            guard matches(open, at: index) else {
                if text[index] == "\n" { line += 1 }
                index += 1
                continue
            }
            let tagLine = line
            var start = index + open.count
            var end = close
            if open == Array("{{".unicodeScalars), start < text.count, text[start] == "{" {
                end = Array("}}}".unicodeScalars)
                start += 1
            }
            var finish = start
            while finish < text.count, !matches(end, at: finish) {
                if text[finish] == "\n" { line += 1 }
                finish += 1
            }
            var body = String(String.UnicodeScalarView(text[start..<min(finish, text.count)]))
            index = min(finish + end.count, text.count)
            body = body.trimmingASCIIWhitespace()
            var kind: Character? = nil
            if end.count == 3 {
                kind = "{"
            } else if let first = body.first, "#^/&!>%<$=".contains(first) {
                kind = first
                body = String(body.dropFirst()).trimmingASCIIWhitespace()
            }
            if kind == "=" {
                let parts = body.dropLast().split(separator: " ", omittingEmptySubsequences: true)
                if parts.count == 2 {
                    open = Array(parts[0].unicodeScalars)
                    close = Array(parts[1].unicodeScalars)
                }
            }
            tags.append(Tag(kind: kind, name: innermostName(body), line: tagLine))
        }
        return tags
    }

    /// `uppercased(client.name)` names `client.name`: swift-mustache transforms wrap the variable.
    private static func innermostName(_ body: String) -> String {
        guard let open = body.lastIndex(of: "(") else { return body }
        let rest = body[body.index(after: open)...]
        return String(rest.prefix { $0 != ")" })
    }
}
