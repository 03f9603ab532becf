import Foundation
import OverdueCore

extension SQLiteLedgerStore {
    public func invoice(_ number: String) throws -> Invoice? {
        try locked { try fetchInvoice(number) }
    }

    public func invoices(status: InvoiceStatus?, clientID: String?) throws -> [Invoice] {
        try reading {
            let cursor = try db.prepareCursor("""
                SELECT \(Columns.invoice) FROM invoices
                WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR client_id = ?2)
                ORDER BY number
                """)
            try cursor.bind(.optional(status?.rawValue), .optional(clientID))
            var list: [Invoice] = []
            while try cursor.step() { list.append(try cursor.invoice(path: db.path)) }
            return list
        }
    }

    public func payments(invoice number: String) throws -> [Payment] {
        try reading {
            guard let invoice = try fetchInvoice(number) else { throw notFound(number) }
            return try fetchPayments(invoice: number, currency: invoice.currency)
        }
    }

    func fetchPayments(invoice number: String, currency: Currency) throws -> [Payment] {
        let statement = try db.prepare("SELECT \(LedgerColumns.payment) FROM payments WHERE invoice = ? ORDER BY id")
        defer { statement.reset() }
        try statement.bind(.text(number))
        var list: [Payment] = []
        while try statement.step() {
            list.append(try Payment(row: SQLiteRow(statement: statement), currency: currency, ledger: db.path, invoice: number))
        }
        return list
    }

    /// `PaymentRules.recordPayment`, in one transaction.
    public func recordPayment(invoice number: String, amount: Money, on date: LocalDate, context: ChangeContext) throws -> Invoice {
        try writing(context) { audit in
            try PaymentRules.recordPayment(invoice: number, amount: amount, on: date, in: primitives, audit: &audit, context: context)
        }
    }

    /// `StatusRules.setInvoiceHold`, in one transaction.
    public func setInvoiceHold(_ number: String, onHold: Bool, reason: String?, context: ChangeContext) throws {
        try writing(context) { audit in
            try StatusRules.setInvoiceHold(number, onHold: onHold, reason: reason, in: primitives, audit: &audit, context: context)
        }
    }

    /// `StatusRules.statusChange`, checked before the transaction it is applied in.
    public func setInvoiceStatus(_ number: String, to status: InvoiceStatus, reason: String?, context: ChangeContext) throws {
        let change = try StatusRules.statusChange(number, to: status)
        try writing(context) { audit in try change.apply(reason: reason, in: primitives, audit: &audit, context: context) }
    }

    // MARK: Shared lookups (callers hold the lock)

    func fetchInvoice(_ number: String) throws -> Invoice? {
        let statement = try db.prepare("SELECT \(Columns.invoice) FROM invoices WHERE number = ?")
        defer { statement.reset() }
        return try statement.bind(.text(number)).step() ? try statement.invoice(path: db.path) : nil
    }

    func notFound(_ number: String) -> OverdueError { invoiceNotFound(number) }
}

extension SQLiteLedgerStore.Primitives: StatusWriter {
    func setInvoiceHold(_ number: String, onHold: Bool, reason: String?, at: Date) throws {
        try db.prepare("UPDATE invoices SET hold = ?, hold_reason = ?, updated_at = ? WHERE number = ?")
            .bind(.bool(onHold), .optional(reason), .int(storedSeconds(at)), .text(number)).run()
    }

    func setInvoiceStatus(_ number: String, to status: InvoiceStatus, at: Date) throws {
        try db.prepare("UPDATE invoices SET status = ?, updated_at = ? WHERE number = ?")
            .bind(.text(status.rawValue), .int(storedSeconds(at)), .text(number)).run()
    }

    func setClientHold(_ id: String, onHold: Bool, reason: String?, at: Date) throws {
        try db.prepare("UPDATE clients SET hold = ?, hold_reason = ?, updated_at = ? WHERE id = ?")
            .bind(.bool(onHold), .optional(reason), .int(storedSeconds(at)), .text(id)).run()
    }

    func setClientBlocked(_ id: String, blocked: Bool, reason: String?, at: Date) throws {
        try db.prepare("UPDATE clients SET blocked = ?, block_reason = ?, updated_at = ? WHERE id = ?")
            .bind(.bool(blocked), .optional(reason), .int(storedSeconds(at)), .text(id)).run()
    }

    func forgetFailing(client: String) throws {
        try db.prepare("DELETE FROM failing_addresses WHERE client_id = ?").bind(.text(client)).run()
    }
}
