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
            issue_date, due_date, amount, currency, and optionally paid and status. With
            --format xero (or [import] format in the config) a Xero invoice export is read as it
            is; with custom, the columns [import.columns] maps (examples in config/import/).
            All-or-nothing: one bad row rejects the file (exit 65) and every bad row is listed as
            FILE:LINE: column: problem. Re-importing the same file changes nothing; changed rows
            update the invoice and are audited. A valid file is written in short chunks, so the daemon
            is never kept waiting; should the disk fail part-way, running the same import again
            finishes it. The first import creates the ledger; --dry-run creates nothing.
            """
    )

    @OptionGroup var options: ConfigOption
    @Argument(help: ArgumentHelp("The CSV file.", valueName: "FILE.csv")) var file: String
    @Flag(name: .long, help: "Validate, show what each row became and what would change; write nothing.") var dryRun = false
    @Option(name: .long, help: ArgumentHelp("overdue, xero or custom: how the file is laid out, over [import] format.",
                                            valueName: "fmt"))
    var format: ImportFormat.Kind?

    func run() throws {
        try runReportingErrors {
            let config = try loadConfig(options)
            let layout = try config.importFormat(as: format)
            // One pass over the file, a block at a time: every row is checked before anything is
            // written, and memory holds one block, never the file; the checked rows wait in a
            // temporary file beside the ledger (a PostgreSQL ledger: in the temporary folder)
            // until they are written.
            let spill = try SpillFile(besides: PostgresLedgerStore.handles(config.daemon.database) ? nil : config.daemon.database)
            let input = try InputFile(file)
            let checked = try CSVImport.check(fileName: file, format: layout, read: input.read(into:),
                                              spill: spill.rows, size: input.size)
                .get(orRefuse: file, nothing: "nothing imported")
            let store = try openImportLedger(config)
            defer { store.close() }
            // The dry run prints each row whole; the import's stores take the clients from `checked.clients`.
            var rows = CSVImportRows(checked: checked, clientDetails: dryRun)
            if dryRun {
                // The real import, rolled back: the same summary and warnings, nothing written.
                // Each row as it became, so a column map can be checked before it is trusted.
                let summary = try store.previewImport(clients: checked.clients, source: file, context: changeNow()) {
                    let row = try rows.next()
                    if let row { print(ImportRowText.line(row)) }
                    return row
                }
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

/// An input file read from start to end (`ReadableFile`); a missing or unreadable file is exit 66
/// (EX_NOINPUT).
final class InputFile {
    private let path: String
    private let file: ReadableFile

    init(_ path: String) throws {
        self.path = path
        do {
            file = try ReadableFile(path)
        } catch {
            throw OverdueError(.noInput, "\(path): cannot open for reading")
        }
    }

    /// The file's size in bytes, when it is a regular file.
    var size: Int? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular else { return nil }
        return (attributes[.size] as? NSNumber)?.intValue
    }

    /// The next bytes into `buffer`; 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        do {
            return try file.read(into: buffer)
        } catch {
            throw OverdueError(.noInput, "\(path): cannot read: \(error.reason)")
        }
    }
}

/// An unnamed temporary file for the rows an import has checked (`CSVRowSpill`): made beside
/// the ledger, on the disk that will hold them anyway (the system's temporary folder may be
/// memory), or in that folder when the ledger's is not there yet; unlinked at once, so it is
/// gone when the process ends however it ends.
final class SpillFile {
    private let fd: Int32
    private let path: String

    /// `database`: the ledger's file; nil when it is no file (PostgreSQL), so the temporary folder.
    init(besides database: String?) throws {
        let temporary = FileManager.default.temporaryDirectory.path
        let folder = database.map { ($0 as NSString).deletingLastPathComponent } ?? temporary
        var made: (Int32, String)?
        for place in [folder.isEmpty ? "." : folder, temporary] {
            var template = Array((place as NSString).appendingPathComponent(".overdue-import-XXXXXX").utf8CString)
            let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else { continue }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            unlink(path)
            made = (fd, path)
            break
        }
        guard let made else {
            throw OverdueError(.cannotCreate, "\(folder): cannot create a temporary file for the import: \(String(cString: strerror(errno)))")
        }
        (fd, path) = made
    }

    deinit { close(fd) }

    var rows: CSVRowSpill {
        CSVRowSpill(write: { [self] bytes in
            var done = 0
            while done < bytes.count {
                let count = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else {
                    let reason = errno == ENOSPC || errno == EFBIG ? DiskSpace.fullMessage(writing: path, errno: errno)
                        : String(cString: strerror(errno))
                    throw OverdueError(.ioError, "\(path): cannot keep the import's checked rows: \(reason)")
                }
                done += count
            }
        }, rewind: { [self] in
            guard lseek(fd, 0, SEEK_SET) == 0 else { throw OverdueError(.ioError, "\(path): cannot rewind: \(String(cString: strerror(errno)))") }
        }, read: { [self] buffer in
            while true {
                let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
                if count >= 0 { return count }
                if errno != EINTR { throw OverdueError(.ioError, "\(path): cannot read the import's rows: \(String(cString: strerror(errno)))") }
            }
        })
    }
}

/// The whole of a small input file (a payment export), read through `InputFile`.
func readInput(_ path: String) throws -> [UInt8] {
    do {
        return try readWholeFile(path)
    } catch {
        throw OverdueError(.noInput, "\(path): cannot read: \(error.reason)")
    }
}

extension ImportFormat.Kind: ExpressibleByArgument {}

/// How `import --dry-run` shows a row.
enum ImportRowText {
    static func line(_ row: ImportRow) -> String {
        let digits = row.amount.currency.minorDigits
        return "line \(row.line): \(row.number) client \(row.clientID) (\(row.clientName) <\(row.clientEmails.joined(separator: ", "))>)"
            + " issued \(row.issueDate) due \(row.dueDate) amount \(Money.format(row.amount.minorUnits, digits: digits)) \(row.amount.currency.code)"
            + " paid \(Money.format(row.paid.minorUnits, digits: digits)) \(row.status.rawValue)"
    }
}
