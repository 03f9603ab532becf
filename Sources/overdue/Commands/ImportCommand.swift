import ArgumentParser
import Foundation
import OverdueCore
import OverduePostgres
import OverdueSQLite
import Synchronization

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Upsert invoices (and their clients) from a CSV file.",
        discussion: """
            Columns (any order, header required): number, client_id, client_name, client_email,
            issue_date, due_date, amount, currency, and optionally paid and status.
            All-or-nothing: one bad row rejects the file (exit 65) and every bad row is listed as
            FILE:LINE: column: problem. Re-importing the same file changes nothing; changed rows
            update the invoice and are audited. A valid file is written in short chunks, so the daemon
            is never kept waiting; should the disk fail part-way, running the same import again
            finishes it. The first import creates the ledger; --dry-run creates nothing.
            """
    )

    @OptionGroup var options: ConfigOption
    @Argument(help: ArgumentHelp("The CSV file.", valueName: "FILE.csv")) var file: String
    @Flag(name: .long, help: "Validate and report what would change; write nothing.") var dryRun = false

    func run() throws {
        try runReportingErrors {
            let config = try loadConfig(options)
            // Two passes over the file, a block at a time: every row is checked before anything is
            // written, and memory holds one block, never the file.
            let checked = try CSVImport.check(fileName: file, read: try InputFile(file).read(into:))
                .get(orRefuse: file, nothing: "nothing imported")
            let store = try openImportLedger(config)
            defer { store.close() }
            var rows = CSVImportRows(fileName: file, read: try InputFile(file).read(into:), checked: checked)
            if dryRun {
                // The real import, rolled back: the same summary and warnings, nothing written.
                let summary = try store.previewImport(clients: checked.clients, source: file, context: changeNow()) { try rows.next() }
                for warning in summary.warnings { printError(warning) }
                print("\(file): would add \(summary.inserted), update \(summary.updated), leave \(summary.unchanged) unchanged (dry run: nothing written)")
                return
            }
            let summary = try store.importInvoices(clients: checked.clients, rowCount: checked.rows, source: file,
                                                   context: changeNow()) { try rows.next() }
            for warning in summary.warnings { printError(warning) }
            print("\(file): \(summary.inserted) added, \(summary.updated) updated, \(summary.unchanged) unchanged")
        }
    }
}

extension ImportCommand {
    /// The ledger to import into, created if missing (a first import asks for one). A dry run
    /// creates nothing: on a missing ledger it previews against an empty one in a temporary
    /// folder, removed when the process ends.
    private func openImportLedger(_ config: Config) throws -> any LedgerStore {
        guard dryRun, !PostgresLedgerStore.handles(config.daemon.database),
              !FileManager.default.fileExists(atPath: config.daemon.database) else {
            return try openLedger(config, creating: dryRun ? .never : .ifMissing)
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("overdue-dry-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        atexit { DryRunFolder.remove() }
        DryRunFolder.path.withLock { $0 = folder.path }
        return try SQLiteLedgerStore(path: folder.appendingPathComponent("ledger.sqlite").path, creating: .new)
    }
}

/// The scratch folder of `import --dry-run` on a missing ledger.
private enum DryRunFolder {
    static let path = Mutex<String?>(nil)
    static func remove() {
        if let path = path.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
    }
}

/// An input file read from start to end; a missing or unreadable file is exit 66 (EX_NOINPUT).
/// Closed when the last reader lets go of it.
final class InputFile {
    private let path: String
    private let fd: Int32

    init(_ path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw OverdueError(.noInput, "\(path): cannot open for reading") }
    }

    deinit { close(fd) }

    /// The next bytes into `buffer`; 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno != EINTR { throw OverdueError(.noInput, "\(path): cannot read: \(String(cString: strerror(errno)))") }
        }
    }
}

/// The whole of a small input file (a payment export), read through `InputFile`.
func readInput(_ path: String) throws -> [UInt8] {
    let file = try InputFile(path)
    var bytes: [UInt8] = []
    var block = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = try block.withUnsafeMutableBytes { try file.read(into: $0) }
        if count == 0 { return bytes }
        bytes.append(contentsOf: block[..<count])
    }
}
