import XCTest
@testable import OverdueCore

/// The spec's example config (interface.md), verbatim apart from comments, so that line
/// numbers in expected errors can be read off this text.
enum ConfigFixtures {
    static let path = "/etc/overdue/overdue.toml"

    static let specExample = """
        [daemon]
        interval = "15m"
        timezone = "Europe/Berlin"
        database = "/var/lib/overdue/overdue.sqlite"

        [send_window]
        days = ["mon", "tue", "wed", "thu", "fri"]
        start = "09:00"
        end = "17:00"
        holidays = ["2026-12-25"]

        [business]
        name = "Jane Doe Design"
        from = "Jane Doe Design <billing@janedoe.example>"
        reply_to = "jane@janedoe.example"
        owner = "jane@janedoe.example"
        payment_url = "https://pay.example/{invoice}"
        small_claims_limit = "12500.00 USD"

        [smtp]
        url = "smtp://mail.example.com:587"
        starttls = "required"
        username = "billing@janedoe.example"
        password_file = "/run/credentials/overdue.service/smtp-password"
        ca_file = "/etc/ssl/certs/ca-certificates.crt"
        timeout = "30s"

        [delivery]
        retry = ["5m", "30m", "2h", "8h"]
        give_up_after = "3d"
        min_days_between = 3

        [[stage]]
        name = "courtesy"
        days = -3
        template = "courtesy"
        subject = "Invoice {{invoice.number}} is due on {{invoice.due_date}}"

        [[stage]]
        name = "final-notice"
        days = 60
        template = "final-notice"
        subject = "Final notice: invoice {{invoice.number}}, {{days_overdue}} days overdue"
        cc = ["owner"]
        fee = ["40.00 EUR", "6000 JPY"]

        [[stage]]
        name = "hand-off"
        days = 90
        action = "escalate"
        notify = "owner"

        """

    /// The smallest valid config: only the required keys.
    static let minimal = """
        [business]
        name = "Jane Doe Design"
        from = "billing@janedoe.example"
        owner = "jane@janedoe.example"

        [smtp]
        url = "smtps://mail.example.com:465"

        [[stage]]
        name = "reminder"
        days = 7
        template = "reminder"
        subject = "Invoice {{invoice.number}}"

        """

    /// `text` with the first line that starts with `prefix` replaced by `replacement`
    /// (several lines allowed), failing the test when no line matches.
    static func replacing(line prefix: String, with replacement: String, in text: String = specExample,
                          file: StaticString = #filePath, line: UInt = #line) -> String {
        var lines = text.components(separatedBy: "\n")
        guard let index = lines.firstIndex(where: { $0.hasPrefix(prefix) }) else {
            XCTFail("no line starts with \(prefix)", file: file, line: line)
            return text
        }
        lines[index] = replacement
        return lines.joined(separator: "\n")
    }

    /// Parses `text` expecting a config error whose message starts with `expected`.
    static func assertRefused(_ text: String, _ expected: String,
                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ConfigLoader.parse(text, path: path), file: file, line: line) { error in
            guard let error = error as? OverdueError else {
                return XCTFail("not an OverdueError: \(error)", file: file, line: line)
            }
            XCTAssertEqual(error.exitCode, .config, file: file, line: line)
            XCTAssertTrue(error.message.hasPrefix(expected), "\(error.message) does not start with \(expected)",
                          file: file, line: line)
            XCTAssertFalse(error.message.contains("\n"), "one line: \(error.message)", file: file, line: line)
        }
    }
}
