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
        bytes += String(value).utf8
    }

    mutating func int(_ value: Int64?) {
        if let value { int(value) } else { null() }
    }

    mutating func bytea(_ value: [UInt8]) {
        separate()
        bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\"), UInt8(ascii: "x")]
        let digits = Array("0123456789abcdef".utf8)
        for byte in value {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0f)])
        }
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
}

extension PGConnection {
    /// Runs `COPY table (columns) FROM STDIN` with `rows`: one round trip for any number of
    /// rows, and no statement to parse per row. A failed row fails the statement (and the
    /// caller's transaction), as a failed INSERT does.
    func copy(into table: String, columns: String, _ rows: PGCopyRows) throws {
        guard rows.rows > 0 else { return }
        let conn = try live()
        let sql = "COPY \(table) (\(columns)) FROM STDIN"
        guard let start = PQexec(conn, sql) else { return try failCopy(nil) }
        guard PQresultStatus(start) == PGRES_COPY_IN else { return try failCopy(start) }
        PQclear(start)
        let sent = rows.bytes.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let length = min(1 << 20, buffer.count - offset)
                let chunk = buffer.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self)
                guard PQputCopyData(conn, chunk, Int32(length)) == 1 else { return false }
                offset += length
            }
            return true
        }
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
