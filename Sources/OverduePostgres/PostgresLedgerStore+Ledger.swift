import Foundation
import OverdueCore

// The owner's commands on clients, invoices, payments and fees: the SQLite store's rules
// (`SQLiteLedgerStore+Clients/Invoices/Payments/Fees`), statement for statement.
extension PostgresLedgerStore {
    // MARK: Clients

    public func client(_ id: String) throws -> Client? {
        try locked { try fetchClient(id) }
    }

    public func clients() throws -> [Client] {
        try reading {
            let rows = try db.query("SELECT \(PGColumns.client) FROM clients ORDER BY id")
            return (0..<rows.count).map { rows.client($0) }
        }
    }

    public func setClientHold(_ id: String, onHold: Bool, reason: String?, context: ChangeContext) throws {
        try writing(context) { audit in
            try StatusRules.setClientHold(id, onHold: onHold, reason: reason, in: primitives, audit: &audit, context: context)
        }
    }

    public func setClientBlocked(_ id: String, blocked: Bool, reason: String?, context: ChangeContext) throws {
        try writing(context) { audit in
            try StatusRules.setClientBlocked(id, blocked: blocked, reason: reason, in: primitives, audit: &audit, context: context)
        }
    }

    func fetchClient(_ id: String) throws -> Client? {
        let rows = try db.query("SELECT \(PGColumns.client) FROM clients WHERE id = $1", [.text(id)])
        return rows.count > 0 ? rows.client(0) : nil
    }

    // MARK: Invoices

    public func invoice(_ number: String) throws -> Invoice? {
        try locked { try fetchInvoice(number) }
    }

    public func invoices(status: InvoiceStatus?, clientID: String?) throws -> [Invoice] {
        try reading {
            let rows = try db.query("""
                SELECT \(PGColumns.invoice) FROM invoices
                WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR client_id = $2)
                ORDER BY number
                """, [.optional(status?.rawValue), .optional(clientID)])
            return try (0..<rows.count).map { try rows.invoice($0, label: label) }
        }
    }

    public func payments(invoice number: String) throws -> [Payment] {
        try reading {
            guard let invoice = try fetchInvoice(number) else { throw notFound(number) }
            return try fetchPayments(invoice: number, currency: invoice.currency)
        }
    }

    func fetchPayments(invoice number: String, currency: Currency) throws -> [Payment] {
        let rows = try db.query("SELECT \(LedgerColumns.payment) FROM payments WHERE invoice = $1 ORDER BY id", [.text(number)])
        return try (0..<rows.count).map {
            try Payment(row: PGRow(result: rows, row: $0), currency: currency, ledger: label, invoice: number)
        }
    }

    public func recordPayment(invoice number: String, amount: Money, on date: LocalDate, context: ChangeContext) throws -> Invoice {
        try writing(context) { audit in
            try PaymentRules.recordPayment(invoice: number, amount: amount, on: date, in: primitives, audit: &audit, context: context)
        }
    }

    public func setInvoiceHold(_ number: String, onHold: Bool, reason: String?, context: ChangeContext) throws {
        try writing(context) { audit in
            try StatusRules.setInvoiceHold(number, onHold: onHold, reason: reason, in: primitives, audit: &audit, context: context)
        }
    }

    public func setInvoiceStatus(_ number: String, to status: InvoiceStatus, reason: String?, context: ChangeContext) throws {
        let change = try StatusRules.statusChange(number, to: status)
        try writing(context) { audit in try change.apply(reason: reason, in: primitives, audit: &audit, context: context) }
    }

    func fetchInvoice(_ number: String) throws -> Invoice? {
        let rows = try db.query("SELECT \(PGColumns.invoice) FROM invoices WHERE number = $1", [.text(number)])
        return rows.count > 0 ? try rows.invoice(0, label: label) : nil
    }

    func notFound(_ number: String) -> OverdueError { invoiceNotFound(number) }

    // MARK: Payments

    public func importPayments(_ lines: [PaymentLine], source: String, dryRun: Bool,
                               context: ChangeContext) throws -> Result<PaymentImportSummary, CSVImportFailure> {
        struct RolledBack: Error { var result: Result<PaymentImportSummary, CSVImportFailure> }
        do {
            return try writing(context) { audit in
                let result = try PaymentRules.importPayments(lines, source: source, in: primitives, audit: &audit, context: context)
                if case .failure = result { throw RolledBack(result: result) }
                if dryRun { throw RolledBack(result: result) }
                return result
            }
        } catch let rolledBack as RolledBack {
            return rolledBack.result
        }
    }

    // MARK: Fees

    public func fees(invoice number: String) throws -> [ChargedFee] {
        try reading {
            guard let invoice = try fetchInvoice(number) else { throw notFound(number) }
            let rows = try db.query("SELECT \(LedgerColumns.fee) FROM fees WHERE invoice = $1 ORDER BY id", [.text(number)])
            return (0..<rows.count).map { ChargedFee(row: PGRow(result: rows, row: $0), currency: invoice.currency) }
        }
    }

    public func waiveFees(invoice number: String, reason: String?, context: ChangeContext) throws -> (waived: Money, invoice: Invoice) {
        try writing(context) { audit in try FeeRules.waiveFees(invoice: number, reason: reason, in: primitives, audit: &audit, context: context) }
    }

    // MARK: Identifiers

    /// Ledgers on PostgreSQL are made by this overdue (or copied from a SQLite ledger that
    /// `SQLiteLedgerStore.normalizeIdentifiers` already brought to NFC): nothing to bring over.
    public func normalizeIdentifiers() throws {}
}

extension PostgresLedgerStore.Primitives: FeeWriter {
    func sentDispatchFee(_ id: Int64) throws -> (invoice: String, stage: String, feeMinorUnits: Int64)? {
        let row = try db.query("SELECT invoice, stage, fee_minor FROM dispatches WHERE id = $1 AND state = 'sent' AND fee_minor > 0", [.int(id)])
        return row.count > 0 ? (row.text(0, 0), row.text(0, 1), row.int(0, 2)) : nil
    }

    func insertFee(invoice: String, dispatch: Int64, stage: String, amountMinorUnits: Int64, chargedAt: Date) throws -> Bool {
        try db.query("""
            INSERT INTO fees (invoice, dispatch, stage, amount_minor, charged_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (dispatch) DO NOTHING
            """, [.text(invoice), .int(dispatch), .text(stage), .int(amountMinorUnits), .int(storedSeconds(chargedAt))]).changes == 1
    }

    func unwaivedFees(invoice: String) throws -> [(stage: String, amountMinorUnits: Int64)] {
        let rows = try db.query("SELECT stage, amount_minor FROM fees WHERE invoice = $1 AND waived_at IS NULL ORDER BY id", [.text(invoice)])
        return (0..<rows.count).map { (rows.text($0, 0), rows.int($0, 1)) }
    }

    func waiveFees(invoice: String, reason: String?, at: Date) throws {
        try db.query("UPDATE fees SET waived_at = $1, waive_reason = $2 WHERE invoice = $3 AND waived_at IS NULL",
                     [.int(storedSeconds(at)), .optional(reason), .text(invoice)])
    }

    func setFees(invoice: String, feesMinorUnits: Int64, status: InvoiceStatus, at: Date) throws {
        try db.query("UPDATE invoices SET fees_minor = $1, status = $2, updated_at = $3 WHERE number = $4",
                     [.int(feesMinorUnits), .text(status.rawValue), .int(storedSeconds(at)), .text(invoice)])
    }
}

extension PostgresLedgerStore.Primitives: PaymentWriter {
    func paymentRecorded(_ identity: PaymentIdentity) throws -> Bool {
        try db.query("SELECT 1 FROM payments WHERE invoice = $1 AND paid_on = $2 AND amount_minor = $3 AND reference = $4",
                     [.text(identity.invoice), .text(identity.date.description), .int(identity.minorUnits),
                      .text(identity.reference)]).count > 0
    }

    func insertPayment(invoice: String, amount: Money, on date: LocalDate, reference: String?, at: Date) throws {
        try db.query("INSERT INTO payments (invoice, amount_minor, paid_on, recorded_at, reference) VALUES ($1, $2, $3, $4, $5)",
                     [.text(invoice), .int(amount.minorUnits), .text(date.description), .int(storedSeconds(at)), .optional(reference)])
    }

    func addPaid(invoice: String, amountMinorUnits: Int64, status: InvoiceStatus, at: Date) throws {
        try db.query("UPDATE invoices SET paid_recorded_minor = paid_recorded_minor + $1, status = $2, updated_at = $3 WHERE number = $4",
                     [.int(amountMinorUnits), .text(status.rawValue), .int(storedSeconds(at)), .text(invoice)])
    }
}

extension PostgresLedgerStore.Primitives: StatusWriter {
    func setInvoiceHold(_ number: String, onHold: Bool, reason: String?, at: Date) throws {
        try db.query("UPDATE invoices SET hold = $1, hold_reason = $2, updated_at = $3 WHERE number = $4",
                     [.bool(onHold), .optional(reason), .int(storedSeconds(at)), .text(number)])
    }

    func setInvoiceStatus(_ number: String, to status: InvoiceStatus, at: Date) throws {
        try db.query("UPDATE invoices SET status = $1, updated_at = $2 WHERE number = $3",
                     [.text(status.rawValue), .int(storedSeconds(at)), .text(number)])
    }

    func setClientHold(_ id: String, onHold: Bool, reason: String?, at: Date) throws {
        try db.query("UPDATE clients SET hold = $1, hold_reason = $2, updated_at = $3 WHERE id = $4",
                     [.bool(onHold), .optional(reason), .int(storedSeconds(at)), .text(id)])
    }

    func setClientBlocked(_ id: String, blocked: Bool, reason: String?, at: Date) throws {
        try db.query("UPDATE clients SET blocked = $1, block_reason = $2, updated_at = $3 WHERE id = $4",
                     [.bool(blocked), .optional(reason), .int(storedSeconds(at)), .text(id)])
    }

    func forgetFailing(client: String) throws {
        try db.query("DELETE FROM failing_addresses WHERE client_id = $1", [.text(client)])
    }
}
