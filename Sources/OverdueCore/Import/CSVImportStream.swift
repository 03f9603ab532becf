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

/// Where the checking pass keeps the rows it passed, for the writing pass to read back instead
/// of parsing and validating the file again. A row is kept in a compact binary form: numbers
/// as numbers, the currency as an index, the client by id only (its name and addresses are
/// held once, in the check's table of clients). The storage is the caller's: a temporary file
/// for a file of any size (the CLI), memory for a file already held in memory.
public final class CSVRowSpill {
    /// Appends bytes to the storage.
    public typealias Write = (UnsafeRawBufferPointer) throws -> Void

    private let write: Write
    private let rewind: () throws -> Void
    private let read: CSVFileRead
    /// Rows not yet handed to `write`.
    private var pending: [UInt8] = []
    private var currencies: [Currency] = []

    /// `write` appends, `rewind` goes back to the start, `read` then reads what was written.
    public init(write: @escaping Write, rewind: @escaping () throws -> Void, read: @escaping CSVFileRead) {
        self.write = write
        self.rewind = rewind
        self.read = read
        pending.reserveCapacity(CSVImport.blockSize)
    }

    /// A spill held in memory.
    public static func inMemory() -> CSVRowSpill {
        final class Storage { var bytes: [UInt8] = []; var offset = 0 }
        let storage = Storage()
        return CSVRowSpill(write: { storage.bytes.append(contentsOf: $0) }, rewind: { storage.offset = 0 }, read: { buffer in
            let count = min(buffer.count, storage.bytes.count - storage.offset)
            storage.bytes.withUnsafeBytes {
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[storage.offset..<(storage.offset + count)]))
            }
            storage.offset += count
            return count
        })
    }

    // A row: its length (UInt32), line, amount and paid (Int64), issue and due date (UInt16
    // year, UInt8 month, UInt8 day), currency index (UInt16), status (UInt8), the length of
    // the number (UInt32), the client's place in the check's table of clients (UInt32), then
    // the number's UTF-8 bytes; all little-endian.
    private static let fixedSize = 4 + 3 * 8 + 2 * 4 + 2 + 1 + 2 * 4

    /// Keeps `row`, whose client is `client` in the check's table of clients.
    func append(_ row: ImportRow, client: Int) throws {
        let currency = row.amount.currency
        let currencyIndex: Int
        if let known = currencies.firstIndex(where: { $0.code == currency.code }) {
            currencyIndex = known
        } else {
            currencyIndex = currencies.count
            currencies.append(currency)
        }
        var number = row.number
        number.withUTF8 { numberBytes in
            // The fixed part is laid out on the stack and appended at once, then the number.
            withUnsafeTemporaryAllocation(byteCount: CSVRowSpill.fixedSize, alignment: 8) { out in
                var offset = 0
                func put<T: FixedWidthInteger>(_ value: T) {
                    out.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
                    offset += MemoryLayout<T>.size
                }
                func put(_ date: LocalDate) {
                    put(UInt16(date.year)); put(UInt8(date.month)); put(UInt8(date.day))
                }
                put(UInt32(CSVRowSpill.fixedSize + numberBytes.count))
                put(Int64(row.line)); put(row.amount.minorUnits); put(row.paid.minorUnits)
                put(row.issueDate); put(row.dueDate)
                put(UInt16(currencyIndex))
                put(CSVRowSpill.code(of: row.status))
                put(UInt32(numberBytes.count)); put(UInt32(client))
                pending.append(contentsOf: UnsafeRawBufferPointer(out))
            }
            pending.append(contentsOf: numberBytes)
        }
        if pending.count >= CSVImport.blockSize { try flush() }
    }

    /// A status as one byte: its position in `statuses`.
    private static let statuses = InvoiceStatus.allCases
    private static func code(of status: InvoiceStatus) -> UInt8 {
        switch status {
        case .open: 0
        case .paid: 1
        case .cancelled: 2
        case .escalated: 3
        case .writtenOff: 4
        }
    }

    private func flush() throws {
        try pending.withUnsafeBytes { try write($0) }
        pending.removeAll(keepingCapacity: true)
    }

    /// Writes what is still pending and goes back to the start, for `reader`.
    func endWriting() throws {
        try flush()
        try rewind()
    }

    func reader() -> Reader { Reader(spill: self) }

    /// Reads the rows back, a block at a time.
    struct Reader {
        let spill: CSVRowSpill
        /// Bytes read and not yet decoded: `storage[start..<storage.count]`.
        private var storage: [UInt8] = []
        private var start = 0

        init(spill: CSVRowSpill) { self.spill = spill }

        /// `ids` given: the row names its client by id alone (see `CSVImportRows`).
        mutating func next(clients: [CSVRowValidator.KnownClient], ids: [String]? = nil) throws -> ImportRow {
            guard let length = try available(4).map({ Int(load(UInt32.self, at: $0)) }), try available(length) != nil else {
                throw OverdueError(.ioError, "the rows kept for the import ended early")
            }
            let currencies = spill.currencies
            // One borrow of the block for the whole record.
            let row = storage.withUnsafeBufferPointer { block in
                let raw = UnsafeRawBufferPointer(block)
                var at = start + 4
                func take<T: FixedWidthInteger>(_: T.Type) -> T {
                    defer { at += MemoryLayout<T>.size }
                    return T(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: T.self))
                }
                func takeDate() -> LocalDate {
                    LocalDate(year: Int(take(UInt16.self)), month: Int(take(UInt8.self)), day: Int(take(UInt8.self)))!
                }
                let line = Int(take(Int64.self)), amount = take(Int64.self), paid = take(Int64.self)
                let issue = takeDate(), due = takeDate()
                let currency = currencies[Int(take(UInt16.self))]
                let status = CSVRowSpill.statuses[Int(take(UInt8.self))]
                let numberCount = Int(take(UInt32.self)), client = Int(take(UInt32.self))
                let number = String(decoding: UnsafeBufferPointer(rebasing: block[at..<(at + numberCount)]), as: UTF8.self)
                let (id, name, emails) = ids.map { ($0[client], "", []) } ?? (clients[client].id, clients[client].name, clients[client].emails)
                return ImportRow(line: line, number: number, clientID: id, clientName: name, clientEmails: emails,
                                 issueDate: issue, dueDate: due, amount: Money(minorUnits: amount, currency: currency),
                                 paid: Money(minorUnits: paid, currency: currency), status: status)
            }
            start += length
            return row
        }

        private func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
            storage.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        }

        /// The offset of `count` bytes from `start` on, reading more as needed; nil at the end.
        private mutating func available(_ count: Int) throws -> Int? {
            while storage.count - start < count {
                storage.removeSubrange(..<start)
                start = 0
                // Read into fresh, uninitialised memory: zero-filling a block for each refill
                // would cost as much as the read (and far more in a debug build).
                let block = try [UInt8](unsafeUninitializedCapacity: max(CSVImport.blockSize, count)) { buffer, initialized in
                    initialized = try spill.read(UnsafeMutableRawBufferPointer(buffer))
                }
                if block.isEmpty { return nil }
                storage.append(contentsOf: block)
            }
            return start
        }
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
