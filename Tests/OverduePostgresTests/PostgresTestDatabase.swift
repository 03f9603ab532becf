import Foundation
import OverdueCore
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

/// What every store test starts from: an emptied database, a scratch folder, euros and one
/// fixed instant.
class PostgresStoreTestCase: XCTestCase {
    var url = ""
    var folder: URL!
    let eur = Currency(code: "EUR")!
    let t0 = Date(timeIntervalSince1970: 1_772_355_600)   // 2026-03-01T09:00:00Z

    override func setUpWithError() throws {
        url = try PostgresTestDatabase.emptied()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("overdue-pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    func context(_ offset: TimeInterval = 0) -> ChangeContext { ChangeContext(at: t0.addingTimeInterval(offset)) }

    func money(_ minor: Int64) -> Money { Money(minorUnits: minor, currency: eur) }
}
