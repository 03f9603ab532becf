import CLibPQ
import OverdueCore

/// Rows for `COPY … FROM STDIN` in text format: columns separated by a tab, rows ended by a
/// newline, NULL as `\N`, and a backslash, tab, newline or carriage return inside a value
/// escaped (`\\`, `\t`, `\n`, `\r`), so any text goes through unchanged. Bytes go as BYTEA's
/// hex text (`\x…`, its backslash escaped too).
struct PGCopyRows {
    private(set) var bytes: [UInt8] = []
    private(set) var rows = 0
    private var atRowStart = true

    private mutating func separate() {
        if !atRowStart { bytes.append(UInt8(ascii: "\t")) }
        atRowStart = false
    }

    mutating func text(utf8 value: [UInt8]) {
        value.withUnsafeBufferPointer { append(escaping: $0) }
    }

    mutating func text(_ value: String) {
        var value = value
        value.withUTF8 { append(escaping: $0) }
    }

    private mutating func append(escaping value: UnsafeBufferPointer<UInt8>) {
        separate()
        // Most values need no escape: copied whole.
        guard value.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\n")
                                      || $0 == UInt8(ascii: "\r") }) else {
            bytes.append(contentsOf: value)
            return
        }
        for byte in value {
            switch byte {
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\t"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case UInt8(ascii: "\n"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            default: bytes.append(byte)
            }
        }
    }

    mutating func text(_ value: String?) {
        if let value { text(value) } else { null() }
    }

    mutating func int(_ value: Int64) {
        separate()
        ByteText.append(value, to: &bytes)
    }

    /// `YYYY-MM-DD`, as `LocalDate.description` spells it; `spelled` (emptied first) is left
    /// holding those bytes, for a caller that writes the date again (an audit entry's details).
    mutating func date(_ value: LocalDate, spelled: inout [UInt8]) {
        spelled.removeAll(keepingCapacity: true)
        ByteText.append(value, to: &spelled)
        separate()
        bytes.append(contentsOf: spelled)
    }

    mutating func int(_ value: Int64?) {
        if let value { int(value) } else { null() }
    }

    mutating func bytea(_ value: [UInt8]) {
        separate()
        bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\"), UInt8(ascii: "x")]
        ByteText.appendHex(bytes: value, to: &bytes)
    }

    mutating func null() {
        separate()
        bytes += [UInt8(ascii: "\\"), UInt8(ascii: "N")]
    }

    mutating func endRow() {
        bytes.append(UInt8(ascii: "\n"))
        rows += 1
        atRowStart = true
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        rows = 0
        atRowStart = true
    }

    /// The rows in another order: `ranges` are the rows' byte ranges, in the order wanted.
    mutating func reorder(_ ranges: [Range<Int>], using spare: inout [UInt8]) {
        spare.removeAll(keepingCapacity: true)
        spare.reserveCapacity(bytes.count)
        for range in ranges { spare.append(contentsOf: bytes[range]) }
        swap(&bytes, &spare)
    }
}

/// A `COPY … FROM STDIN` kept open while its rows are made: every `block` bytes go to the
/// server at once, so the server inserts them while the client makes the next ones, instead of
/// the two taking turns; an `ordered` one keeps its rows until `finish` and sends them sorted.
/// Nothing else may run on the session while it is open: `finish` it before any other
/// statement (or another COPY), `abandon` it when the transaction fails.
struct PGCopyStream {
    let table: String
    let columns: String
    /// The rows made and not yet sent; add with its methods, then call `rowAdded`.
    var rows = PGCopyRows()
    private(set) var isOpen = false
    private var failed = false
    /// Ordered streams keep their rows until `finish` and send them sorted by a key.
    private let ordered: Bool
    private var keys: [(key: String, range: Range<Int>)] = []
    private var spare: [UInt8] = []
    /// Large enough that a send costs little beside the rows, small enough that the server is
    /// never long without work.
    static let block = 1 << 18

    /// `ordered`: the rows of one COPY go sorted by the key given with each (see `rowAdded`).
    init(into table: String, columns: String, ordered: Bool = false) {
        self.table = table
        self.columns = columns
        self.ordered = ordered
    }

    /// Sends what was made once a block is full; an ordered stream notes the row's `key`.
    mutating func rowAdded(_ db: PGConnection, key: String = "") throws {
        if ordered {
            keys.append((key, (keys.last?.range.upperBound ?? 0)..<rows.bytes.count))
            return
        }
        if rows.bytes.count >= Self.block { try send(db) }
    }

    private mutating func send(_ db: PGConnection) throws {
        guard rows.rows > 0 else { return }
        if ordered {
            keys.sort { $0.key < $1.key }
            rows.reorder(keys.map(\.range), using: &spare)
            keys.removeAll(keepingCapacity: true)
        }
        if !isOpen {
            try db.startCopy(into: table, columns: columns)
            isOpen = true
        }
        if !db.putCopy(rows.bytes) {
            failed = true
            try finish(db)
        }
        rows.removeAll()
    }

    /// Sends the rest and ends the COPY; the server's error (a duplicate key...) is thrown here.
    mutating func finish(_ db: PGConnection) throws {
        if !failed { try send(db) }
        guard isOpen else { return }
        isOpen = false
        let sent = !failed
        failed = false
        try db.endCopy(sent: sent)
    }

    /// Ends an open COPY with an error, so the session can roll the transaction back.
    mutating func abandon(_ db: PGConnection) {
        rows.removeAll()
        keys.removeAll()
        guard isOpen else { return }
        isOpen = false
        failed = false
        try? db.endCopy(sent: false)
    }
}

extension PGConnection {
    /// Runs `COPY table (columns) FROM STDIN` with `rows`: one round trip for any number of
    /// rows, and no statement to parse per row. A failed row fails the statement (and the
    /// caller's transaction), as a failed INSERT does.
    func copy(into table: String, columns: String, _ rows: PGCopyRows) throws {
        guard rows.rows > 0 else { return }
        try startCopy(into: table, columns: columns)
        try endCopy(sent: putCopy(rows.bytes))
    }

    func startCopy(into table: String, columns: String) throws {
        let conn = try live()
        let sql = "COPY \(table) (\(columns)) FROM STDIN"
        guard let start = PQexec(conn, sql) else { return try failCopy(nil) }
        guard PQresultStatus(start) == PGRES_COPY_IN else { return try failCopy(start) }
        PQclear(start)
    }

    /// Sends rows of an open COPY (blocking while the server is behind); false when they could not go.
    func putCopy(_ bytes: [UInt8]) -> Bool {
        guard let conn = try? live() else { return false }
        return bytes.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let length = min(1 << 20, buffer.count - offset)
                let chunk = buffer.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self)
                guard PQputCopyData(conn, chunk, Int32(length)) == 1 else { return false }
                offset += length
            }
            return true
        }
    }

    /// Ends an open COPY (with an error when `sent` is false) and reads its outcome.
    func endCopy(sent: Bool) throws {
        let conn = try live()
        _ = PQputCopyEnd(conn, sent ? nil : "overdue: the rows could not be sent")
        var failure: (any Error)?
        while let result = PQgetResult(conn) {
            if PQresultStatus(result) == PGRES_COPY_IN {
                // The end of the data never reached the server: the session is gone.
                PQclear(result)
                failure = failure ?? OverdueError(.ioError, "\(label): the connection to the database was lost")
                markConnectionLost()
                break
            }
            if failure != nil {
                PQclear(result)
                continue
            }
            do { _ = try check(result) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    private func failCopy(_ result: OpaquePointer?) throws {
        // Throws the server's error; a result that is no error is freed with `PGResult`.
        _ = try check(result)
        throw OverdueError(.ioError, "\(label): COPY did not start")
    }
}
