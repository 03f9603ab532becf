import XCTest
@testable import OverdueCore

/// Every kind of config mistake is refused with exit 78 and one line naming file, line and key.
/// Line numbers refer to `ConfigFixtures.specExample`.
final class ConfigErrorTests: XCTestCase {
    private let file = ConfigFixtures.path

    private func refused(replacing prefix: String, with replacement: String, _ expected: String,
                         line: UInt = #line) {
        ConfigFixtures.assertRefused(ConfigFixtures.replacing(line: prefix, with: replacement, line: line),
                                     expected, line: line)
    }

    func testTOMLSyntaxErrorNamesTheParsersLine() {
        refused(replacing: "timezone =", with: "timezone = \"Europe/Berlin", "\(file):3: TOML syntax:")
    }

    func testDuplicateKeyIsASyntaxError() {
        refused(replacing: "start =", with: "end = \"08:00\"", "\(file):9: TOML syntax:")
    }

    func testUnknownKeyIsRefusedWithItsLine() {
        refused(replacing: "interval =", with: "intervall = \"15m\"", "\(file):2: daemon.intervall: unknown key")
        refused(replacing: "notify =", with: "notfy = \"owner\"", "\(file):51: stage[3].notfy: unknown key")
    }

    func testUnknownSectionAndTopLevelKeyAreRefused() {
        ConfigFixtures.assertRefused(ConfigFixtures.specExample + "[smpt]\nurl = \"x\"\n", "\(file):52: smpt: unknown section")
        ConfigFixtures.assertRefused("debug = true\n" + ConfigFixtures.specExample, "\(file):1: debug: unknown key at the top level")
        ConfigFixtures.assertRefused(ConfigFixtures.specExample + "[smtp.tls]\nverify = false\n", "\(file):52: smtp.tls: unknown key")
    }

    func testInlinePasswordIsRefusedWithAHint() {
        refused(replacing: "password_file =", with: "password = \"hunter2\"",
                "\(file):24: smtp.password: the password never goes in the config file")
    }

    func testWrongTypesAreRefused() {
        refused(replacing: "min_days_between =", with: "min_days_between = \"3\"",
                "\(file):31: delivery.min_days_between: expected an integer, found a string")
        refused(replacing: "interval =", with: "interval = 15", "\(file):2: daemon.interval: expected a string, found an integer")
        refused(replacing: "days = [", with: "days = \"mon\"", "\(file):7: send_window.days: expected an array of strings, found a string")
        refused(replacing: "retry =", with: "retry = [\"5m\", 30]", "\(file):29: delivery.retry: element 2: expected a string, found an integer")
        refused(replacing: "days = 60", with: "days = 60.5", "\(file):41: stage[2].days: expected an integer, found a floating-point number")
        ConfigFixtures.assertRefused("daemon = \"x\"\n" + ConfigFixtures.minimal, "\(file):1: daemon: expected a table [daemon], found a string")
    }

    func testBadDurationsAreRefused() {
        for bad in ["15 minutes", "15", "0m", "-5m", "1.5h", "15M", ""] {
            refused(replacing: "interval =", with: "interval = \"\(bad)\"", "\(file):2: daemon.interval: \"\(bad)\" is not a duration")
        }
        refused(replacing: "give_up_after =", with: "give_up_after = \"forever\"", "\(file):30: delivery.give_up_after:")
        refused(replacing: "retry =", with: "retry = [\"5m\", \"soon\"]", "\(file):29: delivery.retry: \"soon\" is not a duration")
        refused(replacing: "timeout =", with: "timeout = \"30\"", "\(file):26: smtp.timeout:")
    }

    func testOnlyIANATimeZoneNamesAreAccepted() throws {
        for bad in ["Mars/Olympus", "GMT+5", "CEST", "europe/berlin", "+02:00", ""] {
            refused(replacing: "timezone =", with: "timezone = \"\(bad)\"", "\(file):3: daemon.timezone: \"\(bad)\" is not an IANA time zone name")
        }
        for good in ["America/Sao_Paulo", "Australia/Sydney", "Asia/Kolkata", "Europe/Kyiv", "Etc/UTC"] {
            let text = ConfigFixtures.replacing(line: "timezone =", with: "timezone = \"\(good)\"")
            XCTAssertEqual(try ConfigLoader.parse(text, path: file).daemon.timezone.identifier, good)
        }
        let utc = ConfigFixtures.replacing(line: "timezone =", with: "timezone = \"UTC\"")
        XCTAssertEqual(try ConfigLoader.parse(utc, path: file).daemon.timezone.secondsFromGMT(), 0)
    }

    func testSendWindowValuesAreChecked() {
        refused(replacing: "start =", with: "start = \"9:00\"", "\(file):8: send_window.start: \"9:00\" is not a time of day")
        refused(replacing: "end =", with: "end = \"25:00\"", "\(file):9: send_window.end:")
        refused(replacing: "end =", with: "end = \"08:00\"", "\(file):9: send_window.end: 08:00 is not after start 09:00")
        refused(replacing: "days = [", with: "days = [\"mon\", \"monday\"]", "\(file):7: send_window.days: \"monday\" is not a weekday")
        refused(replacing: "days = [", with: "days = [\"mon\", \"mon\"]", "\(file):7: send_window.days: \"mon\" is listed twice")
        refused(replacing: "holidays =", with: "holidays = [\"2026-02-30\"]", "\(file):10: send_window.holidays: \"2026-02-30\" is not a date")
        refused(replacing: "holidays =", with: "holidays = [\"25.12.2026\"]", "\(file):10: send_window.holidays:")
    }

    func testBusinessAddressesAreParsedAsMailboxes() {
        refused(replacing: "from =", with: "from = \"Jane Doe Design <billing at janedoe>\"", "\(file):14: business.from: \"billing at janedoe\" is not a valid email address")
        refused(replacing: "owner =", with: "owner = \"jane\"", "\(file):16: business.owner:")
        refused(replacing: "reply_to =", with: "reply_to = \"a@b@c.example\"", "\(file):15: business.reply_to:")
        refused(replacing: "name = \"Jane", with: "name = \"Jane\\r\\nBcc: x@evil.example\"", "\(file):13: business.name: contains the control character U+000D")
    }

    func testRequiredKeysAreNamedWhereTheirTableIs() {
        refused(replacing: "owner =", with: "", "\(file):12: business.owner: is required")
        ConfigFixtures.assertRefused(
            ConfigFixtures.minimal.replacingOccurrences(of: "[smtp]\nurl = \"smtps://mail.example.com:465\"\n", with: ""),
            "\(file): smtp: the [smtp] section is required")
    }

    func testPaymentURLMustBeHTTP() {
        for bad in ["ftp://pay.example/{invoice}", "pay.example/{invoice}", "https:///{invoice}", "https://pay.example/{number}"] {
            refused(replacing: "payment_url =", with: "payment_url = \"\(bad)\"", "\(file):17: business.payment_url:")
        }
    }

    func testSmallClaimsLimitIsExactMoneyInAKnownCurrency() {
        refused(replacing: "small_claims_limit =", with: "small_claims_limit = \"12500.00\"", "\(file):18: business.small_claims_limit: \"12500.00\" is not an amount and a currency")
        refused(replacing: "small_claims_limit =", with: "small_claims_limit = \"12500.001 USD\"", "\(file):18: business.small_claims_limit: \"12500.001\" has more than 2 decimal digits")
        refused(replacing: "small_claims_limit =", with: "small_claims_limit = \"12500 XYZ\"", "\(file):18: business.small_claims_limit: \"XYZ\" is not an ISO 4217 currency code")
        refused(replacing: "small_claims_limit =", with: "small_claims_limit = \"1e4 USD\"", "\(file):18: business.small_claims_limit:")
    }

    func testSMTPURLMustBeSMTPSMTPSOrFile() {
        refused(replacing: "url = \"smtp:", with: "url = \"http://mail.example.com\"", "\(file):21: smtp.url: scheme \"http\" is not smtp, smtps or file")
        refused(replacing: "url = \"smtp:", with: "url = \"smtp://user:secret@mail.example.com:587\"", "\(file):21: smtp.url: credentials do not belong in the URL")
        refused(replacing: "url = \"smtp:", with: "url = \"smtp://mail.example.com:99999\"", "\(file):21: smtp.url: port 99999 is out of range")
        refused(replacing: "url = \"smtp:", with: "url = \"file://outbox\"", "\(file):21: smtp.url: a file outbox URL names a local folder")
        refused(replacing: "url = \"smtp:", with: "url = \"mail.example.com\"", "\(file):21: smtp.url:")
    }

    func testPasswordSourcesAreExclusiveAndNeedAUsername() {
        refused(replacing: "password_file =", with: "password_file = \"/run/pw\"\npassword_env = \"SMTP_PASSWORD\"",
                "\(file):25: smtp.password_env: set either password_file or password_env, not both")
        refused(replacing: "username =", with: "", "\(file):24: smtp.password_file: a password needs smtp.username")
        refused(replacing: "password_file =", with: "password_env = \"1PASSWORD\"", "\(file):24: smtp.password_env: \"1PASSWORD\" is not an environment variable name")
        refused(replacing: "password_file =", with: "password_file = \"~/pw\"", "\(file):24: smtp.password_file: \"~\" is not expanded")
    }

    func testDeliveryValuesAreChecked() {
        refused(replacing: "retry =", with: "retry = []", "\(file):29: delivery.retry: must list at least one delay")
        refused(replacing: "min_days_between =", with: "min_days_between = -1", "\(file):31: delivery.min_days_between: -1 is out of range (0 to 3650)")
    }

    func testErrorsAreAllReportedInFileOrder() {
        var text = ConfigFixtures.replacing(line: "min_days_between =", with: "min_days_between = -1")
        text = ConfigFixtures.replacing(line: "interval =", with: "interval = \"often\"", in: text)
        text = ConfigFixtures.replacing(line: "owner =", with: "owner = \"nobody\"", in: text)
        XCTAssertThrowsError(try ConfigLoader.parse(text, path: file)) { error in
            let error = error as? OverdueError
            XCTAssertEqual(error?.message.hasPrefix("\(file):2: daemon.interval:"), true)
            XCTAssertEqual(error?.details.map { String($0.prefix(while: { $0 != " " })) },
                           ["\(file):16:", "\(file):31:"])
        }
    }
}
