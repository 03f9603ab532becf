import XCTest
@testable import OverdueCore

/// `[inbox]`: an IMAP URL with TLS, a login with the secret rules of `[smtp]`, each problem
/// one line naming file, line and key (exit 78).
final class ConfigInboxTests: XCTestCase {
    /// The spec example with an `[inbox]` section of `body` appended; returns the text and the
    /// line of the body's first line.
    private func config(_ body: String) -> (text: String, firstLine: Int) {
        let base = ConfigFixtures.specExample + "\n\n[inbox]\n"
        return (base + body, base.components(separatedBy: "\n").count)
    }

    private let good = """
        url = "imaps://imap.example.com/INBOX"
        username = "billing@janedoe.example"
        password_file = "imap-password"
        """

    func testAFullInboxSectionIsReadWithItsDefaults() throws {
        let loaded = try ConfigLoader.parse(config(good).text, path: ConfigFixtures.path)
        let inbox = try XCTUnwrap(loaded.inbox)
        XCTAssertEqual(inbox.endpoint, IMAPEndpoint(implicitTLS: true, host: "imap.example.com", port: nil, mailbox: "INBOX"))
        XCTAssertEqual(inbox.username, "billing@janedoe.example")
        XCTAssertEqual(inbox.password, .credential(name: "imap-password", besideConfig: "/etc/overdue/imap-password"))
        XCTAssertFalse(inbox.required)
        XCTAssertNil(inbox.caFile)
    }

    func testNoInboxSectionMeansNoInbox() throws {
        XCTAssertNil(try ConfigLoader.parse(ConfigFixtures.specExample, path: ConfigFixtures.path).inbox)
    }

    func testURLsNameServerPortAndMailbox() throws {
        let cases: [(String, IMAPEndpoint)] = [
            ("imap://mail.example.com:143", IMAPEndpoint(implicitTLS: false, host: "mail.example.com", port: 143, mailbox: "INBOX")),
            ("imaps://127.0.0.1:9993/Billing%20Replies", IMAPEndpoint(implicitTLS: true, host: "127.0.0.1", port: 9993, mailbox: "Billing Replies")),
            ("imaps://[::1]/INBOX/bounces", IMAPEndpoint(implicitTLS: true, host: "::1", port: nil, mailbox: "INBOX/bounces")),
        ]
        for (url, expected) in cases {
            let text = config(good.replacingOccurrences(of: "imaps://imap.example.com/INBOX", with: url)).text
            XCTAssertEqual(try ConfigLoader.parse(text, path: ConfigFixtures.path).inbox?.endpoint, expected, url)
        }
        XCTAssertEqual(cases[0].1.serverURL, "imap://mail.example.com:143/")
        XCTAssertEqual(cases[2].1.serverURL, "imaps://[::1]/")
    }

    func testRequiredAndCAFileAreRead() throws {
        let text = config(good + "\nrequired = true\nca_file = \"/etc/ssl/imap-ca.pem\"").text
        let inbox = try XCTUnwrap(try ConfigLoader.parse(text, path: ConfigFixtures.path).inbox)
        XCTAssertTrue(inbox.required)
        XCTAssertEqual(inbox.caFile, "/etc/ssl/imap-ca.pem")
    }

    func testBadValuesAreOneLineNamingFileLineAndKey() {
        let (_, first) = config(good)
        let cases: [(String, String)] = [
            (good.replacingOccurrences(of: "imaps://", with: "pop3://"), ":\(first): inbox.url: \"pop3://imap.example.com/INBOX\": the scheme must be imaps"),
            (good.replacingOccurrences(of: "imaps://imap.example.com/INBOX", with: "imaps://u:p@imap.example.com/"), ":\(first): inbox.url: the URL must not carry a user or password"),
            (good.replacingOccurrences(of: "username = \"billing@janedoe.example\"\n", with: ""), ":\(first - 1): inbox.username: is required"),
            (good.replacingOccurrences(of: "password_file = \"imap-password\"", with: ""), ":\(first - 1): inbox.password_file: is required (or password_env)"),
            (good + "\npassword_env = \"IMAP_PW\"", ":\(first + 3): inbox.password_env: set either password_file or password_env, not both"),
            (good + "\npassword = \"hunter2\"", ":\(first + 3): inbox.password: the password never goes in the config file"),
            (good + "\nrequired = \"yes\"", ":\(first + 3): inbox.required: expected true or false"),
            (good.replacingOccurrences(of: "\"imap-password\"", with: "\"~/imap-password\""), ":\(first + 2): inbox.password_file: \"~\" is not expanded"),
            (good + "\nfolder = \"INBOX\"", ":\(first + 3): inbox.folder: unknown key"),
        ]
        for (body, expected) in cases {
            ConfigFixtures.assertRefused(config(body).text, ConfigFixtures.path + expected)
        }
    }
}
