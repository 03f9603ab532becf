import XCTest
@testable import OverdueCore

/// The `[import]` format keys: the spec's example section loads into the format it describes,
/// and every mistake is one located config error.
final class ConfigImportFormatTests: XCTestCase {
    private let specImport = """

        [import]
        watch = "/var/lib/overdue/inbox"
        format = "custom"
        date_format = "DD/MM/YYYY"
        currency = "GBP"
        client_key = "email"

        [import.columns]
        number = "Num"
        client_name = "Customer"
        client_email = "Email"
        issue_date = "Date"
        due_date = "Due Date"
        amount = "Amount"
        balance = "Open Balance"
        status = "Status"

        [import.status]
        "Awaiting Payment" = "open"
        "Draft" = "skip"
        """

    func testTheSpecsImportSectionLoadsIntoItsFormat() throws {
        let config = try ConfigLoader.parse(ConfigFixtures.specExample + specImport, path: ConfigFixtures.path)
        let format = config.importFormat
        XCTAssertEqual(config.importWatch, "/var/lib/overdue/inbox")
        XCTAssertEqual(format.kind, .custom)
        XCTAssertEqual(format.dateOrder, .dayMonthYear)
        XCTAssertEqual(format.currency?.code, "GBP")
        XCTAssertEqual(format.clientKey, .email)
        XCTAssertEqual(format.columns[.balance], "Open Balance")
        XCTAssertEqual(format.statuses, ["awaiting payment": .open, "draft": .skip])
        XCTAssertEqual(try config.importFormat(as: .xero).kind, .xero)
    }

    func testWithoutAnImportSectionFilesAreOverduesOwn() throws {
        XCTAssertEqual(try ConfigLoader.parse(ConfigFixtures.specExample, path: ConfigFixtures.path).importFormat, .overdue)
    }

    func testMistakesAreLocatedConfigErrors() {
        let lines = (ConfigFixtures.specExample + specImport).components(separatedBy: "\n")
        func line(_ prefix: String) -> Int { lines.firstIndex { $0.hasPrefix(prefix) }! + 1 }
        let file = ConfigFixtures.path
        func refused(_ prefix: String, _ replacement: String, _ expected: String, line: UInt = #line) {
            ConfigFixtures.assertRefused(ConfigFixtures.replacing(line: prefix, with: replacement, in: ConfigFixtures.specExample + specImport),
                                         expected, line: line)
        }
        refused("format =", "format = \"csv\"", "\(file):\(line("format =")): import.format: \"csv\" is not a format")
        refused("currency = \"GBP\"", "currency = \"GBP\"\nseparator = \"|\"", "\(file):\(line("currency = \"GBP\"") + 1): import.separator: \"|\" is not a separator")
        refused("client_key =", "client_key = 7", "\(file):\(line("client_key =")): import.client_key: expected a string")
        refused("balance =", "paid = \"Paid\"\nbalance = \"Open Balance\"", "\(file):\(line("balance =") + 1): import.columns.balance: map either paid or balance")
        refused("number =", "# number", "\(file):\(line("[import.columns]")): import.columns.number: is required with format = \"custom\"")
        refused("\"Draft\"", "\"Draft\" = \"later\"", "\(file):\(line("\"Draft\"")): import.status.Draft: \"later\" is not a meaning")
    }
}
