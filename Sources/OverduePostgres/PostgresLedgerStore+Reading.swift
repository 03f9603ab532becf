import Foundation
import OverdueCore

// The audit trail, planning's reads and the kept messages: as in the SQLite store.
extension PostgresLedgerStore {
    // MARK: Audit

    public func appendAudit(_ records: [AuditRecord], context: ChangeContext) throws {
        try writing(context) { audit in try audit.append(records) }
    }

    /// As `SQLiteLedgerStore.auditEntries`: `event` exact or a family (`reminder`, `reminder.*`).
    public func auditEntries(_ filter: AuditFilter, _ body: (AuditEntry) throws -> Void) throws {
        let (exact, family) = AuditFilter.eventMatch(filter.event)
        try reading {
            // The filter is the SQLite store's WHERE clause; the rows come a page at a time.
            try db.query("""
                DECLARE audit_cursor NO SCROLL CURSOR FOR SELECT \(PGColumns.audit) FROM audit
                WHERE ($1::text IS NULL OR invoice = $1) AND ($2::text IS NULL OR client = $2)
                  AND (($3::text IS NULL AND $4::text IS NULL) OR event = $3 OR left(event, length($4)) = $4)
                  AND ($5::bigint IS NULL OR at >= $5) AND ($6::bigint IS NULL OR at <= $6)
                ORDER BY seq
                """, [.optional(filter.invoice), .optional(filter.client), .optional(exact), .optional(family),
                      .optional(filter.since.map(storedSeconds)), .optional(filter.until.map(storedSeconds))])
            defer { _ = try? db.execute("CLOSE audit_cursor") }
            var page = Page(db: db, cursor: "audit_cursor")
            while let (rows, row) = try page.next() { try body(rows.auditEntry(row)) }
        }
    }

    /// The newest matching entry (`AuditLog.lastAuditEntry`).
    public func lastAuditEntry(_ filter: AuditFilter) throws -> AuditEntry? {
        let (exact, family) = AuditFilter.eventMatch(filter.event)
        return try reading {
            let rows = try db.query("""
                SELECT \(PGColumns.audit) FROM audit
                WHERE ($1::text IS NULL OR invoice = $1) AND ($2::text IS NULL OR client = $2)
                  AND (($3::text IS NULL AND $4::text IS NULL) OR event = $3 OR left(event, length($4)) = $4)
                  AND ($5::bigint IS NULL OR at >= $5) AND ($6::bigint IS NULL OR at <= $6)
                ORDER BY seq DESC LIMIT 1
                """, [.optional(filter.invoice), .optional(filter.client), .optional(exact), .optional(family),
                      .optional(filter.since.map(storedSeconds)), .optional(filter.until.map(storedSeconds))])
            return rows.count > 0 ? rows.auditEntry(0) : nil
        }
    }

    /// `AuditTrailCheck` over the whole chain, fetched a page at a time.
    public func verifyAudit() throws -> (seq: Int64, problem: String)? {
        try reading {
            try db.execute("DECLARE verify_cursor NO SCROLL CURSOR FOR SELECT \(PGColumns.audit) FROM audit ORDER BY seq")
            defer { _ = try? db.execute("CLOSE verify_cursor") }
            var check = AuditTrailCheck()
            while true {
                let rows = try db.execute("FETCH 2000 FROM verify_cursor")
                if rows.count == 0 { break }
                for row in 0..<rows.count {
                    if let problem = check.add(rows.auditEntry(row)) { return problem }
                }
            }
            return check.finish(head: try meta(PGAuditAppender.headKey))
        }
    }

    // MARK: Planning

    /// Every invoice with its client and history, in invoice-number byte order (`COLLATE "C"`),
    /// from one snapshot: two server-side cursors walked in step, fetched a page at a time, so
    /// memory holds the clients and one page, never the ledger.
    public func forEachInvoiceContext(_ body: (InvoiceContext) throws -> Void) throws {
        try reading {
            let failing = try allFailingAddresses()
            let clientRows = try db.query("SELECT \(PGColumns.client) FROM clients")
            let clients = ClientTable((0..<clientRows.count).lazy.map { row in
                let client = clientRows.client(row)
                return client.withoutFailing(failing[client.id])
            })
            try db.execute("DECLARE plan_invoices NO SCROLL CURSOR FOR SELECT \(PGColumns.invoice) FROM invoices ORDER BY number")
            try db.execute("DECLARE plan_history NO SCROLL CURSOR FOR SELECT \(PGColumns.dispatchFrom) ORDER BY d.invoice, d.id")
            defer { _ = try? db.execute("CLOSE plan_invoices; CLOSE plan_history") }
            var history = Page(db: db, cursor: "plan_history")
            var invoices = Page(db: db, cursor: "plan_invoices")
            try InvoiceContext.merge(invoices: { try invoices.next().map { try $0.rows.invoice($0.row, label: label) } },
                                     history: { try history.next().map { try $0.rows.dispatch($0.row, label: label) } },
                                     clients: clients, ledger: label, body)
        }
    }

    public func invoiceContext(_ number: String) throws -> InvoiceContext? {
        try reading { try InvoiceContext.read(number, from: primitives, ledger: label) }
    }

    func fetchDispatches(invoice number: String) throws -> [Dispatch] {
        let rows = try db.query("SELECT \(PGColumns.dispatchFrom) WHERE d.invoice = $1 ORDER BY d.id", [.text(number)])
        return try (0..<rows.count).map { try rows.dispatch($0, label: label) }
    }

    public func dispatchedStageNames() throws -> Set<String> {
        try reading {
            let rows = try db.query("SELECT DISTINCT stage FROM dispatches")
            return Set((0..<rows.count).map { rows.text($0, 0) })
        }
    }

    // MARK: Kept messages

    public func sentMessages(invoice: String) throws -> [SentMessage] {
        try reading {
            let rows = try db.query("""
                SELECT m.message_id, m.data, m.sha256 FROM messages m
                WHERE m.data IS NOT NULL AND m.sha256 IS NOT NULL
                    AND ((m.invoice = $1 AND m.state = 'sent')
                        OR EXISTS (SELECT 1 FROM dispatches d WHERE d.message = m.id AND d.invoice = $1 AND d.state = 'sent'))
                ORDER BY m.id
                """, [.text(invoice)])
            return (0..<rows.count).map { SentMessage(messageID: rows.text($0, 0), data: rows.bytes($0, 1), sha256: rows.text($0, 2)) }
        }
    }

    public func demand(invoice: String) throws -> (state: String, at: Date)? {
        try reading {
            let rows = try db.query("SELECT state, updated_at FROM messages WHERE invoice = $1 AND state != 'failed' ORDER BY id DESC LIMIT 1",
                                    [.text(invoice)])
            guard rows.count > 0 else { return nil }
            return (rows.text(0, 0), storedDate(rows.int(0, 1)))
        }
    }

    public func markDemandSending(invoice: String, messageID: String, recipients: [String], data: [UInt8],
                                  context: ChangeContext) throws {
        try writing(context) { _ in
            guard try db.query("SELECT 1 FROM invoices WHERE number = $1", [.text(invoice)]).count > 0 else {
                throw OverdueError.data("invoice \(invoice): not found")
            }
            let now = storedSeconds(context.at)
            try db.query("""
                INSERT INTO messages (message_id, recipients, state, attempts, created_at, updated_at, data, sha256, invoice)
                VALUES ($1, $2, 'sending', 1, $3, $3, $4, $5, $6)
                """, [.text(messageID), .text(joinAddresses(recipients)), .int(now), .bytes(data), .text(sha256Hex(data)), .text(invoice)])
        }
    }

    public func recordDemand(invoice: String, messageID: String, delivered: Bool, reply: String, context: ChangeContext) throws {
        try writing(context, persist: true) { audit in
            let row = try db.query("""
                SELECT m.recipients, m.sha256, i.client_id FROM messages m JOIN invoices i ON i.number = m.invoice
                WHERE m.message_id = $1 AND m.invoice = $2
                """, [.text(messageID), .text(invoice)])
            guard row.count > 0 else {
                throw OverdueError.data("invoice \(invoice): no demand \(messageID) was marked for sending")
            }
            let recipients = splitAddresses(row.text(0, 0)), sha256 = row.text(0, 1), clientID = row.text(0, 2)
            try db.query("UPDATE messages SET state = $1, last_reply = $2, updated_at = $3 WHERE message_id = $4",
                         [.text(delivered ? "sent" : "failed"), .text(reply), .int(storedSeconds(context.at)), .text(messageID)])
            guard delivered else { return }
            try audit.append(AuditRecord(.demandSent, invoice: invoice, client: clientID, details: [
                ("recipients", .strings(recipients)), ("message_id", .string(messageID)), ("reply", .string(reply)),
                ("sha256", .string(sha256)),
            ]))
        }
    }
}

/// A server-side cursor read a page at a time.
struct Page {
    let db: PGConnection
    let cursor: String
    private var rows: PGResult?
    private var row = 0
    private var done = false

    init(db: PGConnection, cursor: String) {
        self.db = db
        self.cursor = cursor
    }

    mutating func next() throws -> (rows: PGResult, row: Int)? {
        if done { return nil }
        if rows == nil || row >= rows!.count {
            rows = try db.execute("FETCH 2000 FROM \(cursor)")
            row = 0
            if rows!.count == 0 {
                done = true
                return nil
            }
        }
        defer { row += 1 }
        return (rows!, row)
    }
}

extension PostgresLedgerStore.Primitives: InvoiceContextReader {
    func dispatches(invoice: String) throws -> [Dispatch] { try store.fetchDispatches(invoice: invoice) }
    func payments(invoice: String, currency: Currency) throws -> [Payment] { try store.fetchPayments(invoice: invoice, currency: currency) }
}
