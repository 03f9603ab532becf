import Foundation
import OverdueCore

/// Invoice import with the SQLite store's rules (`SQLiteLedgerStore.importInvoices`): clients
/// first (each from its last row), then the rows in file order, each new invoice audited
/// `invoice.imported`, each changed one `invoice.updated` with its changes, identical ones
/// untouched; the CSV's `paid` and `cancelled` win, `open` never reopens.
///
/// Rows go in groups: one query looks up a group's existing invoices, one `COPY … FROM STDIN`
/// writes its new ones (and the audit entries go by COPY too), so a row costs no statement of
/// its own. The import commits every `chunkRows` rows, so a daemon's audited
/// write waits for one chunk, never the whole file; a failure part-way leaves the committed
/// chunks, and the same import run again finishes it.
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
                    try writing(context, batched: true) { audit in
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
                                group.removeAll(keepingCapacity: true)
                            }
                        }
                        try importer.upsert(group, source: source, audit: &audit)
                        importer.rowsDone += group.count
                    }
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
                throw RolledBack(summary: importer.summary)
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
            try importer.upsertClients([ImportClient(id: client.id, name: client.name, emails: client.emails)], audit: &audit)
            try importer.upsert([invoice], origin: nil, audit: &audit)
            return importer.summary
        }
    }
}

/// The import's running state across groups and chunks.
struct PGImporter {
    let store: PostgresLedgerStore
    let now: Int64
    var summary = ImportSummary()
    var rowsDone = 0
    var blockedClients: Set<String> = []

    init(store: PostgresLedgerStore, now: Int64) {
        self.store = store
        self.now = now
    }

    private var db: PGConnection { store.db }

    static func clients(of rows: [ImportRow]) -> [ImportClient] {
        var last: [String: Int] = [:]
        for index in rows.indices { last[rows[index].clientID] = index }
        return last.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { ImportClient(id: $0.key, name: rows[$0.value].clientName, emails: rows[$0.value].clientEmails) }
    }

    mutating func upsertClients(_ clients: [ImportClient], audit: inout PGAuditAppender) throws {
        var start = 0
        while start < clients.count {
            let group = clients[start..<min(start + PostgresLedgerStore.importGroup, clients.count)]
            start += group.count
            let rows = try db.query("SELECT \(PGColumns.client) FROM clients WHERE id = ANY($1::text[])",
                                    [.text(PGImporter.arrayLiteral(group.map(\.id)))])
            var existing: [String: Client] = [:]
            for row in 0..<rows.count {
                let client = rows.client(row)
                existing[client.id] = client
            }
            var inserts = PGCopyRows()
            for client in group {
                let (id, name, emails) = (client.id, client.name, client.emails)
                if let current = existing[id] {
                    var changes: [(String, JSONValue)] = []
                    if !name.isEmpty, current.name != name { changes.append(("name", change(.string(current.name), .string(name)))) }
                    if !emails.isEmpty, current.emails != emails { changes.append(("emails", change(.strings(current.emails), .strings(emails)))) }
                    var updated = current
                    if !changes.isEmpty {
                        if !name.isEmpty { updated.name = name }
                        if !emails.isEmpty { updated.emails = emails }
                        try db.query("UPDATE clients SET name = $1, emails = $2, updated_at = $3 WHERE id = $4",
                                     [.text(updated.name), .text(joinAddresses(updated.emails)), .int(now), .text(id)])
                        try audit.append(AuditRecord(.clientUpdated, client: id, details: [("changes", .object(changes))]))
                    }
                    if updated.blocked { blockedClients.insert(id) }
                } else {
                    guard !name.isEmpty, !emails.isEmpty else {
                        throw OverdueError(.dataError, "client \(id): not found; give its name and email to add it")
                    }
                    inserts.text(id); inserts.text(name); inserts.text(joinAddresses(emails)); inserts.int(now); inserts.int(now)
                    inserts.endRow()
                    try audit.append(AuditRecord(.clientAdded, client: id, details: [("name", .string(name)), ("emails", .strings(emails))]))
                }
            }
            try db.copy(into: "clients", columns: "id, name, emails, created_at, updated_at", inserts)
        }
    }

    mutating func upsert(_ rows: [ImportRow], source: String, audit: inout PGAuditAppender) throws {
        let invoices = rows.map { row in
            (Invoice(number: row.number, clientID: row.clientID, issueDate: row.issueDate, dueDate: row.dueDate,
                     amount: row.amount, paid: row.paid, status: row.status), (source, row.line) as (source: String, line: Int)?)
        }
        try upsert(invoices.map(\.0), origins: invoices.map(\.1), audit: &audit)
    }

    mutating func upsert(_ invoices: [Invoice], origin: (source: String, line: Int)?, audit: inout PGAuditAppender) throws {
        try upsert(invoices, origins: invoices.map { _ in origin }, audit: &audit)
    }

    /// One group: the existing rows looked up at once; new invoices batched into one COPY,
    /// written before any update (a number repeated in the group is compared with its
    /// earlier self, as SQLite does).
    private mutating func upsert(_ invoices: [Invoice], origins: [(source: String, line: Int)?], audit: inout PGAuditAppender) throws {
        guard !invoices.isEmpty else { return }
        let rows = try db.query("""
            SELECT number, client_id, issue_date, due_date, currency, amount_minor, paid_imported_minor, status
            FROM invoices WHERE number = ANY($1::text[])
            """, [.text(PGImporter.arrayLiteral(invoices.map(\.number)))])
        var existing: [String: StoredInvoice] = [:]
        for row in 0..<rows.count {
            existing[rows.text(row, 0)] = StoredInvoice(clientID: rows.text(row, 1), issueDate: rows.text(row, 2),
                                                        dueDate: rows.text(row, 3), currency: rows.text(row, 4),
                                                        amountMinor: rows.int(row, 5), paidImportedMinor: rows.int(row, 6),
                                                        status: rows.text(row, 7))
        }
        var inserts = PGCopyRows()
        func flush() throws {
            try db.copy(into: "invoices", columns: "number, client_id, issue_date, due_date, currency, amount_minor, "
                            + "paid_imported_minor, status, hold, hold_reason, created_at, updated_at", inserts)
            inserts.removeAll()
        }
        for (invoice, origin) in zip(invoices, origins) {
            let issue = invoice.issueDate.description, due = invoice.dueDate.description
            guard let old = existing[invoice.number] else {
                inserts.text(invoice.number); inserts.text(invoice.clientID); inserts.text(issue); inserts.text(due)
                inserts.text(invoice.currency.code); inserts.int(invoice.amount.minorUnits); inserts.int(invoice.paid.minorUnits)
                inserts.text(invoice.status.rawValue); inserts.int(invoice.onHold ? 1 : 0); inserts.text(invoice.holdReason)
                inserts.int(now); inserts.int(now)
                inserts.endRow()
                existing[invoice.number] = StoredInvoice(clientID: invoice.clientID, issueDate: issue, dueDate: due,
                                                         currency: invoice.currency.code, amountMinor: invoice.amount.minorUnits,
                                                         paidImportedMinor: invoice.paid.minorUnits, status: invoice.status.rawValue)
                try auditInserted(invoice, origin: origin, audit: &audit)
                continue
            }
            let currency = invoice.currency
            let oldCurrency = Currency(code: old.currency) ?? currency
            let status = PGImporter.resolvedStatus(csv: invoice.status, ledger: InvoiceStatus(rawValue: old.status) ?? .open)
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
                continue
            }
            try flush()
            try db.query("""
                UPDATE invoices SET client_id = $1, issue_date = $2, due_date = $3, currency = $4, amount_minor = $5,
                    paid_imported_minor = $6, status = $7, updated_at = $8
                WHERE number = $9
                """, [.text(invoice.clientID), .text(issue), .text(due), .text(currency.code), .int(invoice.amount.minorUnits),
                      .int(invoice.paid.minorUnits), .text(status.rawValue), .int(now), .text(invoice.number)])
            existing[invoice.number] = StoredInvoice(clientID: invoice.clientID, issueDate: issue, dueDate: due,
                                                     currency: currency.code, amountMinor: invoice.amount.minorUnits,
                                                     paidImportedMinor: invoice.paid.minorUnits, status: status.rawValue)
            var details: [(String, JSONValue)] = []
            if let origin { details = [("source", .string(origin.source)), ("line", .int(Int64(origin.line)))] }
            try audit.append(AuditRecord(.invoiceUpdated, invoice: invoice.number, client: invoice.clientID,
                                         details: details + [("changes", .object(changes))]))
            summary.updated += 1
        }
        try flush()
    }

    /// The same details, in the same key order, as the SQLite store's `auditInserted`.
    private mutating func auditInserted(_ invoice: Invoice, origin: (source: String, line: Int)?, audit: inout PGAuditAppender) throws {
        var details: [(String, JSONValue)] = []
        if let origin { details = [("source", .string(origin.source)), ("line", .int(Int64(origin.line)))] }
        details += [("issue_date", .string(invoice.issueDate.description)), ("due_date", .string(invoice.dueDate.description)),
                    ("amount", .string(invoice.amount.decimalString)), ("paid", .string(invoice.paid.decimalString)),
                    ("currency", .string(invoice.currency.code)), ("status", .string(invoice.status.rawValue))]
        try audit.append(AuditRecord(origin == nil ? .invoiceAdded : .invoiceImported, invoice: invoice.number,
                                     client: invoice.clientID, details: details))
        summary.inserted += 1
        if !blockedClients.isEmpty, blockedClients.contains(invoice.clientID) {
            summary.warnings.append("warning: client \(invoice.clientID) is blocked; invoice \(invoice.number) imported but will never be reminded")
        }
    }

    static func resolvedStatus(csv: InvoiceStatus, ledger: InvoiceStatus) -> InvoiceStatus {
        switch csv {
        case .paid, .cancelled: csv
        case .open, .escalated, .writtenOff: ledger
        }
    }

    private func change(_ before: JSONValue, _ after: JSONValue) -> JSONValue {
        .object([("from", before), ("to", after)])
    }

    /// A PostgreSQL array literal of texts, each quoted.
    static func arrayLiteral(_ values: [String]) -> String {
        "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }
}

private struct StoredInvoice {
    var clientID: String
    var issueDate: String
    var dueDate: String
    var currency: String
    var amountMinor: Int64
    var paidImportedMinor: Int64
    var status: String
}
