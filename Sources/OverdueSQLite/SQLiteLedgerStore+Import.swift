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
        var next = rows.makeIterator()
        return try importRows(clients: ImportPosition.clients(of: rows), rowCount: rows.count, source: source,
                              context: context, numbersMayRepeat: true) { next.next() }
    }

    /// `importInvoices` from a stream: the file's clients (from `CSVImport.check`, in id byte
    /// order) and then its `rowCount` rows, pulled one at a time, so an import holds one chunk of
    /// rows, never the file.
    public func importInvoices(clients: [ImportClient], rowCount: Int, source: String, context: ChangeContext,
                               rows next: () throws -> ImportRow?) throws -> ImportSummary {
        // Checked rows: `CSVImport.check` refuses a file that names a number twice.
        try importRows(clients: clients, rowCount: rowCount, source: source, context: context, numbersMayRepeat: false, rows: next)
    }

    private func importRows(clients: [ImportClient], rowCount: Int, source: String, context: ChangeContext,
                            numbersMayRepeat: Bool, rows next: () throws -> ImportRow?) throws -> ImportSummary {
        try locked {
            // The rows go in in key order (invoices, audit) or in chunks of a sorted list
            // (clients), so pages are written once and a small page cache serves; the ledger's
            // larger one would only fill with pages the import has finished with.
            let cacheSize = try db.scalarInt("PRAGMA cache_size") ?? -2000
            try db.execute("PRAGMA cache_size = \(SQLiteLedgerStore.importCacheKiB)")
            defer { try? db.execute("PRAGMA cache_size = \(cacheSize)") }
            var importer = try Importer(store: self, now: storedSeconds(context.at), rows: numbersMayRepeat ? rowCount : nil)
            var position = ImportPosition(clients: clients)
            var committed = 0
            // A new invoice's `clients` foreign key needs no probe while every client the import
            // upserted still stands: the import upserts all the file's clients before any invoice,
            // and only another connection's commit could have removed or renamed one since. SQLite
            // changes the setting only outside a transaction, so it is switched per chunk, and a
            // chunk that finds such a commit at its start is begun again with the probe on.
            let foreignKeys = try db.scalarInt("PRAGMA foreign_keys") == 1
            do {
                // SQLite writes each batch of rows while the next is built (`WriteBehind`).
                try db.writingBehind {
                    while true {
                        let unprobed = foreignKeys && importer.clientsStand
                        if unprobed { try db.execute("PRAGMA foreign_keys = OFF") }
                        do {
                            defer { if unprobed { try? db.execute("PRAGMA foreign_keys = ON") } }
                            try writing(context, batched: true) { audit in
                                try importer.beginChunk(unprobed: unprobed)
                                try upsert(source: source, from: &position, chunkSeconds: SQLiteLedgerStore.importChunk.seconds,
                                           importer: &importer, audit: &audit, rows: next)
                            }
                        } catch is Importer.ClientsMayHaveChanged {
                            continue
                        }
                        committed = position.rowsDone
                        if position.isDone { break }
                        Thread.sleep(forTimeInterval: SQLiteLedgerStore.importChunk.pause)
                    }
                }
            } catch var error as OverdueError where committed > 0 {
                error.details.append("\(source): \(committed) of \(rowCount) rows were imported before this failure; run the same import again to finish it")
                throw error
            }
            return importer.summary
        }
    }

    /// How long one chunk of an import may hold the write lock before it commits, and how long
    /// it then lets go: a waiting writer of this program tries again every
    /// `SQLiteConnection.busyPollMicroseconds`, so a pause of a few of those intervals is one
    /// that every waiter gets into (with time to be scheduled). The pause is time the import
    /// does not work; a waiting writer (the daemon recording an outcome, under a 10 s busy
    /// timeout) waits about one chunk.
    static let importChunk = (seconds: 1.0, pause: 5 * Double(SQLiteConnection.busyPollMicroseconds) / 1e6)

    /// The page cache of an import, in SQLite's negative-KiB form: enough for the clients a
    /// new invoice's foreign key is checked against, the rest passes through once.
    static let importCacheKiB = -32768

    /// Upserts from `position` on, clients first, until done or `chunkSeconds` have passed.
    private func upsert(source: String, from position: inout ImportPosition, chunkSeconds: Double?,
                        importer: inout Importer, audit: inout AuditAppender, rows next: () throws -> ImportRow?) throws {
        let started = DispatchTime.now().uptimeNanoseconds
        var counter = 0
        func overtime() -> Bool {
            counter += 1
            guard let chunkSeconds, counter & 63 == 0 else { return false }
            return Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 >= chunkSeconds
        }
        while position.nextClient < position.clients.count {
            let client = position.clients[position.nextClient]
            try importer.upsertClient(id: client.id, name: client.name, emails: client.emails, audit: &audit)
            position.nextClient += 1
            if overtime() { return try importer.finish() }
        }
        while let row = try next() {
            let invoice = Invoice(number: row.number, clientID: row.clientID, issueDate: row.issueDate, dueDate: row.dueDate,
                                  amount: row.amount, paid: row.paid, status: row.status)
            try importer.upsertInvoice(invoice, origin: (source, row.line), audit: &audit)
            position.rowsDone += 1
            if overtime() { return try importer.finish() }
        }
        position.isDone = true
        try importer.finish()
    }

    /// What `importInvoices` would do, exactly (same rules, same warnings), with nothing kept:
    /// the import runs in its transaction and is rolled back. For `import --dry-run`.
    public func previewImport(_ rows: [ImportRow], source: String, context: ChangeContext) throws -> ImportSummary {
        var next = rows.makeIterator()
        return try previewImport(clients: ImportPosition.clients(of: rows), source: source, context: context) { next.next() }
    }

    /// `previewImport` from a stream, as `importInvoices(clients:rowCount:source:context:rows:)`.
    public func previewImport(clients: [ImportClient], source: String, context: ChangeContext,
                              rows next: () throws -> ImportRow?) throws -> ImportSummary {
        struct RolledBack: Error { var summary: ImportSummary }
        do {
            _ = try db.writingBehind { try writing(context, batched: true) { audit -> ImportSummary in
                var importer = try Importer(store: self, now: storedSeconds(context.at))
                var position = ImportPosition(clients: clients)
                try importer.beginChunk()
                try upsert(source: source, from: &position, chunkSeconds: nil, importer: &importer, audit: &audit, rows: next)
                throw RolledBack(summary: importer.summary)
            } }
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

/// Where a chunked import is: each client once (in id byte order), then the rows in file order.
private struct ImportPosition {
    let clients: [ImportClient]
    var nextClient = 0
    var rowsDone = 0
    var isDone = false

    init(clients: [ImportClient]) { self.clients = clients }

    /// The clients of rows given in memory: each with its last row's name and addresses.
    static func clients(of rows: [ImportRow]) -> [ImportClient] {
        var last: [String: Int] = [:]
        for index in rows.indices { last[rows[index].clientID] = index }
        return last.sorted { Identifier.precedes($0.key, $1.key) }
            .map { ImportClient(id: $0.key, name: rows[$0.value].clientName, emails: rows[$0.value].clientEmails) }
    }
}
