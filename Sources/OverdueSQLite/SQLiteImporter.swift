import Foundation
import OverdueCore

/// The import's state across its chunks: prepared statements, the clients seen so far and the
/// running summary. Existing invoices are looked up one primary-key probe per row, which
/// keeps memory flat however large the ledger is.
struct Importer {
    let store: SQLiteLedgerStore
    let now: Int64
    var summary = ImportSummary()
    /// Ids of the blocked clients this import touched (new invoices for them get a warning).
    var blockedClients: Set<String> = []

    /// Prepared once per import and reused for every row.
    private let lookup: Statement
    /// The ledger had no invoices when the import began, and no other process has committed
    /// anything since (decided again at each chunk, see `beginChunk`).
    private var insertFirst: Bool?
    /// The same for clients: the ledger had none, so a client is added without a lookup.
    private var clientsFirst: Bool?
    /// `PRAGMA data_version` at the previous chunk: it changes when another connection commits.
    private var dataVersion: Int64?
    /// No other connection has committed since the import began, so every client it upserted
    /// in an earlier chunk is still there (decided at each chunk, see `beginChunk`).
    private(set) var clientsStand = true
    /// New invoices, written 64 to a statement; flushed before the chunk commits.
    private var batched: BatchInsert
    /// Hash values of the numbers this import has batched: a number seen again (rows given in
    /// memory may repeat one; a checked file never does) is flushed and compared, not inserted
    /// twice. A collision only sends a row down the careful path.
    private var seen: Set<Int> = []
    private let numbersMayRepeat: Bool
    /// New clients in `clientsFirst` mode, batched the same way; flushed before any invoice
    /// (which refers to its client) is written.
    private var newClients: BatchInsert
    /// Reused byte buffers for the row being inserted.
    private var issueBytes: [UInt8] = []
    private var dueBytes: [UInt8] = []
    private var details: [UInt8] = []
    private var insertedDetails = ImportRules.InsertedDetails()

    /// `rows`: how many rows the import has when their numbers may repeat (room for them in
    /// `seen` is made once); nil when they cannot (a checked file's), and `seen` is not kept.
    init(store: SQLiteLedgerStore, now: Int64, rows: Int? = 0) throws {
        self.store = store
        self.now = now
        numbersMayRepeat = rows != nil
        seen.reserveCapacity(rows ?? 0)
        lookup = try store.db.prepare("""
            SELECT client_id, issue_date, due_date, currency, amount_minor, paid_imported_minor, status
            FROM invoices WHERE number = ?
            """)
        batched = BatchInsert(store.db, prefix: """
            INSERT INTO invoices (number, client_id, issue_date, due_date, currency, amount_minor,
                paid_imported_minor, status, hold, hold_reason, created_at, updated_at) VALUES
            """, columns: 12)
        newClients = BatchInsert(store.db, prefix: "INSERT INTO clients (id, name, emails, created_at, updated_at) VALUES", columns: 5)
        details.reserveCapacity(256)
    }

    private var db: SQLiteConnection { store.db }

    /// Another connection committed between two chunks of an import that had switched the
    /// foreign-key probe off for the second: that chunk is given up (it wrote nothing) and begun
    /// again with the probe on.
    struct ClientsMayHaveChanged: Error {}

    /// Called first in each chunk's transaction. Rows go in without a lookup only while the
    /// ledger holds nothing but what this import put there. `unprobed`: the chunk runs with
    /// foreign keys off, which only `clientsStand` allows; throws `ClientsMayHaveChanged` when
    /// it no longer does.
    mutating func beginChunk(unprobed: Bool = false) throws {
        let version = try db.scalarInt("PRAGMA data_version")
        defer { dataVersion = version }
        if insertFirst == nil {
            insertFirst = try db.scalarInt("SELECT NOT EXISTS (SELECT 1 FROM invoices)") == 1
            clientsFirst = try db.scalarInt("SELECT NOT EXISTS (SELECT 1 FROM clients)") == 1
        } else if version != dataVersion {
            insertFirst = false
            clientsFirst = false
            clientsStand = false
            if unprobed { throw ClientsMayHaveChanged() }
        }
    }

    mutating func upsertClient(id: String, name: String, emails: [String], audit: inout AuditAppender) throws {
        // Each client comes once (an import lists the file's clients once): into a ledger that had
        // none, every one is new.
        if let current = clientsFirst == true ? nil : try store.fetchClient(id) {
            let (updated, record) = ImportRules.update(current, name: name, emails: emails)
            if let record {
                try db.prepare("UPDATE clients SET name = ?, emails = ?, updated_at = ? WHERE id = ?")
                    .bind(.text(updated.name), .text(joinAddresses(updated.emails)), .int(now), .text(id)).run()
                try audit.append(record)
            }
            if updated.blocked { blockedClients.insert(id) }
        } else {
            try ImportRules.newClient(id: id, name: name, emails: emails, details: &details)
            newClients.append(.text(id)); newClients.append(.text(name)); newClients.append(.text(joinAddresses(emails)))
            newClients.append(.int(now)); newClients.append(.int(now))
            try newClients.endRow()
            try audit.append(.clientAdded, invoice: nil, client: id, stage: nil, details: details)
        }
    }

    /// The stored fields import compares, or nil for a new number.
    func existing(_ number: String) throws -> StoredImportedInvoice? {
        let statement = lookup
        statement.reset()
        defer { statement.reset() }
        try statement.bind(.text(number), at: 1)
        guard try statement.step() else { return nil }
        return StoredImportedInvoice(clientID: statement.text(0), issueDate: statement.text(1), dueDate: statement.text(2),
                             currency: statement.text(3), amountMinor: statement.int(4),
                             paidImportedMinor: statement.int(5), status: statement.text(6))
    }

    mutating func upsertInvoice(_ invoice: Invoice, origin: (source: String, line: Int)?, audit: inout AuditAppender) throws {
        if !newClients.isEmpty { try newClients.flush() }
        // Into an empty ledger (the large first import) a number not seen before is new: it is
        // batched without a lookup. Any other row is looked up, with its earlier self written first.
        let new = !numbersMayRepeat || seen.insert(invoice.number.hashValue).inserted
        if !new { try batched.flush() }
        guard let old = new && insertFirst == true ? nil : try existing(invoice.number) else {
            try batchRow(invoice)
            return try auditInserted(invoice, origin: origin, audit: &audit)
        }
        guard let (stored, record) = ImportRules.update(invoice, over: old, origin: origin) else {
            summary.unchanged += 1
            return
        }
        try db.prepare("""
            UPDATE invoices SET client_id = ?, issue_date = ?, due_date = ?, currency = ?, amount_minor = ?,
                paid_imported_minor = ?, status = ?, updated_at = ?
            WHERE number = ?
            """)
            .bind(.text(stored.clientID), .text(stored.issueDate), .text(stored.dueDate), .text(stored.currency),
                  .int(stored.amountMinor), .int(stored.paidImportedMinor), .text(stored.status), .int(now), .text(invoice.number))
            .run()
        try audit.append(record)
        summary.updated += 1
    }

    private mutating func batchRow(_ invoice: Invoice) throws {
        issueBytes.removeAll(keepingCapacity: true)
        ByteText.append(invoice.issueDate, to: &issueBytes)
        dueBytes.removeAll(keepingCapacity: true)
        ByteText.append(invoice.dueDate, to: &dueBytes)
        batched.append(.text(invoice.number)); batched.append(.text(invoice.clientID))
        batched.append(.utf8(issueBytes)); batched.append(.utf8(dueBytes)); batched.append(.text(invoice.currency.code))
        batched.append(.int(invoice.amount.minorUnits)); batched.append(.int(invoice.paid.minorUnits))
        batched.append(.text(invoice.status.rawValue)); batched.append(.bool(invoice.onHold))
        batched.append(.optional(invoice.holdReason)); batched.append(.int(now)); batched.append(.int(now))
        try batched.endRow()
    }

    /// Writes the rows still batched; called before the transaction commits.
    mutating func finish() throws {
        try newClients.flush()
        try batched.flush()
    }

    /// Audits a new invoice (`invoice.imported` with its source line, or `invoice.added`).
    /// The hot path of a large first import: details are written as bytes (`ImportRules.InsertedDetails`).
    private mutating func auditInserted(_ invoice: Invoice, origin: (source: String, line: Int)?, audit: inout AuditAppender) throws {
        insertedDetails.write(invoice, origin: origin, issueDate: issueBytes, dueDate: dueBytes, to: &details)
        try audit.append(origin == nil ? .invoiceAdded : .invoiceImported, invoice: invoice.number,
                         client: invoice.clientID, stage: nil, details: details)
        ImportRules.countInserted(invoice, blockedClients: blockedClients, in: &summary)
    }
}
