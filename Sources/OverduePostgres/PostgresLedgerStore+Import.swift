import Foundation
import OverdueCore

/// Invoice import with the SQLite store's rules (`SQLiteLedgerStore.importInvoices`): clients
/// first (each from its last row), then the rows in file order, each new invoice audited
/// `invoice.imported`, each changed one `invoice.updated` with its changes, identical ones
/// untouched; the CSV's `paid` and `cancelled` win, `open` never reopens.
///
/// Rows go in groups: one query looks up a group's existing invoices (none while the ledger
/// holds only what this import wrote), and the new ones go by one `COPY … FROM STDIN` per chunk
/// (or up to the next lookup), sorted by client: the server's foreign-key checks and
/// `invoices_by_client` inserts then walk the clients in order instead of at random, which
/// costs it markedly less CPU on a large ledger. The audit entries, in file order, go by COPY
/// after them. A row costs no statement of its own. The
/// import commits every `chunkRows` rows, so a daemon's audited write waits for one chunk,
/// never the whole file; a failure part-way leaves the committed chunks, and the same import
/// run again finishes it.
extension PostgresLedgerStore {
    static let importGroup = 5000
    static let chunkRows = 20_000

    public func importInvoices(_ rows: [ImportRow], source: String, context: ChangeContext) throws -> ImportSummary {
        var next = rows.makeIterator()
        return try importInvoices(clients: PGImporter.clients(of: rows), rowCount: rows.count, source: source,
                                  context: context) { next.next() }
    }

    public func importInvoices(clients: [ImportClient], rowCount: Int, source: String, context: ChangeContext,
                               rows next: () throws -> ImportRow?) throws -> ImportSummary {
        try locked {
            var importer = PGImporter(store: self, now: storedSeconds(context.at))
            var clientsDone = false
            var committed = 0
            var finished = false
            do {
                while !finished {
                    let seq = try writing(context, batched: true) { audit -> Int64 in
                        try importer.guarded { importer in
                            try importer.beginChunk(audit: &audit)
                            if !clientsDone {
                                try importer.upsertClients(clients, audit: &audit)
                                clientsDone = true
                            }
                            var group: [ImportRow] = []
                            var inChunk = 0
                            while inChunk < Self.chunkRows {
                                guard let row = try next() else {
                                    finished = true
                                    break
                                }
                                group.append(row)
                                inChunk += 1
                                if group.count == Self.importGroup {
                                    try importer.upsert(group, source: source, audit: &audit)
                                    importer.rowsDone += group.count
                                    group.removeAll(keepingCapacity: true)
                                }
                            }
                            try importer.upsert(group, source: source, audit: &audit)
                            importer.rowsDone += group.count
                            try importer.finish()
                            return try audit.headSeq()
                        }
                    }
                    importer.committed(seq: seq)
                    committed = importer.rowsDone
                }
            } catch var error as OverdueError where committed > 0 {
                error.details.append("\(source): \(committed) of \(rowCount) rows were imported before this failure; run the same import again to finish it")
                throw error
            }
            return importer.summary
        }
    }

    public func previewImport(_ rows: [ImportRow], source: String, context: ChangeContext) throws -> ImportSummary {
        var next = rows.makeIterator()
        return try previewImport(clients: PGImporter.clients(of: rows), source: source, context: context) { next.next() }
    }

    public func previewImport(clients: [ImportClient], source: String, context: ChangeContext,
                              rows next: () throws -> ImportRow?) throws -> ImportSummary {
        struct RolledBack: Error { var summary: ImportSummary }
        do {
            _ = try writing(context, batched: true) { audit -> ImportSummary in
                var importer = PGImporter(store: self, now: storedSeconds(context.at))
                return try importer.guarded { importer in
                    try importer.beginChunk(audit: &audit)
                    try importer.upsertClients(clients, audit: &audit)
                    var group: [ImportRow] = []
                    while let row = try next() {
                        group.append(row)
                        if group.count == Self.importGroup {
                            try importer.upsert(group, source: source, audit: &audit)
                            group.removeAll(keepingCapacity: true)
                        }
                    }
                    try importer.upsert(group, source: source, audit: &audit)
                    try importer.finish()
                    throw RolledBack(summary: importer.summary)
                }
            }
        } catch let rolledBack as RolledBack {
            return rolledBack.summary
        }
        throw OverdueError(.ioError, "\(label): dry run was not rolled back")
    }

    public func addInvoice(_ invoice: Invoice, client: Client, context: ChangeContext) throws -> ImportSummary {
        try writing(context) { audit in
            var importer = PGImporter(store: self, now: storedSeconds(context.at))
            if try fetchInvoice(invoice.number) != nil {
                throw OverdueError(.dataError, "invoice \(invoice.number): already exists")
            }
            guard client.id == invoice.clientID else {
                throw OverdueError(.dataError, "invoice \(invoice.number): client \(client.id) does not match client_id \(invoice.clientID)")
            }
            return try importer.guarded { importer in
                try importer.upsertClients([ImportClient(id: client.id, name: client.name, emails: client.emails)], audit: &audit)
                try importer.upsert([invoice], origins: [nil], audit: &audit)
                try importer.finish()
                return importer.summary
            }
        }
    }
}
