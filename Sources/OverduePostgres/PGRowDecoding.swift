import Foundation
import OverdueCore

/// The SELECT lists of the model values (`LedgerColumns`, shared with the SQLite store): the
/// Core decoders read their columns by position.
enum PGColumns {
    static let client = LedgerColumns.client
    static let invoice = LedgerColumns.invoice
    static let dispatchFrom = LedgerColumns.dispatchFrom
    static let audit = LedgerColumns.audit
}

/// One row of a result as the Core decoders read it.
struct PGRow: LedgerRow {
    let result: PGResult
    let row: Int

    func text(_ column: Int) -> String { result.text(row, column) }
    func optionalText(_ column: Int) -> String? { result.optionalText(row, column) }
    func int(_ column: Int) -> Int64 { result.int(row, column) }
    func optionalInt(_ column: Int) -> Int64? { result.optionalInt(row, column) }
    func bool(_ column: Int) -> Bool { result.bool(row, column) }
    func hex(_ column: Int) -> String { result.hex(row, column) }
}

extension PGResult {
    func client(_ row: Int, from start: Int = 0) -> Client { Client(row: PGRow(result: self, row: row), from: start) }

    func invoice(_ row: Int, label: String) throws -> Invoice {
        var currencies: [Currency] = []
        return try Invoice(row: PGRow(result: self, row: row), ledger: label, currencies: &currencies)
    }

    func dispatch(_ row: Int, label: String) throws -> Dispatch { try Dispatch(row: PGRow(result: self, row: row), ledger: label) }

    func auditEntry(_ row: Int) -> AuditEntry { AuditEntry(row: PGRow(result: self, row: row)) }
}
