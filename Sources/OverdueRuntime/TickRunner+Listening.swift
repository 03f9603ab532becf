import Foundation
import OverdueCore

/// Listening before planning: what arrived since the last tick reaches the ledger first, so a
/// payment dropped in the watched folder stops the reminder this very tick would have sent.
extension TickRunner {
    /// Ledger meta: the files of the watched folder that were not yet complete at the last
    /// tick, one `name \t size \t mtime` per line.
    static let watchSeenKey = "import.watch.pending"

    /// Imports every complete new `*.csv` of `[import] watch` (invoice or payment files, told
    /// apart by their header), then moves each to `done/` or, refused, to `rejected/` with a
    /// `.err` listing every problem, audited `import.rejected` and told to the owner once.
    ///
    /// Dot-files are ignored (the usual way to write a file before renaming it into place). A
    /// file is complete when it was renamed into place after its last write (its inode changed
    /// after its content: ctime > mtime), or when its size and mtime are what the previous tick
    /// saw; one still being written is left for a later tick. A folder that cannot be read is
    /// logged and the tick goes on: an import problem must not stop reminders.
    func importWatchedFolder(_ folder: String, into listening: any ListeningStore & LedgerCommands) throws {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: folder)
                .filter { $0.hasSuffix(".csv") && !$0.hasPrefix(".") }.sorted()
        } catch {
            log.error("import: cannot read the watched folder \(folder): \(error.localizedDescription)")
            return
        }
        let previous = Dictionary((try store.meta(TickRunner.watchSeenKey) ?? "").split(separator: "\n").compactMap { line in
            let parts = line.split(separator: "\t", maxSplits: 1)
            return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
        }, uniquingKeysWith: { first, _ in first })
        var pending: [String] = []
        for name in files {
            let path = (folder as NSString).appendingPathComponent(name)
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
            let ctime = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
            let shape = "\(info.st_size)\t\(mtime)"
            guard ctime > mtime || previous[name] == shape else {
                pending.append("\(name)\t\(shape)")
                log.info("import: \(path) is not complete yet (being written?); it is taken at the next tick if unchanged")
                continue
            }
            try importWatchedFile(name, in: folder, into: listening)
        }
        let seen = pending.joined(separator: "\n")
        if seen != (try store.meta(TickRunner.watchSeenKey) ?? "") { try store.setMeta(TickRunner.watchSeenKey, seen) }
    }

    private func importWatchedFile(_ name: String, in folder: String, into listening: any ListeningStore & LedgerCommands) throws {
        let path = (folder as NSString).appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: path) else {
            log.error("import: cannot read \(path); left in place")
            return
        }
        let bytes = Array(data)
        var problems: [String]
        var what: String
        if PaymentFile.hasPaymentHeader(bytes) {
            switch PaymentFile.parse(bytes, fileName: path) {
            case .failure(let failure): (problems, what) = (failure.problems, "payment file")
            case .success(let lines):
                switch try listening.importPayments(lines, source: path, dryRun: false, context: change) {
                case .failure(let failure): (problems, what) = (failure.problems, "payment file")
                case .success(let summary):
                    (problems, what) = ([], "\(summary.recorded) payment(s) recorded, \(summary.alreadyRecorded) already recorded")
                }
            }
        } else {
            switch CSVImport.parse(bytes, fileName: path, format: config.importFormat) {
            case .failure(let failure): (problems, what) = (failure.problems, "invoice file")
            case .success(let rows):
                do {
                    let summary = try listening.importInvoices(rows, source: path, context: change)
                    for warning in summary.warnings { log.warning("import: \(warning)") }
                    (problems, what) = ([], "\(summary.inserted) added, \(summary.updated) updated, \(summary.unchanged) unchanged")
                } catch let error as OverdueError where error.exitCode == .dataError {
                    (problems, what) = ([error.message] + error.details, "invoice file")
                }
            }
        }
        if problems.isEmpty {
            let moved = try moveWatched(name, in: folder, to: "done")
            log.notice("import: \(path): \(what); moved to \(moved)")
            return
        }
        let moved = try moveWatched(name, in: folder, to: "rejected")
        let report = problems.joined(separator: "\n") + "\n"
        if !FileManager.default.createFile(atPath: moved + ".err", contents: Data(report.utf8)) {
            log.error("import: could not write \(moved).err")
        }
        log.error("import: \(path): \(what) rejected, nothing of it imported (\(problems.count) problem line(s)); moved to \(moved)")
        try store.appendAudit([AuditRecord(.importRejected, details: [
            ("file", .string(name)), ("moved_to", .string(moved)), ("problems", .strings(problems)),
        ])], context: change)
        sendOwnerNotice(OwnerNotices.importRejected(file: name, folder: folder, movedTo: moved, problems: problems))
    }

    /// Moves `name` into `folder/sub/`, under a new name when one of that name is already there
    /// (the same export dropped again keeps both). Returns the new path.
    private func moveWatched(_ name: String, in folder: String, to sub: String) throws -> String {
        let target = (folder as NSString).appendingPathComponent(sub)
        do {
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            var destination = (target as NSString).appendingPathComponent(name)
            var counter = 1
            while FileManager.default.fileExists(atPath: destination) || FileManager.default.fileExists(atPath: destination + ".err") {
                counter += 1
                destination = (target as NSString).appendingPathComponent("\((name as NSString).deletingPathExtension)-\(counter).csv")
            }
            guard rename((folder as NSString).appendingPathComponent(name), destination) == 0 else {
                throw OverdueError(.ioError, "\(folder)/\(name): cannot move to \(destination): \(String(cString: strerror(errno)))")
            }
            return destination
        } catch let error as OverdueError {
            throw error
        } catch {
            throw OverdueError(.ioError, "\(target): cannot create: \(error.localizedDescription)")
        }
    }
}

extension OwnerNotices {
    /// One notice per rejected file of the watched folder, with what was wrong.
    static func importRejected(file: String, folder: String, movedTo: String, problems: [String]) -> OwnerNotice {
        var text = NoticeText()
        text.paragraph("overdue could not import \(file) from the watched folder \(folder). Nothing of it was recorded.")
        text.blank()
        text.paragraph("The file was moved to \(movedTo); \(movedTo).err beside it lists every problem:")
        text.blank()
        for problem in problems.prefix(20) { text.paragraph(problem, indent: "  ", hanging: "    ") }
        if problems.count > 20 { text.paragraph("(\(problems.count - 20) more lines in the .err file)", indent: "  ") }
        text.blank()
        text.paragraph("Correct the file and drop it into \(folder) again.")
        return OwnerNotice(kind: .importRejected, invoice: "", stage: "", subject: "overdue: \(file) was not imported", body: text.text)
    }
}
