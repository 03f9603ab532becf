import Foundation
import OverdueCore

extension SQLiteLedgerStore {
    /// Brings client ids and invoice numbers stored before overdue normalised them to NFC
    /// (`Identifier`) into NFC, once per ledger (recorded in `meta`), so that a command or an
    /// import naming them in NFC finds them, and the ledger never holds two spellings of one id.
    ///
    /// Two rows whose ids differ only in normal form are two clients (or invoices) to SQLite and
    /// one to everything else; which one is meant cannot be decided here, so such a ledger is
    /// refused (65) with both named, and nothing is changed. Audit entries keep the spelling
    /// they were written with: the trail is append-only and hash-chained.
    public func normalizeIdentifiers() throws {
        let key = "identifiers_form"
        if try meta(key) == "NFC" { return }
        try locked {
            try db.write {
                // Only ids with a non-ASCII character can be non-NFC; GLOB finds them without
                // building a string per row.
                let clients = try nonNFC("SELECT id FROM clients WHERE id GLOB '*[^ -~]*'")
                let invoices = try nonNFC("SELECT number FROM invoices WHERE number GLOB '*[^ -~]*'")
                try refuseCollisions(clients, table: "clients", column: "id", what: "client ids")
                try refuseCollisions(invoices, table: "invoices", column: "number", what: "invoice numbers")
                if !clients.isEmpty || !invoices.isEmpty {
                    try db.execute("PRAGMA defer_foreign_keys = ON")
                }
                for (old, new) in clients {
                    for sql in ["UPDATE clients SET id = ? WHERE id = ?", "UPDATE invoices SET client_id = ? WHERE client_id = ?"] {
                        try db.prepare(sql).bind(.text(new), .text(old)).run()
                    }
                }
                for (old, new) in invoices {
                    for sql in ["UPDATE invoices SET number = ? WHERE number = ?", "UPDATE payments SET invoice = ? WHERE invoice = ?",
                                "UPDATE dispatches SET invoice = ? WHERE invoice = ?"] {
                        try db.prepare(sql).bind(.text(new), .text(old)).run()
                    }
                }
                try db.prepare("INSERT INTO meta (key, value) VALUES (?, 'NFC') ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                    .bind(.text(key)).run()
            }
        }
    }

    /// `(stored, NFC)` for every value of the query's one column that is not NFC.
    private func nonNFC(_ sql: String) throws -> [(String, String)] {
        let cursor = try db.prepareCursor(sql)
        var found: [(String, String)] = []
        while try cursor.step() {
            let stored = cursor.text(0)
            let normal = Identifier.nfc(stored)
            if !stored.utf8.elementsEqual(normal.utf8) { found.append((stored, normal)) }
        }
        return found
    }

    private func refuseCollisions(_ pairs: [(String, String)], table: String, column: String, what: String) throws {
        var seen: [String: String] = [:]
        for (old, new) in pairs {
            let statement = try db.prepare("SELECT 1 FROM \(table) WHERE \(column) = ?")
            defer { statement.reset() }
            let exists = try statement.bind(.text(new)).step()
            // Two non-NFC spellings of one id collide with each other too (keys are NFC, so
            // Swift's canonical equality is byte equality here).
            let other = seen.updateValue(old, forKey: new)
            guard exists || other != nil else { continue }
            throw OverdueError(.dataError, "\(db.path): \(what) \(escaped(old)) and \(escaped(other ?? new)) differ only in Unicode normal form; "
                + "overdue treats them as one (NFC). Merge or rename one of them in the source and import again into a new ledger")
        }
    }

    /// The id with its non-ASCII scalars written as U+XXXX, so two spellings look different.
    private func escaped(_ text: String) -> String {
        "\"" + text.unicodeScalars.map { $0.isASCII ? String($0) : "\\u{" + ByteText.hex(UInt64($0.value), minimumCount: 1, uppercase: true) + "}" }.joined() + "\""
    }
}
