import Foundation
import OverdueCore
import XCTest

/// Parse-and-validate throughput of the CSV import. Skipped unless `OVERDUE_IMPORT_BENCH=ROWS`
/// is set: `OVERDUE_IMPORT_BENCH=1000000 swift test -c release --filter ImportBenchmarkTests`.
final class ImportBenchmarkTests: XCTestCase {
    func rowCount() throws -> Int {
        guard let text = ProcessInfo.processInfo.environment["OVERDUE_IMPORT_BENCH"], let count = Int(text) else {
            throw XCTSkip("set OVERDUE_IMPORT_BENCH=ROWS to measure")
        }
        return count
    }

    /// A file like an accounting export: `clients` distinct clients, quoted names with commas.
    func file(rows: Int, clients: Int) -> [UInt8] {
        var text = ImportFixture.header + "\n"
        text.reserveCapacity(rows * 130)
        for i in 0..<rows {
            let client = i % clients
            text += "INV-\(1_000_000 + i),client-\(client),\"Client \(client), Ltd\",ap@client\(client).example;"
            text += "boss@client\(client).example,2026-02-01,2026-03-01,\(100 + i % 9000).\(i % 100 < 10 ? "0" : "")\(i % 100),EUR,0,open\n"
        }
        return Array(text.utf8)
    }

    func measure(rows: Int, clients: Int) {
        let bytes = file(rows: rows, clients: clients)
        // CPU time as well as wall time: the shared build machine makes wall time noisy.
        func cpuSeconds() -> Double {
            var spec = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
            return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
        }
        let start = Date(), startCPU = cpuSeconds()
        let result = CSVImport.parse(bytes, fileName: "bench.csv")
        let seconds = Date().timeIntervalSince(start), cpu = cpuSeconds() - startCPU
        guard case .success(let parsed) = result else { return XCTFail("refused: \(result)") }
        XCTAssertEqual(parsed.count, rows)
        print(String(format: "CSV import: %d rows (%d clients, %.1f MB) in %.2f s wall, %.2f s CPU, %.0f rows/s",
                     rows, clients, Double(bytes.count) / 1e6, seconds, cpu, Double(rows) / seconds))
    }

    func testParseThroughputWithFewClients() throws {
        measure(rows: try rowCount(), clients: 5000)
    }

    func testParseThroughputWithAClientPerRow() throws {
        let rows = try rowCount()
        measure(rows: rows, clients: rows)
    }
}
