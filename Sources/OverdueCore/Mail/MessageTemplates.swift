import Foundation
import Mustache

/// The parsed templates of every email stage: subject (from the config), `NAME.txt` (required)
/// and `NAME.html` (optional) from the templates folder.
///
/// Loading checks everything that could go wrong later: a missing `.txt`, a Mustache syntax
/// error, a missing partial, or a variable the contract does not list is a config error (78)
/// naming the file and line. Rendering then cannot fail for a template reason.
///
/// A `.txt` or `.html` template may include partials, `{{> NAME}}` read from `NAME.partial.txt`
/// or `NAME.partial.html` in the same folder (the shipped HTML templates share their page head
/// this way), checked like the template; a partial includes no further partials.
///
/// Plain text is rendered with swift-mustache's `TEXT` content type, so nothing in a `.txt`
/// or subject is HTML-escaped (`{{client.name}}` gives `Müller & Söhne`, not `&amp;`); an
/// `.html` template keeps the default `HTML` content type and escapes every value, `{{{x}}}` included
/// only if the author writes it so.
public struct MessageTemplates: Sendable {
    struct StageTemplates: Sendable {
        var subject: Template
        var text: Template
        var html: Template?
        /// Whether any of them states interest, compensation or the claim total (which need
        /// every reference rate of the late period).
        var usesClaim = false

        /// The variables the three read (`TemplateVariables.used(in:)`): a message computes
        /// only these.
        var used: Set<String> { subject.used.union(text.used).union(html?.used ?? []) }
    }

    /// Whether `sources` use a variable computed from `[interest]`.
    static func usesClaim(_ sources: [String?]) -> Bool {
        let names: Set<Substring> = ["interest", "compensation", "claim_total", "interest_text", "compensation_text", "claim_total_text"]
        return sources.contains { source in
            source.map { TemplateVariables.tags(in: $0).contains { names.contains($0.name.split(separator: ".").last ?? "") } } ?? false
        }
    }

    /// A parsed template and the partials it includes.
    struct Template: Sendable {
        var body: MustacheTemplate
        var partials: MustacheLibrary?
        /// The variables it and its partials read.
        var used: Set<String> = []

        func render(_ values: [String: Any]) -> String { body.render(values, library: partials) }
    }

    let stages: [String: StageTemplates]

    /// The letter before action (`overdue invoice demand`): `demand.txt` (required) and
    /// `demand.html` (optional) from the templates folder, under the stage name `demand`,
    /// checked like a stage's templates.
    public static let demandSubject = "Letter before action: invoice {{invoice.number}}, {{invoice.amount_due_text}} outstanding"

    public static func loadDemand(_ config: Config) throws(OverdueError) -> MessageTemplates {
        let textPath = (config.daemon.templates as NSString).appendingPathComponent("demand.txt")
        guard let textSource = try readTemplate(textPath) else {
            throw .config("\(textPath): the letter before action needs this template (the shipped one is config/templates/demand.txt)")
        }
        let subject = try parse(demandSubject, asText: true, place: { _ in "demand subject" })
        let text = try parse(textSource, asText: true, place: { "\(textPath):\($0)" }, partialsIn: config.daemon.templates)
        let htmlPath = (config.daemon.templates as NSString).appendingPathComponent("demand.html")
        let html = try readTemplate(htmlPath).map { source throws(OverdueError) in
            try parse(source, asText: false, place: { "\(htmlPath):\($0)" }, partialsIn: config.daemon.templates)
        }
        return MessageTemplates(stages: ["demand": StageTemplates(subject: subject, text: text, html: html,
                                                                  usesClaim: usesClaim([demandSubject, textSource, try readTemplate(htmlPath)]))])
    }

    /// Loads and checks the templates of every `email` stage of `config`.
    public static func load(_ config: Config) throws(OverdueError) -> MessageTemplates {
        let configText = (try? String(contentsOfFile: config.path, encoding: .utf8)) ?? ""
        var stages: [String: StageTemplates] = [:]
        for (index, stage) in config.stages.enumerated() where stage.action == .email {
            let field = "stage[\(index + 1)]"
            guard let templateName = stage.template, let subjectSource = stage.subject else {
                throw .config("\(config.path): \(field): an email stage needs template and subject")
            }
            let subjectLine = ConfigLoader.line(in: configText, table: "stage", index: index, key: "subject")
            let subjectPlace = subjectLine.map { "\(config.path):\($0)" } ?? config.path
            let subject = try parse(subjectSource, asText: true, place: { _ in "\(subjectPlace): \(field).subject" })

            let textPath = (config.daemon.templates as NSString).appendingPathComponent("\(templateName).txt")
            guard let textSource = try readTemplate(textPath) else {
                let line = ConfigLoader.line(in: configText, table: "stage", index: index, key: "template")
                throw .config("\(line.map { "\(config.path):\($0)" } ?? config.path): \(field).template: "
                    + "template file \(textPath) does not exist")
            }
            let text = try parse(textSource, asText: true, place: { "\(textPath):\($0)" }, partialsIn: config.daemon.templates)
            let htmlPath = (config.daemon.templates as NSString).appendingPathComponent("\(templateName).html")
            let html = try readTemplate(htmlPath).map { source throws(OverdueError) in
                try parse(source, asText: false, place: { "\(htmlPath):\($0)" }, partialsIn: config.daemon.templates)
            }
            stages[stage.name] = StageTemplates(subject: subject, text: text, html: html,
                                                usesClaim: usesClaim([subjectSource, textSource, try readTemplate(htmlPath)]))
        }
        return MessageTemplates(stages: stages)
    }

    /// Subject, text body and optional HTML body for `stage`, filled with `values`
    /// (see `values(config:context:stage:amountDue:daysOverdue:)`). Nil when the stage has no
    /// templates (not an email stage).
    public func render(stage: String, values: [String: Any]) -> (subject: String, text: String, html: String?)? {
        guard let templates = stages[stage] else { return nil }
        return (templates.subject.render(values), templates.text.render(values), templates.html?.render(values))
    }

    /// The file's text, nil when it does not exist; unreadable or non-UTF-8 files are errors.
    private static func readTemplate(_ path: String) throws(OverdueError) -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .config("\(path): cannot be read (permission denied)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw .config("\(path): not UTF-8 text") }
        if let line = ConfigLoader.lineOfNUL(in: text) { throw .config("\(path):\(line): contains a NUL byte (U+0000)") }
        return text
    }

    /// Parses `source`, checks its variables, and for text switches off HTML escaping.
    /// `place(line)` names the location for an error (`FILE:LINE`). With `partialsIn`, its
    /// `{{> NAME}}` partials are read from that folder (`NAME.partial.txt` or `.html`) and checked
    /// the same way; without it (subjects, partials themselves) a partial is an error.
    private static func parse(_ source: String, asText: Bool, place: (Int) -> String,
                              partialsIn folder: String? = nil) throws(OverdueError) -> Template {
        let parsed: MustacheTemplate
        do {
            parsed = try MustacheTemplate(string: source)
        } catch let error as MustacheTemplate.ParserError {
            throw .config("\(place(error.context.lineNumber)): Mustache syntax error (\(error.error)) in \"\(error.context.line.trimmingASCIIWhitespace())\"")
        } catch {
            throw .config("\(place(1)): Mustache syntax error (\(error))")
        }
        switch TemplateVariables.firstProblem(in: source, partials: folder != nil) {
        case .unknownVariable(let name, let line)?:
            throw .config("\(place(line)): unknown template variable \"\(name)\" (known: \(TemplateVariables.known.sorted().joined(separator: ", ")))")
        case .unsupported(let what, let line)?:
            throw .config("\(place(line)): \(what)")
        case nil: break
        }
        var partials: MustacheLibrary?
        var used = TemplateVariables.used(in: source)
        if let folder {
            for use in TemplateVariables.partials(in: source) {
                guard !use.name.isEmpty, use.name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) else {
                    throw .config("\(place(use.line)): partial \"\(use.name)\": a partial's name is lowercase letters, digits and \"-\"")
                }
                let path = (folder as NSString).appendingPathComponent("\(use.name).partial.\(asText ? "txt" : "html")")
                guard let partialSource = try readTemplate(path) else {
                    throw .config("\(place(use.line)): partial \"\(use.name)\": template file \(path) does not exist")
                }
                var library = partials ?? MustacheLibrary()
                library.register(try parse(partialSource, asText: asText, place: { "\(path):\($0)" }).body, named: use.name)
                partials = library
                used.formUnion(TemplateVariables.usedByPartial(partialSource))
            }
        }
        // The pragma on a line of its own is a standalone tag: it and its line break vanish.
        guard asText else { return Template(body: parsed, partials: partials, used: used) }
        do {
            return Template(body: try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT }}\n" + source), partials: partials, used: used)
        } catch {
            throw .config("\(place(1)): cannot be read as plain text (\(error))")
        }
    }
}
