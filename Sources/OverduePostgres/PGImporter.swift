import Foundation
import OverdueCore

/// The import's running state across groups and chunks.
struct PGImporter {
    let store: PostgresLedgerStore
    let now: Int64
    var summary = ImportSummary()
    var rowsDone = 0
    var blockedClients: Set<String> = []
    /// True while the ledger holds no invoice but this import's: a number not seen before is
    /// then new without a lookup (nil until the first chunk looked).
    private var insertFirst: Bool?
    /// The audit seq this import's last chunk committed at: any other audited change (every
    /// write of an invoice is one) moves it, and then every row is looked up again.
    private var committedSeq: Int64?
    /// Hashes of the numbers written while `insertFirst`: a number seen again (or a collision)
    /// is looked up, its earlier self written first.
    private var seen: Set<Int> = []
    private var invoices = PGCopyStream(into: "invoices", columns: "number, client_id, issue_date, due_date, currency, "
                                            + "amount_minor, paid_imported_minor, status, hold, hold_reason, created_at, updated_at",
                                      ordered: true)
    /// The dates of the invoice just written to the COPY, as written there: its audit entry's
    /// details reuse them.
    private var issueBytes: [UInt8] = []
    private var dueBytes: [UInt8] = []
    private var details: [UInt8] = []
    private var insertedDetails = ImportRules.InsertedDetails()
    private var numbers: [UInt8] = []

    init(store: PostgresLedgerStore, now: Int64) {
        self.store = store
        self.now = now
        details.reserveCapacity(256)
    }

    private var db: PGConnection { store.db }

    static func clients(of rows: [ImportRow]) -> [ImportClient] {
        var last: [String: Int] = [:]
        for index in rows.indices { last[rows[index].clientID] = index }
        return last.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { ImportClient(id: $0.key, name: rows[$0.value].clientName, emails: rows[$0.value].clientEmails) }
    }

    /// Runs `body`; when it fails with the invoices' COPY open, the COPY is ended first, so the
    /// transaction can be rolled back.
    mutating func guarded<T>(_ body: (inout PGImporter) throws -> T) throws -> T {
        do {
            return try body(&self)
        } catch {
            invoices.abandon(db)
            throw error
        }
    }

    /// Called first in each chunk's transaction (the chain locked): decides whether new numbers
    /// need a lookup in this chunk.
    mutating func beginChunk(audit: inout PGAuditAppender) throws {
        let seq = try audit.headSeq()
        if insertFirst == nil {
            insertFirst = try db.scalarInt("SELECT CASE WHEN EXISTS (SELECT 1 FROM invoices) THEN 0 ELSE 1 END") == 1
        } else if insertFirst == true, seq != committedSeq {
            insertFirst = false
            seen = []
        }
    }

    /// After a chunk's commit: the audit seq it left.
    mutating func committed(seq: Int64) { committedSeq = seq }

    /// Ends the invoices' COPY; called before the chunk's audit entries are written.
    mutating func finish() throws {
        try invoices.finish(db)
    }

    mutating func upsertClients(_ clients: [ImportClient], audit: inout PGAuditAppender) throws {
        audit.holdEntries()
        try invoices.finish(db)
        var start = 0
        while start < clients.count {
            let group = clients[start..<min(start + PostgresLedgerStore.importGroup, clients.count)]
            start += group.count
            let rows = try db.query("SELECT \(PGColumns.client) FROM clients WHERE id = ANY($1::text[])",
                                    [.text(arrayLiteral(group.map(\.id)))])
            var existing: [String: Client] = [:]
            for row in 0..<rows.count {
                let client = rows.client(row)
                existing[client.id] = client
            }
            var inserts = PGCopyRows()
            for client in group {
                let (id, name, emails) = (client.id, client.name, client.emails)
                if let current = existing[id] {
                    let (updated, record) = ImportRules.update(current, name: name, emails: emails)
                    if let record {
                        try db.query("UPDATE clients SET name = $1, emails = $2, updated_at = $3 WHERE id = $4",
                                     [.text(updated.name), .text(joinAddresses(updated.emails)), .int(now), .text(id)])
                        try audit.append(record)
                    }
                    if updated.blocked { blockedClients.insert(id) }
                } else {
                    try ImportRules.newClient(id: id, name: name, emails: emails, details: &details)
                    inserts.text(id); inserts.text(name); inserts.text(joinAddresses(emails)); inserts.int(now); inserts.int(now)
                    inserts.endRow()
                    try audit.append(.clientAdded, invoice: nil, client: id, stage: nil, details: details)
                }
            }
            try db.copy(into: "clients", columns: "id, name, emails, created_at, updated_at", inserts)
            try audit.flush()
        }
    }

    mutating func upsert(_ rows: [ImportRow], source: String, audit: inout PGAuditAppender) throws {
        var invoices: [Invoice] = []
        var origins: [(source: String, line: Int)?] = []
        invoices.reserveCapacity(rows.count)
        origins.reserveCapacity(rows.count)
        for row in rows {
            invoices.append(Invoice(number: row.number, clientID: row.clientID, issueDate: row.issueDate, dueDate: row.dueDate,
                                    amount: row.amount, paid: row.paid, status: row.status))
            origins.append((source, row.line))
        }
        try upsert(invoices, origins: origins, audit: &audit)
    }

    /// One group: the existing rows looked up at once (while `insertFirst`, only the numbers
    /// seen before); new invoices go to the open COPY, which is ended before any lookup or
    /// update (a number repeated in the group is compared with its earlier self, as SQLite does).
    mutating func upsert(_ invoices: [Invoice], origins: [(source: String, line: Int)?], audit: inout PGAuditAppender) throws {
        guard !invoices.isEmpty else { return }
        audit.holdEntries()
        var lookedUp: [String] = []
        var repeated: Set<String> = []
        if insertFirst == true {
            for invoice in invoices where !seen.insert(invoice.number.hashValue).inserted {
                lookedUp.append(invoice.number)
                repeated.insert(invoice.number)
            }
        } else {
            lookedUp = invoices.map(\.number)
        }
        var existing: [String: StoredImportedInvoice] = [:]
        if !lookedUp.isEmpty {
            try self.invoices.finish(db)
            let rows = try db.query("""
                SELECT number, client_id, issue_date, due_date, currency, amount_minor, paid_imported_minor, status
                FROM invoices WHERE number = ANY($1::text[])
                """, [.text(arrayLiteral(lookedUp))])
            for row in 0..<rows.count {
                existing[rows.text(row, 0)] = StoredImportedInvoice(clientID: rows.text(row, 1), issueDate: rows.text(row, 2),
                                                                    dueDate: rows.text(row, 3), currency: rows.text(row, 4),
                                                                    amountMinor: rows.int(row, 5), paidImportedMinor: rows.int(row, 6),
                                                                    status: rows.text(row, 7))
            }
        }
        let lookingUp = insertFirst != true
        for (invoice, origin) in zip(invoices, origins) {
            guard let old = existing[invoice.number] else {
                try insert(invoice)
                if lookingUp || repeated.contains(invoice.number) {
                    existing[invoice.number] = StoredImportedInvoice(invoice)
                }
                try auditInserted(invoice, origin: origin, audit: &audit)
                continue
            }
            guard let (stored, record) = ImportRules.update(invoice, over: old, origin: origin) else {
                summary.unchanged += 1
                continue
            }
            try self.invoices.finish(db)
            try db.query("""
                UPDATE invoices SET client_id = $1, issue_date = $2, due_date = $3, currency = $4, amount_minor = $5,
                    paid_imported_minor = $6, status = $7, updated_at = $8
                WHERE number = $9
                """, [.text(stored.clientID), .text(stored.issueDate), .text(stored.dueDate), .text(stored.currency),
                      .int(stored.amountMinor), .int(stored.paidImportedMinor), .text(stored.status), .int(now), .text(invoice.number)])
            existing[invoice.number] = stored
            try audit.append(record)
            summary.updated += 1
        }
    }

    /// A new invoice's row, into the open COPY.
    private mutating func insert(_ invoice: Invoice) throws {
        invoices.rows.text(invoice.number); invoices.rows.text(invoice.clientID)
        invoices.rows.date(invoice.issueDate, spelled: &issueBytes)
        invoices.rows.date(invoice.dueDate, spelled: &dueBytes)
        invoices.rows.text(invoice.currency.code); invoices.rows.int(invoice.amount.minorUnits)
        invoices.rows.int(invoice.paid.minorUnits); invoices.rows.text(invoice.status.rawValue)
        invoices.rows.int(invoice.onHold ? 1 : 0); invoices.rows.text(invoice.holdReason)
        invoices.rows.int(now); invoices.rows.int(now)
        invoices.rows.endRow()
        try invoices.rowAdded(db, key: invoice.clientID)
    }

    /// Audits the invoice `insert` just wrote (`invoice.imported` with its source line, or
    /// `invoice.added`), its details written as bytes by the one writer both stores use.
    private mutating func auditInserted(_ invoice: Invoice, origin: (source: String, line: Int)?, audit: inout PGAuditAppender) throws {
        insertedDetails.write(invoice, origin: origin, issueDate: issueBytes, dueDate: dueBytes, to: &details)
        try audit.append(origin == nil ? .invoiceAdded : .invoiceImported, invoice: invoice.number,
                         client: invoice.clientID, stage: nil, details: details)
        ImportRules.countInserted(invoice, blockedClients: blockedClients, in: &summary)
    }


    /// A PostgreSQL array literal of texts, each quoted (`"` and `\\` escaped).
    private mutating func arrayLiteral(_ values: [String]) -> String {
        numbers.removeAll(keepingCapacity: true)
        numbers.append(UInt8(ascii: "{"))
        for (index, value) in values.enumerated() {
            if index > 0 { numbers.append(UInt8(ascii: ",")) }
            numbers.append(UInt8(ascii: "\""))
            for byte in value.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { numbers.append(UInt8(ascii: "\\")) }
                numbers.append(byte)
            }
            numbers.append(UInt8(ascii: "\""))
        }
        numbers.append(UInt8(ascii: "}"))
        return String(decoding: numbers, as: UTF8.self)
    }
}
