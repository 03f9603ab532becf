import Foundation
import OverdueCore

extension SQLiteLedgerStore {
    /// Upserts every row, auditing each inserted (`invoice.imported`) and changed
    /// (`invoice.updated`, with each changed field's old and new value) invoice.
    /// Identical rows write nothing, so re-importing a file is a no-op.
    ///
    /// The rows arrive validated (a bad row refuses the whole file before this is called) and
    /// nothing below refuses a valid row, so the import is committed in chunks of about
    /// `chunkSeconds`: another writer (the daemon recording an outcome) waits for one chunk,
    /// never for the whole file. Only an I/O failure or a crash can stop it part-way; the rows
    /// committed by then are audited like any others, and running the same import again
    /// finishes it (the rows already in are unchanged, so they write nothing).
    ///
    /// Rules the CSV cannot express:
    /// - A client's name and addresses come from its last row in the file, so a file that lists
    ///   a client differently on two rows still re-imports as a no-op. Clients are upserted
    ///   before the invoices, in id order: new ones audited `client.added`, changed ones
    ///   `client.updated`.
    /// - Status: the CSV's `paid` and `cancelled` win over anything the ledger has (the
    ///   accounting tool is authoritative about settlement), but `open` never reopens an invoice
    ///   the ledger has moved on (paid by recorded payments, escalated, written off, cancelled).
    /// - `paid` is the imported total; payments recorded with `invoice pay` add to it.
    /// - Holds and dispatch history are the ledger's own and never touched by import.
    public func importInvoices(_ rows: [ImportRow], source: String, context: ChangeContext) throws -> ImportSummary {
        try locked {
            var importer = try Importer(store: self, now: storedSeconds(context.at))
            var position = ImportPosition(rows)
            var committed = 0
            do {
                while true {
                    try writing(context, batched: true) { audit in
                        try upsert(rows, source: source, from: &position, chunkSeconds: SQLiteLedgerStore.importChunk.seconds,
                                   importer: &importer, audit: &audit)
                    }
                    committed = position.nextRow
                    if position.isDone(rows) { break }
                    Thread.sleep(forTimeInterval: SQLiteLedgerStore.importChunk.pause)
                }
            } catch var error as OverdueError where committed > 0 {
                error.details.append("\(source): \(committed) of \(rows.count) rows were imported before this failure; run the same import again to finish it")
                throw error
            }
            return importer.summary
        }
    }

    /// How long one chunk of an import may hold the write lock before it commits, and how long
    /// it then lets go: SQLite's busy handler polls a waiting writer at most 100 ms apart, so a
    /// longer pause is one that every waiter gets into.
    static let importChunk = (seconds: 0.5, pause: 0.11)

    /// Upserts from `position` on, clients first, until done or `chunkSeconds` have passed.
    private func upsert(_ rows: [ImportRow], source: String, from position: inout ImportPosition, chunkSeconds: Double?,
                        importer: inout Importer, audit: inout AuditAppender) throws {
        try importer.beginChunk()
        let started = DispatchTime.now().uptimeNanoseconds
        var counter = 0
        func overtime() -> Bool {
            counter += 1
            guard let chunkSeconds, counter & 63 == 0 else { return false }
            return Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 >= chunkSeconds
        }
        // Rows are read in place through a buffer pointer: iterating the array copied each
        // row (a retain and release per field) a million times.
        try rows.withUnsafeBufferPointer { rows in
            while position.nextClient < position.clients.count {
                let (id, index) = position.clients[position.nextClient]
                let wanted = rows[index]
                try importer.upsertClient(id: id, name: wanted.clientName, emails: wanted.clientEmails, audit: &audit)
                position.nextClient += 1
                if overtime() { return }
            }
            while position.nextRow < rows.count {
                let index = position.nextRow
                let invoice = Invoice(number: rows[index].number, clientID: rows[index].clientID,
                                      issueDate: rows[index].issueDate, dueDate: rows[index].dueDate,
                                      amount: rows[index].amount, paid: rows[index].paid, status: rows[index].status)
                try importer.upsertInvoice(invoice, origin: (source, rows[index].line), audit: &audit)
                position.nextRow += 1
                if overtime() { return }
            }
        }
        try importer.finish()
    }

    /// What `importInvoices` would do, exactly (same rules, same warnings), with nothing kept:
    /// the import runs in its transaction and is rolled back. For `import --dry-run`.
    public func previewImport(_ rows: [ImportRow], source: String, context: ChangeContext) throws -> ImportSummary {
        struct RolledBack: Error { var summary: ImportSummary }
        do {
            _ = try writing(context, batched: true) { audit -> ImportSummary in
                var importer = try Importer(store: self, now: storedSeconds(context.at))
                var position = ImportPosition(rows)
                try upsert(rows, source: source, from: &position, chunkSeconds: nil, importer: &importer, audit: &audit)
                throw RolledBack(summary: importer.summary)
            }
        } catch let rolledBack as RolledBack {
            return rolledBack.summary
        }
        throw OverdueError(.ioError, "\(db.path): dry run was not rolled back")
    }

    /// Adds one invoice (`invoice add`), creating its client when new; audited `invoice.added`.
    /// An existing number is refused (65): `add` never overwrites.
    public func addInvoice(_ invoice: Invoice, client: Client, context: ChangeContext) throws -> ImportSummary {
        try writing(context) { audit in
            var importer = try Importer(store: self, now: storedSeconds(context.at))
            try importer.beginChunk()
            if try importer.existing(invoice.number) != nil {
                throw OverdueError(.dataError, "invoice \(invoice.number): already exists")
            }
            guard client.id == invoice.clientID else {
                throw OverdueError(.dataError, "invoice \(invoice.number): client \(client.id) does not match client_id \(invoice.clientID)")
            }
            try importer.upsertClient(id: client.id, name: client.name, emails: client.emails, audit: &audit)
            try importer.upsertInvoice(invoice, origin: nil, audit: &audit)
            try importer.finish()
            return importer.summary
        }
    }
}

/// Where a chunked import is: each client once (id byte order, the index of its last row),
/// then every row in file order.
private struct ImportPosition {
    var clients: [(id: String, index: Int)]
    var nextClient = 0
    var nextRow = 0

    init(_ rows: [ImportRow]) {
        var lastRow: [String: Int] = [:]
        for index in rows.indices { lastRow[rows[index].clientID] = index }
        clients = lastRow.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { ($0.key, $0.value) }
    }

    func isDone(_ rows: [ImportRow]) -> Bool { nextClient == clients.count && nextRow == rows.count }
}

/// The import's state across its chunks: prepared statements, the clients seen so far and the
/// running summary. Existing invoices are looked up one primary-key probe per row, which
/// keeps memory flat however large the ledger is.
private struct Importer {
    let store: SQLiteLedgerStore
    let now: Int64
    var summary = ImportSummary()
    /// Ids of the blocked clients this import touched (new invoices for them get a warning).
    var blockedClients: Set<String> = []

    /// Prepared once per import and reused for every row.
    private let lookup: Statement
    private let insert: Statement
    /// The ledger had no invoices when the import began, and no other process has committed
    /// anything since (decided again at each chunk, see `beginChunk`).
    private var insertFirst: Bool?
    /// `PRAGMA data_version` at the previous chunk: it changes when another connection commits.
    private var dataVersion: Int64?
    /// In `insertFirst` mode: hash values of the numbers inserted so far, and their rows.
    private var seen: Set<Int> = []
    private var batched: BatchInsert
    /// Reused byte buffers for the row being inserted.
    private var issueBytes: [UInt8] = []
    private var dueBytes: [UInt8] = []
    private var amountBytes: [UInt8] = []
    private var details: [UInt8] = []

    init(store: SQLiteLedgerStore, now: Int64) throws {
        self.store = store
        self.now = now
        lookup = try store.db.prepare("""
            SELECT client_id, issue_date, due_date, currency, amount_minor, paid_imported_minor, status
            FROM invoices WHERE number = ?
            """)
        insert = try store.db.prepare("""
            INSERT INTO invoices (number, client_id, issue_date, due_date, currency, amount_minor,
                paid_imported_minor, status, hold, hold_reason, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?11)
            ON CONFLICT (number) DO NOTHING
            """)
        batched = BatchInsert(store.db, prefix: """
            INSERT INTO invoices (number, client_id, issue_date, due_date, currency, amount_minor,
                paid_imported_minor, status, hold, hold_reason, created_at, updated_at) VALUES
            """, columns: 12)
        details.reserveCapacity(256)
    }

    private var db: SQLiteConnection { store.db }

    /// Called first in each chunk's transaction. Rows go in without a lookup only while the
    /// ledger holds nothing but what this import put there.
    mutating func beginChunk() throws {
        let version = try db.scalarInt("PRAGMA data_version")
        if insertFirst == nil {
            insertFirst = try db.scalarInt("SELECT NOT EXISTS (SELECT 1 FROM invoices)") == 1
        } else if version != dataVersion {
            insertFirst = false
        }
        dataVersion = version
    }

    mutating func upsertClient(id: String, name: String, emails: [String], audit: inout AuditAppender) throws {
        if let current = try store.fetchClient(id) {
            var changes: [(String, JSONValue)] = []
            // An empty name or address list (from `invoice add` naming only the id) keeps what is stored.
            if !name.isEmpty, current.name != name { changes.append(("name", change(.string(current.name), .string(name)))) }
            if !emails.isEmpty, current.emails != emails { changes.append(("emails", change(.strings(current.emails), .strings(emails)))) }
            var updated = current
            if !changes.isEmpty {
                if !name.isEmpty { updated.name = name }
                if !emails.isEmpty { updated.emails = emails }
                try db.prepare("UPDATE clients SET name = ?, emails = ?, updated_at = ? WHERE id = ?")
                    .bind(.text(updated.name), .text(joinAddresses(updated.emails)), .int(now), .text(id)).run()
                try audit.append(AuditRecord(.clientUpdated, client: id, details: [("changes", .object(changes))]))
            }
            if updated.blocked { blockedClients.insert(id) }
        } else {
            guard !name.isEmpty, !emails.isEmpty else {
                throw OverdueError(.dataError, "client \(id): not found; give its name and email to add it")
            }
            try db.prepare("INSERT INTO clients (id, name, emails, created_at, updated_at) VALUES (?, ?, ?, ?, ?)")
                .bind(.text(id), .text(name), .text(joinAddresses(emails)), .int(now), .int(now)).run()
            try audit.append(AuditRecord(.clientAdded, client: id, details: [("name", .string(name)), ("emails", .strings(emails))]))
        }
    }

    /// The stored fields import compares, or nil for a new number.
    func existing(_ number: String) throws -> StoredInvoice? {
        let statement = lookup
        statement.reset()
        defer { statement.reset() }
        try statement.bind(.text(number), at: 1)
        guard try statement.step() else { return nil }
        return StoredInvoice(clientID: statement.text(0), issueDate: statement.text(1), dueDate: statement.text(2),
                             currency: statement.text(3), amountMinor: statement.int(4),
                             paidImportedMinor: statement.int(5), status: statement.text(6))
    }

    mutating func upsertInvoice(_ invoice: Invoice, origin: (source: String, line: Int)?, audit: inout AuditAppender) throws {
        let currency = invoice.currency
        // Into an empty ledger (the large first import) a number not seen earlier in the file is
        // new: it is batched without a lookup. The set holds hash values, so a collision only
        // sends a row down the careful path below.
        if insertFirst == true {
            if seen.insert(invoice.number.hashValue).inserted {
                try batchRow(invoice)
                return try auditInserted(invoice, origin: origin, audit: &audit)
            }
            try batched.flush()   // the earlier row must be in the table before it is compared
        }
        guard let old = try existing(invoice.number) else {
            guard try insertRow(invoice) else { throw OverdueError(.ioError, "\(db.path): invoice \(invoice.number): insert failed") }
            return try auditInserted(invoice, origin: origin, audit: &audit)
        }
        let issue = invoice.issueDate.description, due = invoice.dueDate.description
        let oldCurrency = Currency(code: old.currency) ?? currency
        let status = Importer.resolvedStatus(csv: invoice.status, ledger: InvoiceStatus(rawValue: old.status) ?? .open)
        var changes: [(String, JSONValue)] = []
        func compare(_ field: String, _ before: String, _ after: String) {
            if before != after { changes.append((field, change(.string(before), .string(after)))) }
        }
        compare("client_id", old.clientID, invoice.clientID)
        compare("issue_date", old.issueDate, issue)
        compare("due_date", old.dueDate, due)
        compare("currency", old.currency, currency.code)
        compare("amount", Money.format(old.amountMinor, digits: oldCurrency.minorDigits), invoice.amount.decimalString)
        compare("paid", Money.format(old.paidImportedMinor, digits: oldCurrency.minorDigits), invoice.paid.decimalString)
        compare("status", old.status, status.rawValue)
        if changes.isEmpty {
            summary.unchanged += 1
            return
        }
        try db.prepare("""
            UPDATE invoices SET client_id = ?, issue_date = ?, due_date = ?, currency = ?, amount_minor = ?,
                paid_imported_minor = ?, status = ?, updated_at = ?
            WHERE number = ?
            """)
            .bind(.text(invoice.clientID), .text(issue), .text(due), .text(currency.code), .int(invoice.amount.minorUnits),
                  .int(invoice.paid.minorUnits), .text(status.rawValue), .int(now), .text(invoice.number))
            .run()
        var details: [(String, JSONValue)] = []
        if let origin { details = [("source", .string(origin.source)), ("line", .int(Int64(origin.line)))] }
        try audit.append(AuditRecord(.invoiceUpdated, invoice: invoice.number, client: invoice.clientID,
                                     details: details + [("changes", .object(changes))]))
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
        try batched.flush()
    }

    /// Inserts a new invoice; false when the number already exists (nothing written).
    private mutating func insertRow(_ invoice: Invoice) throws -> Bool {
        issueBytes.removeAll(keepingCapacity: true)
        ByteText.append(invoice.issueDate, to: &issueBytes)
        dueBytes.removeAll(keepingCapacity: true)
        ByteText.append(invoice.dueDate, to: &dueBytes)
        insert.reset()
        try insert.bind(.text(invoice.number), at: 1)
        try insert.bind(.text(invoice.clientID), at: 2)
        try insert.bind(.utf8(issueBytes), at: 3)
        try insert.bind(.utf8(dueBytes), at: 4)
        try insert.bind(.text(invoice.currency.code), at: 5)
        try insert.bind(.int(invoice.amount.minorUnits), at: 6)
        try insert.bind(.int(invoice.paid.minorUnits), at: 7)
        try insert.bind(.text(invoice.status.rawValue), at: 8)
        try insert.bind(.bool(invoice.onHold), at: 9)
        try insert.bind(.optional(invoice.holdReason), at: 10)
        try insert.bind(.int(now), at: 11)
        try insert.run()
        return db.changes == 1
    }

    /// Audits a new invoice (`invoice.imported` with its source line, or `invoice.added`).
    /// The hot path of a large first import: details are written as bytes, with no JSON tree.
    private mutating func auditInserted(_ invoice: Invoice, origin: (source: String, line: Int)?, audit: inout AuditAppender) throws {
        details.removeAll(keepingCapacity: true)
        var object = JSONObjectWriter()
        if let origin {
            object.key("source", to: &details)
            JSONValue.writeString(origin.source, to: &details)
            object.key("line", to: &details)
            ByteText.append(Int64(origin.line), to: &details)
        }
        object.key("issue_date", to: &details)
        JSONValue.writeString(utf8: issueBytes, to: &details)
        object.key("due_date", to: &details)
        JSONValue.writeString(utf8: dueBytes, to: &details)
        amountBytes.removeAll(keepingCapacity: true)
        ByteText.append(invoice.amount, to: &amountBytes)
        object.key("amount", to: &details)
        JSONValue.writeString(utf8: amountBytes, to: &details)
        amountBytes.removeAll(keepingCapacity: true)
        ByteText.append(invoice.paid, to: &amountBytes)
        object.key("paid", to: &details)
        JSONValue.writeString(utf8: amountBytes, to: &details)
        object.key("currency", to: &details)
        JSONValue.writeString(invoice.currency.code, to: &details)
        object.key("status", to: &details)
        JSONValue.writeString(invoice.status.rawValue, to: &details)
        object.end(to: &details)
        try audit.append(origin == nil ? .invoiceAdded : .invoiceImported, invoice: invoice.number,
                         client: invoice.clientID, stage: nil, details: details)
        summary.inserted += 1
        if !blockedClients.isEmpty, blockedClients.contains(invoice.clientID) {
            summary.warnings.append("warning: client \(invoice.clientID) is blocked; invoice \(invoice.number) imported but will never be reminded")
        }
    }

    /// The status an imported row leaves the invoice in (see `importInvoices`).
    static func resolvedStatus(csv: InvoiceStatus, ledger: InvoiceStatus) -> InvoiceStatus {
        switch csv {
        case .paid, .cancelled: csv
        case .open, .escalated, .writtenOff: ledger
        }
    }

    private func change(_ before: JSONValue, _ after: JSONValue) -> JSONValue {
        .object([("from", before), ("to", after)])
    }
}

/// An invoice's imported fields as stored, in their column form.
private struct StoredInvoice {
    var clientID: String
    var issueDate: String
    var dueDate: String
    var currency: String
    var amountMinor: Int64
    var paidImportedMinor: Int64
    var status: String
}
