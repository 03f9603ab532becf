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
/// SQLite's BINARY collation sorts them), how many rows it has, and the rows themselves as it
/// kept them for the writing pass (`CSVRowSpill`).
public struct CSVImportCheck {
    public var clients: [ImportClient]
    public var rows: Int
    /// The checking pass's table of clients, handed to the writing pass so the file's clients
    /// are held once, not once per pass; a kept row names its client by its place here.
    let known: [CSVRowValidator.KnownClient]
    /// The ids of `known`, side by side: a row read back by id only reads no more of its client.
    let ids: [String]
    let spill: CSVRowSpill
}

extension CSVImport {
    /// How much of a file is read at a time: memory holds one block of it, not the file.
    public static let blockSize = 1 << 20

    /// The checking pass of a streamed import, the only pass over the file: reads it through
    /// `read` (laid out as `format` says) and applies every rule, keeping the clients and the
    /// problems in memory and each valid row in `spill`, so a file of any size is checked in
    /// memory that grows with its clients and invoice numbers, not its bytes. The writing pass
    /// (`CSVImportRows`) reads the rows back from the spill: the file is parsed once, and what is
    /// written is what was checked. `size`, the file's size in bytes when known, lets the table of
    /// invoice numbers be sized once from the rows of the first block.
    public static func check(fileName: String, format: ImportFormat = .overdue, read: @escaping CSVFileRead,
                             spill: CSVRowSpill = .inMemory(), size: Int? = nil) throws -> Result<CSVImportCheck, CSVImportFailure> {
        var validator = CSVRowValidator(fileName: fileName, format: format)
        let (separator, read) = try ImportSeparator.detect(format: format, read: read)
        var bytesRead = 0
        let blocks = CSVBlocks(read: { buffer in
            let count = try read(buffer)
            bytesRead += count
            return count
        }, separator: separator)
        var header = true
        var rows = 0
        var sized = size == nil
        try blocks.forEachRecord({ fields, line, problem in
            if header {
                header = false
                return validator.readHeader(fields, line: line, problem: problem)
            }
            if let row = validator.row(fields, line: line, problem: problem) {
                rows += 1
                // Once a row is bad the file is refused: the rest need not be kept.
                if validator.problems.isEmpty { try spill.append(row, client: validator.rowClient) }
            }
            return true
        }, blockDone: {
            // Once a block's worth is read (the separator's sniffing may hand over less first),
            // its rows tell the file's, with a little room for rows longer than these.
            guard !sized, let size, bytesRead >= min(size, CSVImport.blockSize) else { return }
            sized = true
            if bytesRead < size { validator.expect(rows: rows * size / bytesRead + rows / 16) }
        })
        if header {
            validator.problems.add(fileName, line: 1, "header",
                                   "the file is empty; the first line must name the columns (\(ImportFormat.Field.overdueColumnNames))")
        }
        validator.finish()
        guard validator.problems.isEmpty else { return .failure(validator.problems.failure) }
        try spill.endWriting()
        return .success(CSVImportCheck(clients: validator.importClients, rows: rows, known: validator.clients,
                                       ids: validator.clients.map(\.id), spill: spill))
    }

    /// Parses a whole file held in memory (`invoice add`'s one row, tests): the same passes.
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
                var rows = CSVImportRows(checked: checked)
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

/// The writing pass of a streamed import: the rows of a file that `CSVImport.check` passed, in
/// file order, read back from its spill a block at a time.
public struct CSVImportRows {
    private let checked: CSVImportCheck
    private var reader: CSVRowSpill.Reader
    private let clientDetails: Bool
    private var given = 0

    /// `clientDetails` false: each row names its client by id only, with an empty name and no
    /// addresses. That is all a store's streaming import reads of a row (it takes the clients
    /// from `CSVImportCheck.clients`), and it spares each row a visit to its client's name and
    /// addresses, which lie anywhere in memory.
    public init(checked: CSVImportCheck, clientDetails: Bool = true) {
        self.checked = checked
        self.clientDetails = clientDetails
        reader = checked.spill.reader()
    }

    /// The next row in file order; nil after the last.
    public mutating func next() throws -> ImportRow? {
        guard given < checked.rows else { return nil }
        given += 1
        return try reader.next(clients: checked.known, ids: clientDetails ? nil : checked.ids)
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

    /// Calls `body` for every record of the whole file, until it returns false; `blockDone`
    /// after the records of each block read.
    func forEachRecord(_ body: ([UnsafeBufferPointer<UInt8>], Int, CSVRecordReader.QuotingProblem?) throws -> Bool,
                       blockDone: () -> Void = {}) throws {
        var going = true
        while going, try nextBlock({ fields, line, problem in
            going = try body(fields, line, problem)
            return going
        }) { blockDone() }
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
