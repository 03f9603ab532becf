import Foundation
import Mustache

/// The parsed templates of every email stage: subject (from the config), `NAME.txt` (required)
/// and `NAME.html` (optional) from the templates folder.
///
/// Loading checks everything that could go wrong later: a missing `.txt`, a Mustache syntax
/// error, a partial, or a variable the contract does not list is a config error (78) naming
/// the file and line. Rendering then cannot fail for a template reason.
///
/// Plain text is rendered with swift-mustache's `TEXT` content type, so nothing in a `.txt`
/// or subject is HTML-escaped (`{{client.name}}` gives `Müller & Söhne`, not `&amp;`); an
/// `.html` template keeps the default `HTML` content type and escapes every value, `{{{x}}}` included
/// only if the author writes it so.
public struct MessageTemplates: Sendable {
    struct StageTemplates: Sendable {
        var subject: MustacheTemplate
        var text: MustacheTemplate
        var html: MustacheTemplate?
        /// Whether any of them states interest, compensation or the claim total (which need
        /// every reference rate of the late period).
        var usesClaim = false
    }

    /// Whether `sources` use a variable computed from `[interest]`.
    static func usesClaim(_ sources: [String?]) -> Bool {
        let names: Set<Substring> = ["interest", "compensation", "claim_total", "interest_text", "compensation_text", "claim_total_text"]
        return sources.contains { source in
            source.map { TemplateVariables.tags(in: $0).contains { names.contains($0.name.split(separator: ".").last ?? "") } } ?? false
        }
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
        let text = try parse(textSource, asText: true, place: { "\(textPath):\($0)" })
        let htmlPath = (config.daemon.templates as NSString).appendingPathComponent("demand.html")
        let html = try readTemplate(htmlPath).map { source throws(OverdueError) in
            try parse(source, asText: false, place: { "\(htmlPath):\($0)" })
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
            let text = try parse(textSource, asText: true, place: { "\(textPath):\($0)" })
            let htmlPath = (config.daemon.templates as NSString).appendingPathComponent("\(templateName).html")
            let html = try readTemplate(htmlPath).map { source throws(OverdueError) in
                try parse(source, asText: false, place: { "\(htmlPath):\($0)" })
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
    /// `place(line)` names the location for an error (`FILE:LINE`).
    private static func parse(_ source: String, asText: Bool, place: (Int) -> String) throws(OverdueError) -> MustacheTemplate {
        let parsed: MustacheTemplate
        do {
            parsed = try MustacheTemplate(string: source)
        } catch let error as MustacheTemplate.ParserError {
            throw .config("\(place(error.context.lineNumber)): Mustache syntax error (\(error.error)) in \"\(error.context.line.trimmingASCIIWhitespace())\"")
        } catch {
            throw .config("\(place(1)): Mustache syntax error (\(error))")
        }
        switch TemplateVariables.firstProblem(in: source) {
        case .unknownVariable(let name, let line)?:
            throw .config("\(place(line)): unknown template variable \"\(name)\" (known: \(TemplateVariables.known.sorted().joined(separator: ", ")))")
        case .unsupported(let what, let line)?:
            throw .config("\(place(line)): \(what)")
        case nil: break
        }
        // The pragma on a line of its own is a standalone tag: it and its line break vanish.
        guard asText else { return parsed }
        do {
            return try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT }}\n" + source)
        } catch {
            throw .config("\(place(1)): cannot be read as plain text (\(error))")
        }
    }
}
