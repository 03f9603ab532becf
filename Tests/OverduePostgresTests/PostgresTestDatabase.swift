import Foundation
import XCTest
@testable import OverduePostgres

/// The PostgreSQL the store tests run against: `OVERDUE_TEST_POSTGRES_URL`, a database the
/// tests may empty (each test drops and recreates schema `public`). Unset: the tests skip.
enum PostgresTestDatabase {
    static var url: String? {
        ProcessInfo.processInfo.environment["OVERDUE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The URL of an emptied database, or a skip naming the variable.
    static func emptied() throws -> String {
        guard let url else {
            throw XCTSkip("OVERDUE_TEST_POSTGRES_URL is not set: no PostgreSQL to test the store against")
        }
        let connection = try PGConnection(url: url, password: nil)
        defer { connection.close() }
        try connection.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
        return url
    }
}
