import Foundation
import OverdueCore
import OverdueSQLite
import XCTest

/// Throughput figures for the import and the planner's cursor. Skipped unless
/// `OVERDUE_SQLITE_BENCH=ROWS` is set, so ordinary test runs stay short:
/// `OVERDUE_SQLITE_BENCH=100000 swift test --filter SQLiteImportBenchmarkTests`.
final class SQLiteImportBenchmarkTests: LedgerTestCase {
    func testImportReimportAndStreamThroughput() throws {
        guard let text = ProcessInfo.processInfo.environment["OVERDUE_SQLITE_BENCH"], let count = Int(text) else {
            throw XCTSkip("set OVERDUE_SQLITE_BENCH=ROWS to measure")
        }
        let rows = (0..<count).map { i in
            row(String(format: "INV-%07d", i), client: "client-\(i % 5000)", amount: Int64(10_000 + i % 900_000),
                line: i + 2, emails: ["ap@client\(i % 5000).example"], name: "Client \(i % 5000) Ltd")
        }
        let store = try openStore()

        let (imported, importSeconds) = try timed { try store.importInvoices(rows, source: "bench.csv", context: context()) }
        XCTAssertEqual(imported.inserted, count)
        let (again, reimportSeconds) = try timed { try store.importInvoices(rows, source: "bench.csv", context: context()) }
        XCTAssertEqual(again.unchanged, count)
        var streamed = 0
        let (_, streamSeconds) = try timed { try store.forEachInvoiceContext { _ in streamed += 1 } }
        XCTAssertEqual(streamed, count)
        let (problem, verifySeconds) = try timed { try store.verifyAudit() }
        XCTAssertNil(problem)

        func rate(_ seconds: Double) -> String { String(format: "%.2f s (%.0f rows/s)", seconds, Double(count) / seconds) }
        print("""
            bench rows=\(count) import=\(rate(importSeconds)) reimport=\(rate(reimportSeconds)) \
            stream=\(rate(streamSeconds)) verify=\(rate(verifySeconds)) peakRSS=\(peakRSSMiB()) MiB
            """)
    }

    private func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        return (result, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    private func peakRSSMiB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
    }
}
