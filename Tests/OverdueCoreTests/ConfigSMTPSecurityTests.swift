import XCTest
@testable import OverdueCore

/// `starttls = "none"` sends the password in clear text: allowed only where that cannot leave
/// the machine or is already encrypted.
final class ConfigSMTPSecurityTests: XCTestCase {
    private func config(url: String, starttls: String) -> String {
        ConfigFixtures.replacing(line: "starttls =", with: "starttls = \"\(starttls)\"",
                                 in: ConfigFixtures.replacing(line: "url = \"smtp:", with: "url = \"\(url)\""))
    }

    func testPlainTextIsAllowedToLoopbackHosts() throws {
        for url in ["smtp://127.0.0.1:2525", "smtp://127.8.9.10", "smtp://localhost:25", "smtp://LOCALHOST",
                    "smtp://[::1]:2525", "smtp://[0:0:0:0:0:0:0:1]:25"] {
            let loaded = try ConfigLoader.parse(config(url: url, starttls: "none"), path: ConfigFixtures.path)
            XCTAssertEqual(loaded.smtp.starttls, .none, url)
            XCTAssertEqual(loaded.smtp.endpoint?.isLoopback, true, url)
        }
    }

    func testPlainTextIsRefusedToAnyOtherHost() {
        for url in ["smtp://mail.example.com:587", "smtp://128.0.0.1", "smtp://127.0.0.1.evil.example",
                    "smtp://localhost.evil.example", "smtp://[::2]", "smtp://10.0.0.1", "smtp://127.0.0.256"] {
            ConfigFixtures.assertRefused(config(url: url, starttls: "none"),
                                         "\(ConfigFixtures.path):22: smtp.starttls: \"none\" would send mail and password in clear text")
        }
    }

    func testImplicitTLSAndTheFileOutboxNeedNoSTARTTLS() throws {
        for url in ["smtps://mail.example.com:465", "file:///var/spool/overdue/outbox"] {
            XCTAssertNoThrow(try ConfigLoader.parse(config(url: url, starttls: "none"), path: ConfigFixtures.path), url)
        }
    }

    func testSTARTTLSAcceptsOnlyRequiredOrNone() {
        ConfigFixtures.assertRefused(config(url: "smtp://mail.example.com:587", starttls: "optional"),
                                     "\(ConfigFixtures.path):22: smtp.starttls: \"optional\" is not required or none")
    }
}
