/// `text` safe to place in HTML element content or a quoted attribute: `<>&"'` replaced, the
/// same escaping the templates' `{{value}}` applies.
public func htmlEscaped(_ text: String) -> String {
    PlaceholderTemplate.htmlEscape(text)
}
