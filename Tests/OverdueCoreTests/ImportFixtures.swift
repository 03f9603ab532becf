import Foundation
import OverdueCore
import XCTest

/// Builders for CSV import tests.
enum ImportFixture {
    static let columns = ["number", "client_id", "client_name", "client_email", "issue_date", "due_date",
                          "amount", "currency", "paid", "status"]
    static let header = columns.joined(separator: ",")
    static let good: [String: String] = [
        "number": "INV-1", "client_id": "acme", "client_name": "Acme GmbH", "client_email": "ap@acme.example",
        "issue_date": "2026-02-01", "due_date": "2026-03-01", "amount": "1200.00", "currency": "EUR",
        "paid": "0", "status": "open",
    ]

    /// One record in header order, quoting values that need it (RFC 4180).
    static func record(_ overrides: [String: String] = [:]) -> String {
        columns.map { quote(overrides[$0] ?? good[$0]!) }.joined(separator: ",")
    }

    static func quote(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A file: the header, then the records, each line ending in LF.
    static func file(_ records: [String], header: String = header) -> [UInt8] {
        Array(([header] + records).map { $0 + "\n" }.joined().utf8)
    }

    static func parse(_ bytes: [UInt8], fileName: String = "in.csv") -> Result<[ImportRow], CSVImportFailure> {
        CSVImport.parse(bytes, fileName: fileName)
    }
}

func importedRows(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> [ImportRow] {
    switch ImportFixture.parse(bytes) {
    case .success(let rows): return rows
    case .failure(let failure):
        XCTFail("refused: \(failure.problems)", file: file, line: line)
        return []
    }
}

func importProblems(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> [String] {
    switch ImportFixture.parse(bytes) {
    case .success(let rows):
        XCTFail("accepted \(rows.count) rows", file: file, line: line)
        return []
    case .failure(let failure): return failure.problems
    }
}

/// The problems for a file holding the good row with `overrides` applied.
func problems(with overrides: [String: String], file: StaticString = #filePath, line: UInt = #line) -> [String] {
    importProblems(ImportFixture.file([ImportFixture.record(overrides)]), file: file, line: line)
}
