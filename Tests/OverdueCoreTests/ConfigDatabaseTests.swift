import XCTest
@testable import OverdueCore

/// `daemon.database` as a PostgreSQL URL, and its `password_file`.
final class ConfigDatabaseTests: XCTestCase {
    private let file = ConfigFixtures.path

    private func database(_ lines: String) throws -> DaemonSettings {
        try ConfigLoader.parse(ConfigFixtures.replacing(line: "database =", with: lines), path: file).daemon
    }

    func testAPostgreSQLURLIsKeptAsGivenAndARelativePasswordFileIsACredentialName() throws {
        let daemon = try database("database = \"postgresql://overdue@db.example:5432/overdue?sslmode=verify-full\"\npassword_file = \"db-password\"")
        XCTAssertEqual(daemon.database, "postgresql://overdue@db.example:5432/overdue?sslmode=verify-full")
        XCTAssertEqual(daemon.databasePassword, .credential(name: "db-password", besideConfig: "/etc/overdue/db-password"))
        XCTAssertEqual(try database("database = \"postgres://h/overdue\"").database, "postgres://h/overdue")
        XCTAssertNil(try database("database = \"postgres://h/overdue\"").databasePassword)
        XCTAssertEqual(try database("database = \"ledger.sqlite\"").database, "/etc/overdue/ledger.sqlite")
    }

    func testAPasswordInTheURLOrForASQLiteLedgerIsRefused() {
        ConfigFixtures.assertRefused(ConfigFixtures.replacing(line: "database =", with: "database = \"postgresql://u:secret@h/overdue\""),
                                     "\(file):4: daemon.database: the password does not belong in the URL")
        ConfigFixtures.assertRefused(ConfigFixtures.replacing(line: "database =", with: "database = \"/var/lib/o.sqlite\"\npassword_file = \"p\""),
                                     "\(file):5: daemon.password_file: a password is for a PostgreSQL database")
    }
}
