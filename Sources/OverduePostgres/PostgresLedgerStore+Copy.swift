import Foundation
import OverdueCore

/// `overdue ledger copy` in and out of a PostgreSQL ledger: rows as stored, ids and audit
/// sequence numbers kept (the identity sequences are moved past the copied ids).
extension PostgresLedgerStore: LedgerCopySource, LedgerCopyDestination {
    public func readingSnapshot<T>(_ body: () throws -> T) throws -> T {
        try reading(body)
    }

    public func copyRows(_ table: LedgerCopy.Table, _ body: ([LedgerCell]) throws -> Void) throws {
        try reading {
            let cursor = "copy_\(table.name)"
            try db.execute("DECLARE \(cursor) NO SCROLL CURSOR FOR SELECT \(table.columnList) FROM \(table.name) ORDER BY \(table.key)")
            defer { _ = try? db.execute("CLOSE \(cursor)") }
            var page = Page(db: db, cursor: cursor)
            var row: [LedgerCell] = []
            while let (rows, index) = try page.next() {
                row.removeAll(keepingCapacity: true)
                for (column, spec) in table.columns.enumerated() {
                    if rows.isNull(index, column) {
                        row.append(.null)
                        continue
                    }
                    switch spec.kind {
                    case .int: row.append(.int(rows.int(index, column)))
                    case .text: row.append(.text(rows.text(index, column)))
                    case .bytes: row.append(.bytes(rows.bytes(index, column)))
                    }
                }
                try body(row)
            }
        }
    }

    public func receiveCopy(_ fill: ((LedgerCopy.Table, [LedgerCell]) throws -> Void) throws -> Void) throws {
        try locked {
            try db.transaction {
                try PGAuditAppender.lockChain(db)
                for table in LedgerCopy.tables where try db.query("SELECT 1 FROM \(table.name) LIMIT 1").count > 0 {
                    throw OverdueError(.cannotCreate, "\(label): the ledger is not empty (table \(table.name) has rows); a copy goes into a new ledger only; nothing changed")
                }
                // Rows go in by the hundred, one statement each (tables arrive one after another).
                var pending: (table: LedgerCopy.Table, values: [PGValue], rows: Int)?
                func flush() throws {
                    guard let batch = pending, batch.rows > 0 else { return }
                    try PGBatch.insert(db, "INSERT INTO \(batch.table.name) (\(batch.table.columnList)) VALUES",
                                       columns: batch.table.columns.count, rows: batch.rows, batch.values)
                    pending = nil
                }
                try fill { table, row in
                    if let batch = pending, batch.table.name != table.name || batch.rows == 500 { try flush() }
                    var batch = pending ?? (table, [], 0)
                    for cell in row {
                        switch cell {
                        case .null: batch.values.append(.null)
                        case .int(let v): batch.values.append(.int(v))
                        case .text(let s): batch.values.append(.text(s))
                        case .bytes(let b): batch.values.append(.bytes(b))
                        }
                    }
                    batch.rows += 1
                    pending = batch
                }
                try flush()
                for table in ["payments", "messages", "dispatches", "fees"] {
                    try db.query("SELECT setval(pg_get_serial_sequence('\(table)', 'id'), coalesce((SELECT max(id) FROM \(table)), 0) + 1, false)")
                }
            }
        }
    }
}
