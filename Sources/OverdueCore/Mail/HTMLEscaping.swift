import Mustache

/// `{{.}}` in HTML content: the one escaping rule, swift-mustache's, which HTML templates use.
private let escapingTemplate = try! MustacheTemplate(string: "{{.}}")

/// `text` safe to place in HTML element content or a quoted attribute: `<>&"'` replaced, exactly
/// as a template's `{{value}}` is escaped (rendered by the same engine, so the two cannot drift).
public func htmlEscaped(_ text: String) -> String {
    escapingTemplate.render(text)
}
