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
        let statement = try db.prepare("SELECT amount_minor, paid_on, recorded_at FROM payments WHERE invoice = ? ORDER BY id")
        defer { statement.reset() }
        try statement.bind(.text(number))
        var list: [Payment] = []
        while try statement.step() {
            guard let date = LocalDate(stored: statement.text(1)) else {
                throw OverdueError(.ioError, "\(db.path): invoice \(number): stored payment date is not valid")
            }
            list.append(Payment(amount: Money(minorUnits: statement.int(0), currency: currency),
                                paidOn: date, recordedAt: storedDate(statement.int(2))))
        }
        return list
    }

    /// `PaymentRules.recordPayment`, in one transaction.
    public func recordPayment(invoice number: String, amount: Money, on date: LocalDate, context: ChangeContext) throws -> Invoice {
        try writing(context) { audit in
            try PaymentRules.recordPayment(invoice: number, amount: amount, on: date, in: primitives, audit: &audit, context: context)
        }
    }

    /// Holds or releases an invoice (`invoice.held` with the reason / `invoice.released`).
    /// Asking for the state it is already in, with the same reason, changes and records nothing.
    public func setInvoiceHold(_ number: String, onHold: Bool, reason: String?, context: ChangeContext) throws {
        try writing(context) { audit in
            guard let invoice = try fetchInvoice(number) else { throw notFound(number) }
            let newReason = onHold ? reason : nil
            if invoice.onHold == onHold, invoice.holdReason == newReason { return }
            try db.prepare("UPDATE invoices SET hold = ?, hold_reason = ?, updated_at = ? WHERE number = ?")
                .bind(.bool(onHold), .optional(newReason), .int(storedSeconds(context.at)), .text(number)).run()
            try audit.append(AuditRecord(onHold ? .invoiceHeld : .invoiceReleased, invoice: number, client: invoice.clientID,
                                         details: [("reason", .optional(reason))]))
        }
    }

    /// Moves an invoice to `cancelled`, `escalated` or `written_off`, audited with the old status
    /// and the reason. Allowed: open → any of them, escalated → written_off or cancelled,
    /// written_off → cancelled. The status it already has is a no-op; anything else is 65.
    public func setInvoiceStatus(_ number: String, to status: InvoiceStatus, reason: String?, context: ChangeContext) throws {
        let event: AuditEvent
        let allowedFrom: Set<InvoiceStatus>
        switch status {
        case .cancelled: (event, allowedFrom) = (.invoiceCancelled, [.open, .escalated, .writtenOff])
        case .escalated: (event, allowedFrom) = (.invoiceEscalated, [.open])
        case .writtenOff: (event, allowedFrom) = (.invoiceWrittenOff, [.open, .escalated])
        case .open, .paid:
            throw OverdueError(.dataError, "invoice \(number): cannot be set to \(status.rawValue) by hand")
        }
        try writing(context) { audit in
            guard let invoice = try fetchInvoice(number) else { throw notFound(number) }
            if invoice.status == status { return }
            guard allowedFrom.contains(invoice.status) else {
                throw OverdueError(.dataError, "invoice \(number): is \(invoice.status.rawValue); cannot become \(status.rawValue)")
            }
            try db.prepare("UPDATE invoices SET status = ?, updated_at = ? WHERE number = ?")
                .bind(.text(status.rawValue), .int(storedSeconds(context.at)), .text(number)).run()
            try audit.append(AuditRecord(event, invoice: number, client: invoice.clientID, details: [
                ("from", .string(invoice.status.rawValue)), ("reason", .optional(reason)),
            ]))
        }
    }

    // MARK: Shared lookups (callers hold the lock)

    func fetchInvoice(_ number: String) throws -> Invoice? {
        let statement = try db.prepare("SELECT \(Columns.invoice) FROM invoices WHERE number = ?")
        defer { statement.reset() }
        return try statement.bind(.text(number)).step() ? try statement.invoice(path: db.path) : nil
    }

    func notFound(_ number: String) -> OverdueError {
        OverdueError(.dataError, "invoice \(number): not found")
    }
}
