import XCTest
@testable import OverdueCore

final class ConfigKeyLocatorTests: XCTestCase {
    func testFindsKeysPerTableAndPerArrayElement() {
        let locator = ConfigKeyLocator(text: ConfigFixtures.specExample)
        XCTAssertEqual(locator.line(table: "daemon", key: "timezone"), 3)
        XCTAssertEqual(locator.line(table: "smtp", key: "timeout"), 26)
        XCTAssertEqual(locator.line(table: "stage", index: 0, key: "days"), 35)
        XCTAssertEqual(locator.line(table: "stage", index: 2, key: "days"), 49)
        XCTAssertEqual(locator.line(table: "stage", index: 1), 39)
        XCTAssertEqual(locator.line(table: "stage", index: 2, key: "fee"), 47, "absent key falls back to its header")
        XCTAssertNil(locator.line(table: "nowhere", key: "x"))
    }

    func testSkipsMultiLineStringsArraysAndComments() {
        let text = """
            # [daemon] in a comment
            [business]
            name = \"\"\"
            [smtp]
            url = "not a key"
            \"\"\"
            owner = "x@y.example" # trailing comment with key = value
            [delivery]
            retry = [
              "5m", # give_up_after = "1d"
              "30m",
            ]
            give_up_after = "3d"
            "min_days_between" = 3
            """
        let locator = ConfigKeyLocator(text: text)
        XCTAssertEqual(locator.line(table: "business", key: "name"), 3)
        XCTAssertEqual(locator.line(table: "business", key: "owner"), 7)
        XCTAssertNil(locator.line(table: "smtp"))
        XCTAssertEqual(locator.line(table: "business", key: "url"), 2, "not a key: only its table's header")
        XCTAssertEqual(locator.line(table: "delivery", key: "give_up_after"), 13)
        XCTAssertEqual(locator.line(table: "delivery", key: "min_days_between"), 14)
        XCTAssertNil(locator.line(table: "daemon"))
    }

    func testDottedKeysAndSubTablesPointAtTheirFirstComponent() {
        let text = "[smtp]\ntls.verify = false\n[smtp.auth]\nuser = \"x\"\n"
        let locator = ConfigKeyLocator(text: text)
        XCTAssertEqual(locator.line(table: "smtp", key: "tls"), 2)
        XCTAssertEqual(locator.line(table: "smtp", key: "auth"), 3)
    }
}

final class ConfigInlineTableTests: XCTestCase {
    func testKeysOfAnInlineTablePointAtItsLine() {
        let text = "# top-level keys come before the first header\n"
            + "smtp = { url = \"smtps://mail.example.com:465\", timeout = \"soon\" }\n"
            + ConfigFixtures.minimal.replacingOccurrences(of: "[smtp]\nurl = \"smtps://mail.example.com:465\"\n", with: "")
        ConfigFixtures.assertRefused(text, "\(ConfigFixtures.path):2: smtp.timeout: \"soon\" is not a duration")
    }
}
