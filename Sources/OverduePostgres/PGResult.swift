import CLibPQ
import Foundation
import OverdueCore

/// A result in text format: read by row and column, 0-based.
public final class PGResult {
    private let raw: OpaquePointer
    public let count: Int
    /// Rows changed by an INSERT, UPDATE or DELETE.
    public let changes: Int

    init(_ raw: OpaquePointer) {
        self.raw = raw
        count = Int(PQntuples(raw))
        changes = Int(String(cString: PQcmdTuples(raw))) ?? 0
    }

    deinit { PQclear(raw) }

    public func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(raw, Int32(row), Int32(column)) == 1 }

    public func text(_ row: Int, _ column: Int) -> String {
        let count = Int(PQgetlength(raw, Int32(row), Int32(column)))
        guard let bytes = PQgetvalue(raw, Int32(row), Int32(column)) else { return "" }
        return bytes.withMemoryRebound(to: UInt8.self, capacity: count) {
            String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self)
        }
    }

    public func int(_ row: Int, _ column: Int) -> Int64 {
        guard let bytes = PQgetvalue(raw, Int32(row), Int32(column)) else { return 0 }
        return strtoll(bytes, nil, 10)
    }

    public func bool(_ row: Int, _ column: Int) -> Bool { int(row, column) != 0 }

    public func optionalText(_ row: Int, _ column: Int) -> String? { isNull(row, column) ? nil : text(row, column) }

    public func optionalInt(_ row: Int, _ column: Int) -> Int64? { isNull(row, column) ? nil : int(row, column) }

    /// A BYTEA column (text format `\x…`) as bytes.
    public func bytes(_ row: Int, _ column: Int) -> [UInt8] {
        let hex = text(row, column)
        guard hex.hasPrefix("\\x") else { return Array(hex.utf8) }
        return ByteText.decodeHex(String(hex.dropFirst(2))) ?? []
    }

    /// A BYTEA column as lower-case hex (stored hashes).
    public func hex(_ row: Int, _ column: Int) -> String {
        let text = text(row, column)
        return text.hasPrefix("\\x") ? String(text.dropFirst(2)) : text
    }
}
