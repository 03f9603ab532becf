/// Fills the buffer with the next bytes of an import file and returns how many it wrote;
/// 0 at the end of the file. The file's I/O stays with the caller.
public typealias CSVFileRead = (UnsafeMutableRawBufferPointer) throws -> Int

/// A client as an import file names it (every row of a client agrees, see `CSVImport`).
public struct ImportClient: Sendable, Equatable {
    public var id: String
    public var name: String
    public var emails: [String]

    public init(id: String, name: String, emails: [String]) {
        self.id = id
        self.name = name
        self.emails = emails
    }
}

/// What the checking pass over a valid file found: its clients in id byte order (the order
/// SQLite's BINARY collation sorts them) and how many rows it has.
public struct CSVImportCheck: Sendable {
    public var clients: [ImportClient]
    public var rows: Int
    /// The checking pass's table of clients, handed to the writing pass so the file's clients
    /// are held once, not once per pass.
    var known: [String: CSVRowValidator.KnownClient]
    /// How the file was read, so the writing pass reads it the same way.
    var format: ImportFormat = .overdue
    var separator = UInt8(ascii: ",")
}

extension CSVImport {
    /// How much of a file is read at a time: memory holds one block of it, not the file.
    public static let blockSize = 1 << 20

    /// The first pass of a streamed import: reads the whole file through `read` and applies every
    /// rule, keeping only the clients and the problems, so a file of any size is checked in
    /// memory that grows with its clients and invoice numbers, not its bytes.
    public static func check(fileName: String, format: ImportFormat = .overdue,
                             read: @escaping CSVFileRead) throws -> Result<CSVImportCheck, CSVImportFailure> {
        var validator = CSVRowValidator(fileName: fileName, format: format)
        let (separator, read) = try ImportSeparator.detect(format: format, read: read)
        let blocks = CSVBlocks(read: read, separator: separator)
        var header = true
        var rows = 0
        try blocks.forEachRecord { fields, line, problem in
            if header {
                header = false
                return validator.readHeader(fields, line: line, problem: problem)
            }
            if validator.row(fields, line: line, problem: problem) != nil { rows += 1 }
            return true
        }
        if header {
            validator.problems.add(fileName, line: 1, "header",
                                   "the file is empty; the first line must name the columns (\(CSVColumn.allNames))")
        }
        validator.finish()
        guard validator.problems.isEmpty else { return .failure(validator.problems.failure) }
        return .success(CSVImportCheck(clients: validator.importClients, rows: rows, known: validator.clients,
                                       format: format, separator: separator))
    }

    /// Parses a whole file held in memory (`invoice add`'s one row, tests): the same two passes.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, fileName: String,
                             format: ImportFormat = .overdue) -> Result<[ImportRow], CSVImportFailure> {
        func reader() -> CSVFileRead {
            var offset = 0
            return { buffer in
                let count = min(buffer.count, bytes.count - offset)
                if count > 0 { buffer.copyMemory(from: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[offset..<(offset + count)]))) }
                offset += count
                return count
            }
        }
        do {
            switch try check(fileName: fileName, format: format, read: reader()) {
            case .failure(let failure): return .failure(failure)
            case .success(let checked):
                var rows = CSVImportRows(fileName: fileName, read: reader(), checked: checked)
                var list: [ImportRow] = []
                list.reserveCapacity(checked.rows)
                while let row = try rows.next() { list.append(row) }
                return .success(list)
            }
        } catch {
            // The bytes are in memory: reading them cannot fail, and they cannot change.
            return .failure(CSVImportFailure(problems: ["\(fileName): \(error)"], total: 1))
        }
    }
}

/// The second pass of a streamed import: the rows of a file that `CSVImport.check` passed, read
/// again a block at a time. Should the file have changed in between, a row that no longer passes
/// is an error here (exit 65), never a row written.
public struct CSVImportRows {
    private let fileName: String
    private var validator: CSVRowValidator
    private let blocks: CSVBlocks
    private var header = true
    private var pending: [ImportRow] = []
    private var nextIndex = 0
    private var ended = false
    /// Rows the checking pass counted, and rows handed out so far.
    private let expected: Int
    private var given = 0

    public init(fileName: String, read: @escaping CSVFileRead, checked: CSVImportCheck) {
        self.fileName = fileName
        expected = checked.rows
        validator = CSVRowValidator(fileName: fileName, format: checked.format, checksNumbers: false, clients: checked.known)
        blocks = CSVBlocks(read: read, separator: checked.separator)
    }

    private func changed(_ problems: [String] = []) -> OverdueError {
        OverdueError(.dataError, "\(fileName): the file changed while it was imported", details: problems)
    }

    /// The next row in file order; nil after the last.
    public mutating func next() throws -> ImportRow? {
        while nextIndex == pending.count {
            if ended {
                guard given == expected else { throw changed() }
                return nil
            }
            pending.removeAll(keepingCapacity: true)
            nextIndex = 0
            ended = try !blocks.nextBlock { fields, line, problem in
                if header {
                    header = false
                    return validator.readHeader(fields, line: line, problem: problem)
                }
                if let row = validator.row(fields, line: line, problem: problem) { pending.append(row) }
                return true
            }
            if !validator.problems.isEmpty {
                throw changed(validator.problems.failure.problems)
            }
        }
        if given == expected { throw changed() }
        given += 1
        defer { nextIndex += 1 }
        return pending[nextIndex]
    }
}

/// Splits a file read in blocks into records. A record that may continue past the end of a
/// block (one that reaches it, not at the end of the file) is read again with the next block,
/// so the records, their lines and their problems are those of the whole file read at once.
final class CSVBlocks {
    private let read: CSVFileRead
    private let separator: UInt8
    /// Bytes read and not yet split: `storage[0..<filled]`.
    private var storage: UnsafeMutableRawBufferPointer
    private var filled = 0
    private var line = 1
    private var fileStart = true
    private var atEnd = false

    init(read: @escaping CSVFileRead, separator: UInt8 = UInt8(ascii: ",")) {
        self.read = read
        self.separator = separator
        storage = .allocate(byteCount: 2 * CSVImport.blockSize, alignment: 16)
    }

    deinit { storage.deallocate() }

    /// How many bytes are held: a block and the start of a record, unless one record is longer.
    var capacity: Int { storage.count }

    /// Calls `body` for every record of the whole file, until it returns false.
    func forEachRecord(_ body: ([UnsafeBufferPointer<UInt8>], Int, CSVRecordReader.QuotingProblem?) throws -> Bool) throws {
        var going = true
        while going, try nextBlock({ fields, line, problem in
            going = try body(fields, line, problem)
            return going
        }) {}
    }

    /// Reads one more block and calls `body` for each record it completes, until `body` returns
    /// false; false at the end of the file.
    func nextBlock(_ body: ([UnsafeBufferPointer<UInt8>], Int, CSVRecordReader.QuotingProblem?) throws -> Bool) throws -> Bool {
        guard !atEnd else { return false }
        if storage.count - filled < CSVImport.blockSize {
            // A record longer than a block: room for it and one more block.
            let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: filled + 2 * CSVImport.blockSize, alignment: 16)
            larger.copyMemory(from: UnsafeRawBufferPointer(rebasing: storage[..<filled]))
            storage.deallocate()
            storage = larger
        }
        let count = try read(UnsafeMutableRawBufferPointer(rebasing: storage[filled..<(filled + CSVImport.blockSize)]))
        filled += count
        atEnd = count == 0
        let bytes = UnsafeBufferPointer(start: storage.baseAddress!.bindMemory(to: UInt8.self, capacity: filled), count: filled)
        var reader = CSVRecordReader(bytes, line: line, fileStart: fileStart, separator: separator)
        var consumed = filled
        while true {
            let start = (position: reader.position, line: reader.line)
            guard let record = reader.next() else {
                if !atEnd { consumed = start.position }
                line = start.line
                break
            }
            if !atEnd, reader.position == bytes.count {
                consumed = start.position
                line = start.line
                break
            }
            guard try body(reader.fields, record.line, record.problem) else {
                atEnd = true
                return true
            }
        }
        if consumed > 0 {
            fileStart = false
            storage.baseAddress!.copyMemory(from: storage.baseAddress! + consumed, byteCount: filled - consumed)
            filled -= consumed
        }
        return true
    }
}
