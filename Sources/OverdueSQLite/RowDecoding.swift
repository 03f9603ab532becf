import Foundation
import OverdueCore

/// The SELECT lists of the model values (`LedgerColumns`, shared with the PostgreSQL store):
/// the Core decoders read their columns by position.
enum Columns {
    static let client = LedgerColumns.client
    static let invoice = LedgerColumns.invoice
    static let dispatchFrom = LedgerColumns.dispatchFrom
    static let audit = LedgerColumns.audit
}

/// A statement's current row as the Core decoders read it.
struct SQLiteRow: LedgerRow {
    let statement: Statement

    func text(_ column: Int) -> String { statement.text(Int32(column)) }
    func optionalText(_ column: Int) -> String? { statement.optionalText(Int32(column)) }
    func int(_ column: Int) -> Int64 { statement.int(Int32(column)) }
    func optionalInt(_ column: Int) -> Int64? { statement.optionalInt(Int32(column)) }
    func bool(_ column: Int) -> Bool { statement.bool(Int32(column)) }
    func hex(_ column: Int) -> String { statement.hexBlob(Int32(column)) }

    /// Read in place, exactly as `LocalDate(String)` reads it.
    func date(_ column: Int) -> LocalDate? {
        statement.withBytes(Int32(column)) { LocalDate(utf8: $0) }
    }

    /// A ledger uses a handful of currencies: matching the column's bytes against those met
    /// so far saves a String and a dictionary lookup per row.
    func currency(_ column: Int, known: inout [Currency]) -> Currency? {
        let match = statement.withBytes(Int32(column)) { bytes in
            known.first { $0.code.utf8.withContiguousStorageIfAvailable { $0.elementsEqual(bytes) } ?? false }
        }
        if let match { return match }
        guard let currency = Currency(code: text(column)) else { return nil }
        known.append(currency)
        return currency
    }
}

extension Statement {
    func client(from start: Int32 = 0) -> Client { Client(row: SQLiteRow(statement: self), from: Int(start)) }

    /// `currencies` carries the currencies met so far across the rows of one cursor.
    func invoice(path: String, currencies: inout [Currency]) throws -> Invoice {
        try Invoice(row: SQLiteRow(statement: self), ledger: path, currencies: &currencies)
    }

    func invoice(path: String) throws -> Invoice {
        var currencies: [Currency] = []
        return try invoice(path: path, currencies: &currencies)
    }

    func dispatch(path: String) throws -> Dispatch { try Dispatch(row: SQLiteRow(statement: self), ledger: path) }

    func auditEntry() -> AuditEntry { AuditEntry(row: SQLiteRow(statement: self)) }
}
