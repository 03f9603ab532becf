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
