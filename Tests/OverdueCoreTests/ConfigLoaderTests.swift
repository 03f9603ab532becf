import XCTest
@testable import OverdueCore

final class ConfigLoaderTests: XCTestCase {
    func testSpecExampleLoadsWithEveryValueTyped() throws {
        let config = try ConfigLoader.parse(ConfigFixtures.specExample, path: ConfigFixtures.path)
        XCTAssertEqual(config.path, ConfigFixtures.path)
        XCTAssertEqual(config.daemon.interval.seconds, 900)
        XCTAssertEqual(config.daemon.timezone.identifier, "Europe/Berlin")
        XCTAssertEqual(config.daemon.database, "/var/lib/overdue/overdue.sqlite")
        XCTAssertEqual(config.daemon.templates, "/etc/overdue/templates")

        let window = try XCTUnwrap(config.sendWindow)
        XCTAssertEqual(window.days, [.mon, .tue, .wed, .thu, .fri])
        XCTAssertEqual(window.start.description, "09:00")
        XCTAssertEqual(window.end.description, "17:00")
        XCTAssertEqual(window.holidays, [LocalDate("2026-12-25")!])

        XCTAssertEqual(config.business.name, "Jane Doe Design")
        XCTAssertEqual(config.business.from.displayName, "Jane Doe Design")
        XCTAssertEqual(config.business.from.address, "billing@janedoe.example")
        XCTAssertEqual(config.business.replyTo?.address, "jane@janedoe.example")
        XCTAssertEqual(config.business.owner.address, "jane@janedoe.example")
        XCTAssertEqual(config.business.paymentURL, "https://pay.example/{invoice}")
        XCTAssertEqual(config.business.smallClaimsLimit, Money(minorUnits: 1_250_000, currency: Currency(code: "USD")!))

        XCTAssertEqual(config.smtp.url, "smtp://mail.example.com:587")
        XCTAssertEqual(config.smtp.endpoint?.host, "mail.example.com")
        XCTAssertEqual(config.smtp.endpoint?.port, 587)
        XCTAssertEqual(config.smtp.starttls, .required)
        XCTAssertEqual(config.smtp.username, "billing@janedoe.example")
        XCTAssertEqual(config.smtp.password, .file("/run/credentials/overdue.service/smtp-password"))
        XCTAssertEqual(config.smtp.caFile, "/etc/ssl/certs/ca-certificates.crt")
        XCTAssertEqual(config.smtp.timeout.seconds, 30)

        XCTAssertEqual(config.delivery.retry.map(\.seconds), [300, 1800, 7200, 28_800])
        XCTAssertEqual(config.delivery.giveUpAfter.seconds, 3 * 86_400)
        XCTAssertEqual(config.delivery.minDaysBetween, 3)

        XCTAssertEqual(config.stages.map(\.name), ["courtesy", "final-notice", "hand-off"])
        XCTAssertEqual(config.stages.map(\.days), [-3, 60, 90])
        XCTAssertEqual(config.stages.map(\.action), [.email, .email, .escalate])
        XCTAssertEqual(config.stages[0].template, "courtesy")
        XCTAssertEqual(config.stages[0].subject, "Invoice {{invoice.number}} is due on {{invoice.due_date}}")
        XCTAssertEqual(config.stages[1].cc, [.owner])
        XCTAssertEqual(config.stages[1].fees.map(\.description), ["40.00 EUR", "6000 JPY"])
        XCTAssertNil(config.stages[2].template)
    }

    func testMinimalConfigGetsTheDocumentedDefaults() throws {
        let config = try ConfigLoader.parse(ConfigFixtures.minimal, path: "/srv/billing/overdue.toml")
        XCTAssertEqual(config.daemon.interval.seconds, 15 * 60)
        XCTAssertEqual(config.daemon.timezone.secondsFromGMT(for: Date(timeIntervalSince1970: 1_780_000_000)), 0)
        XCTAssertEqual(config.daemon.database, "/var/lib/overdue/overdue.sqlite")
        XCTAssertEqual(config.daemon.templates, "/srv/billing/templates")
        XCTAssertNil(config.sendWindow)
        XCTAssertNil(config.business.replyTo)
        XCTAssertNil(config.business.paymentURL)
        XCTAssertNil(config.business.smallClaimsLimit)
        XCTAssertEqual(config.smtp.starttls, .required)
        XCTAssertNil(config.smtp.password)
        XCTAssertEqual(config.smtp.timeout.seconds, 30)
        XCTAssertEqual(config.delivery.retry.map(\.text), ["5m", "30m", "2h", "8h"])
        XCTAssertEqual(config.delivery.giveUpAfter.seconds, 259_200)
        XCTAssertEqual(config.delivery.minDaysBetween, 3)
        XCTAssertEqual(config.stages.count, 1)
    }

    func testRelativePathsResolveAgainstTheConfigFolder() throws {
        let text = ConfigFixtures.minimal + """
            [daemon]
            database = "data/overdue.sqlite"
            templates = "../shared/templates"

            """
        let withSecrets = text.replacingOccurrences(of: "url = \"smtps://mail.example.com:465\"", with: """
            url = "smtps://mail.example.com:465"
            username = "billing"
            password_file = "secrets/smtp-password"
            ca_file = "./ca.pem"
            """)
        let config = try ConfigLoader.parse(withSecrets, path: "/srv/billing/overdue.toml")
        XCTAssertEqual(config.daemon.database, "/srv/billing/data/overdue.sqlite")
        XCTAssertEqual(config.daemon.templates, "/srv/shared/templates")
        XCTAssertEqual(config.smtp.password, .credential(name: "secrets/smtp-password",
                                                         besideConfig: "/srv/billing/secrets/smtp-password"))
        XCTAssertEqual(config.smtp.caFile, "/srv/billing/ca.pem")
    }

    func testFileOutboxURLNamesAnAbsoluteFolderAndMaySkipTLS() throws {
        let text = ConfigFixtures.minimal.replacingOccurrences(
            of: "url = \"smtps://mail.example.com:465\"",
            with: "url = \"file:///tmp/overdue-demo/outbox\"\nstarttls = \"none\"")
        let config = try ConfigLoader.parse(text, path: ConfigFixtures.path)
        XCTAssertTrue(config.smtp.isFileOutbox)
        XCTAssertEqual(config.smtp.endpoint?.scheme, .file)
        XCTAssertEqual(config.smtp.endpoint?.outboxPath, "/tmp/overdue-demo/outbox")
    }

    func testPasswordMayComeFromTheEnvironment() throws {
        let text = ConfigFixtures.replacing(line: "password_file =", with: "password_env = \"OVERDUE_SMTP_PASSWORD\"")
        let config = try ConfigLoader.parse(text, path: ConfigFixtures.path)
        XCTAssertEqual(config.smtp.password, .environment("OVERDUE_SMTP_PASSWORD"))
    }

    func testSendWindowWithOnlyHolidaysIsOpenAllDayOnOtherDates() throws {
        let text = ConfigFixtures.minimal + "[send_window]\nholidays = [\"2026-12-25\", \"2026-12-26\"]\n"
        let window = try XCTUnwrap(try ConfigLoader.parse(text, path: ConfigFixtures.path).sendWindow)
        XCTAssertEqual(window.days.count, 7)
        XCTAssertEqual(window.start.secondsSinceMidnight, 0)
        XCTAssertEqual(window.end.secondsSinceMidnight, 86_400)
        XCTAssertEqual(window.holidays.count, 2)
    }

    func testCopiesAcceptOwnerAndAddressesWithDisplayNames() throws {
        let text = ConfigFixtures.replacing(line: "cc = [\"owner\"]", with: """
            cc = ["owner", "Accounts <accounts@janedoe.example>"]
            bcc = ["archive@janedoe.example"]
            """)
        let stage = try XCTUnwrap(try ConfigLoader.parse(text, path: ConfigFixtures.path).stage(named: "final-notice"))
        XCTAssertEqual(stage.cc, [.owner, .address(try Mailbox(displayName: "Accounts", address: "accounts@janedoe.example"))])
        XCTAssertEqual(stage.bcc, [.address(try Mailbox(address: "archive@janedoe.example"))])
    }

    func testWriteOffStageNeedsNoTemplate() throws {
        let text = ConfigFixtures.minimal + """
            [[stage]]
            name = "write-off"
            days = 365
            action = "write-off"

            """
        let config = try ConfigLoader.parse(text, path: ConfigFixtures.path)
        XCTAssertEqual(config.stages.last?.action, .writeOff)
    }

    func testCRLFLineEndingsLoadAndStillGiveLines() throws {
        let crlf = ConfigFixtures.specExample.replacingOccurrences(of: "\n", with: "\r\n")
        XCTAssertNoThrow(try ConfigLoader.parse(crlf, path: ConfigFixtures.path))
        let bad = ConfigFixtures.replacing(line: "timeout =", with: "timeout = \"soon\"")
            .replacingOccurrences(of: "\n", with: "\r\n")
        ConfigFixtures.assertRefused(bad, "/etc/overdue/overdue.toml:26: smtp.timeout: \"soon\" is not a duration")
    }

    func testLoadReportsAMissingFileAsAConfigError() {
        XCTAssertThrowsError(try ConfigLoader.load(path: "/nonexistent/overdue.toml")) { error in
            XCTAssertEqual(error as? OverdueError, OverdueError(.config, "/nonexistent/overdue.toml: no such file"))
        }
    }

    func testLoadReadsARealFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("overdue-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("overdue.toml")
        try Data(ConfigFixtures.minimal.utf8).write(to: file)
        let config = try ConfigLoader.load(path: file.path)
        XCTAssertEqual(config.daemon.templates, folder.appendingPathComponent("templates").standardizedFileURL.path)

        try Data([0x5B, 0xFF, 0xFE, 0x5D]).write(to: file)
        XCTAssertThrowsError(try ConfigLoader.load(path: file.path)) { error in
            XCTAssertEqual((error as? OverdueError)?.message, "\(file.path): not UTF-8 text")
        }
    }
}
