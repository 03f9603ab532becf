/// One cell of a CSV file that overdue writes for people to open (`audit --format csv`).
///
/// A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, after a tab or a
/// carriage return, whatever follows) as a formula, so a client name such as
/// `=HYPERLINK("http://…")` from an imported file would become a live link in the evidence.
/// As OWASP's "CSV Injection" guidance recommends, every such cell gets a leading single quote,
/// which the spreadsheet shows as text; a negative number such as `-5.00` is therefore written
/// `'-5.00` too (OWASP: any cell starting with those characters). Then RFC 4180 quoting.
public enum CSVCell {
    /// The characters that make a spreadsheet read a cell as a formula.
    static let formulaLeads: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

    /// `value` neutralised and quoted, ready to be joined with `,`.
    public static func output(_ value: String) -> String {
        guard let first = value.unicodeScalars.first, formulaLeads.contains(first) else { return quoted(value) }
        return quoted("'" + value)
    }

    /// RFC 4180 quoting, applied only when needed (a comma, a quote or a line break).
    public static func quoted(_ value: String) -> String {
        guard value.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
