import Foundation
import OverdueCore
import OverdueSMTP
import OverdueSQLite
import XCTest
@testable import OverdueRuntime

/// A folder with templates, a config, a real SQLite ledger and the real file outbox (or libcurl
/// against a closed port) for tick tests; only the clock is fixed.
class TickTestCase: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("overdue-tick-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("templates"), withIntermediateDirectories: true)
        for name in ["reminder-7", "reminder-30"] {
            try "Invoice {{invoice.number}}: {{invoice.amount_due}} {{invoice.currency}} due ({{stage.name}}).\n"
                .write(to: folder.appendingPathComponent("templates/\(name).txt"), atomically: true, encoding: .utf8)
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func config(smtpURL: String? = nil, thirdStage: String = "action = \"escalate\"", interval: String = "15m") throws -> Config {
        let outbox = folder.appendingPathComponent("outbox").path
        let text = """
            [daemon]
            interval = "\(interval)"
            timezone = "Europe/Berlin"
            database = "\(folder.appendingPathComponent("ledger.sqlite").path)"
            [business]
            name = "Jane Doe Design"
            from = "Jane Doe Design <billing@janedoe.example>"
            owner = "jane@janedoe.example"
            small_claims_limit = "12500.00 EUR"
            [smtp]
            url = "\(smtpURL ?? "file://\(outbox)")"
            starttls = "none"
            timeout = "5s"
            [delivery]
            retry = ["5m", "30m"]
            give_up_after = "1h"
            min_days_between = 3
            [[stage]]
            name = "reminder-7"
            days = 7
            template = "reminder-7"
            subject = "Invoice {{invoice.number}} is overdue"
            [[stage]]
            name = "reminder-30"
            days = 30
            template = "reminder-30"
            subject = "Invoice {{invoice.number}} is {{days_overdue}} days overdue"
            [[stage]]
            name = "last"
            days = 90
            \(thirdStage)
            """
        let path = folder.appendingPathComponent("overdue.toml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try ConfigLoader.load(path: path)
    }

    func at(_ text: String) -> Date { parseTimestamp(text)! }

    func store(_ config: Config, invoices: [String]) throws -> SQLiteLedgerStore {
        let store = try SQLiteLedgerStore(path: config.daemon.database)
        let eur = Currency(code: "EUR")!
        let rows = invoices.enumerated().map { index, number in
            ImportRow(line: index + 2, number: number, clientID: "acme", clientName: "Acme Ltd", clientEmails: ["ap@acme.example"],
                      issueDate: LocalDate("2026-01-01")!, dueDate: LocalDate("2026-01-31")!,
                      amount: Money(minorUnits: 120_000, currency: eur), paid: Money(minorUnits: 0, currency: eur), status: .open)
        }
        _ = try store.importInvoices(rows, source: "test.csv", context: ChangeContext(at: at("2026-01-01T00:00:00Z")))
        return store
    }

    /// `realTime` is the clock audit entries record; decisions are made at `asOf`.
    func runner(_ config: Config, _ store: SQLiteLedgerStore, asOf: String, realTime: String? = nil,
                transport: (any MailTransport)? = nil) throws -> TickRunner {
        let composer = LedgerComposer(config: config, templates: try MessageTemplates.load(config),
                                      messageIDs: MessageIDGenerator(secret: Array(repeating: 7, count: 32)))
        return TickRunner(config: config, store: store, transport: try transport ?? makeTransport(config.smtp),
                          composer: composer, clock: FixedClock(at(realTime ?? asOf)), asOf: at(asOf),
                          log: Logger(threshold: .error))
    }

    /// The ledger of `store(_:invoices:)`, in memory (`MemoryLedger`).
    func memoryLedger(invoices: [String]) -> MemoryLedger {
        let eur = Currency(code: "EUR")!
        return MemoryLedger(clients: [Client(id: "acme", name: "Acme Ltd", emails: ["ap@acme.example"])], invoices: invoices.map {
            Invoice(number: $0, clientID: "acme", issueDate: LocalDate("2026-01-01")!, dueDate: LocalDate("2026-01-31")!,
                    amount: Money(minorUnits: 120_000, currency: eur), paid: Money(minorUnits: 0, currency: eur), status: .open)
        })
    }

    /// A runner on any tick ledger (`runner(_:_:asOf:)` for the SQLite one).
    func runner(_ config: Config, ledger: any TickLedger, clock: any WallClock, asOf: Date? = nil) throws -> TickRunner {
        let composer = LedgerComposer(config: config, templates: try MessageTemplates.load(config),
                                      messageIDs: MessageIDGenerator(secret: Array(repeating: 7, count: 32)))
        return TickRunner(config: config, store: ledger, transport: try makeTransport(config.smtp), composer: composer,
                          clock: clock, asOf: asOf, log: Logger(threshold: .error))
    }

    func outboxFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("outbox").path)) ?? [])
            .filter { $0.hasSuffix(".eml") }
    }

    func closedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return Int(UInt16(bigEndian: address.sin_port))   // bound but never listening: connections are refused
    }
}
