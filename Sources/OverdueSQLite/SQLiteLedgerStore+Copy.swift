import Foundation
import OverdueCore

/// `overdue ledger copy` in and out of a SQLite ledger: rows as stored, nothing re-derived.
extension SQLiteLedgerStore: LedgerCopySource, LedgerCopyDestination {
    public func readingSnapshot<T>(_ body: () throws -> T) throws -> T {
        try reading(body)
    }

    public func copyRows(_ table: LedgerCopy.Table, _ body: ([LedgerCell]) throws -> Void) throws {
        try reading {
            let cursor = try db.prepareCursor("SELECT \(table.columnList) FROM \(table.name) ORDER BY \(table.key)")
            var row: [LedgerCell] = []
            while try cursor.step() {
                row.removeAll(keepingCapacity: true)
                for (index, column) in table.columns.enumerated() {
                    let at = Int32(index)
                    if cursor.isNull(at) {
                        row.append(.null)
                        continue
                    }
                    switch column.kind {
                    case .int: row.append(.int(cursor.int(at)))
                    case .text: row.append(.text(cursor.text(at)))
                    case .bytes: row.append(.bytes(cursor.blob(at)))
                    }
                }
                try body(row)
            }
        }
    }

    public func receiveCopy(_ fill: ((LedgerCopy.Table, [LedgerCell]) throws -> Void) throws -> Void) throws {
        try locked {
            try db.write {
                for table in LedgerCopy.tables where try scalar("SELECT EXISTS (SELECT 1 FROM \(table.name))") == 1 {
                    throw OverdueError(.cannotCreate, "\(db.path): the ledger is not empty (table \(table.name) has rows); a copy goes into a new ledger only; nothing changed")
                }
                try fill { table, row in
                    let marks = Array(repeating: "?", count: table.columns.count).joined(separator: ", ")
                    let statement = try db.prepare("INSERT INTO \(table.name) (\(table.columnList)) VALUES (\(marks))")
                    for (index, cell) in row.enumerated() {
                        let value: SQLValue = switch cell {
                        case .null: .null
                        case .int(let v): .int(v)
                        case .text(let s): .text(s)
                        case .bytes(let b): .blob(b)
                        }
                        try statement.bind(value, at: Int32(index + 1))
                    }
                    try statement.run()
                }
            }
        }
    }
}
