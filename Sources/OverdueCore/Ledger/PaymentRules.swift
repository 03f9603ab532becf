import Foundation

/// What recording payments needs of a store, inside the caller's write transaction.
public protocol PaymentWriter {
    func invoice(_ number: String) throws -> Invoice?
    /// True when a payment of this identity (invoice, date, amount, reference) is stored.
    func paymentRecorded(_ identity: PaymentIdentity) throws -> Bool
    /// Stores one payment recorded `at` (`reference` nil for one entered by hand).
    func insertPayment(invoice: String, amount: Money, on date: LocalDate, reference: String?, at: Date) throws
    /// Adds `amountMinorUnits` to the invoice's recorded payments and stores its status
    /// (`updated_at` the real time `at`).
    func addPaid(invoice: String, amountMinorUnits: Int64, status: InvoiceStatus, at: Date) throws
}

/// The payment rules, one implementation for every store: what a payment must be, and what
/// it does to its invoice and the audit trail.
public enum PaymentRules {
    /// Records a payment entered by hand (audited `invoice.paid` with the amount, date, new
    /// total and balance); returns the invoice after it.
    ///
    /// Refused (65): unknown invoice, a cancelled one, a non-positive amount, another currency,
    /// and a payment larger than the balance (an overpayment is almost always a typo, and the
    /// ledger has no way to hold a credit). An invoice paid in full becomes `paid`, whatever
    /// status it had (a client may pay after escalation or write-off).
    public static func recordPayment(invoice number: String, amount: Money, on date: LocalDate, in writer: some PaymentWriter,
                                     audit: inout some AuditSink, context: ChangeContext) throws -> Invoice {
        guard var invoice = try writer.invoice(number) else { throw invoiceNotFound(number) }
        guard invoice.status != .cancelled else { throw OverdueError(.dataError, "invoice \(number): is cancelled; payments cannot be recorded") }
        guard amount.currency == invoice.currency else {
            throw OverdueError(.dataError, "invoice \(number): payment in \(amount.currency) but the invoice is in \(invoice.currency)")
        }
        guard amount.minorUnits > 0 else { throw OverdueError(.dataError, "invoice \(number): payment amount must be greater than 0") }
        guard amount.minorUnits <= invoice.balance.minorUnits else {
            throw OverdueError(.dataError, invoice.balance.minorUnits <= 0
                ? "invoice \(number): is already paid in full"
                : "invoice \(number): payment \(amount) exceeds the balance \(invoice.balance)")
        }
        try record(amount, on: date, reference: nil, into: &invoice, event: .invoicePaid, in: writer, audit: &audit, context: context)
        return invoice
    }

    /// Records the payments of a file (`overdue payments import`), checked by
    /// `PaymentFile.resolve` against the ledger: all of them, each audited `payment.recorded`
    /// with its reference, file and line, or, when any line is refused, none (the failure).
    /// Lines recorded before are counted, not recorded again.
    public static func importPayments(_ lines: [PaymentLine], source: String, in writer: some PaymentWriter,
                                      audit: inout some AuditSink, context: ChangeContext) throws -> Result<PaymentImportSummary, CSVImportFailure> {
        let checked = try PaymentFile.resolve(lines, fileName: source, invoice: { try writer.invoice($0) },
                                              isRecorded: { try writer.paymentRecorded($0) })
        let plan: PaymentPlan
        switch checked {
        case .success(let checkedPlan): plan = checkedPlan
        case .failure(let failure): return .failure(failure)
        }
        var paidInFull: [String] = []
        for payment in plan.payments {
            // Read again: an earlier line of the file may have paid into the same invoice.
            guard var invoice = try writer.invoice(payment.invoice) else { throw invoiceNotFound(payment.invoice) }
            let wasPaid = invoice.status == .paid
            try record(payment.amount, on: payment.identity.date, reference: payment.identity.reference, into: &invoice,
                       event: .paymentRecorded,
                       extra: [("reference", .string(payment.identity.reference)), ("source", .string(source)),
                               ("line", .int(Int64(payment.line)))],
                       in: writer, audit: &audit, context: context)
            if !wasPaid, invoice.status == .paid { paidInFull.append(invoice.number) }
        }
        return .success(PaymentImportSummary(recorded: plan.payments.count, alreadyRecorded: plan.alreadyRecorded, paidInFull: paidInFull))
    }

    /// Records one checked payment: stores it, adds it to the invoice's paid total, makes an
    /// invoice owing nothing `paid` (whatever status it had), and audits `event` with the
    /// amount, date, new total and balance, then `extra`.
    static func record(_ amount: Money, on date: LocalDate, reference: String?, into invoice: inout Invoice, event: AuditEvent,
                       extra: [(String, JSONValue)] = [], in writer: some PaymentWriter, audit: inout some AuditSink,
                       context: ChangeContext) throws {
        try writer.insertPayment(invoice: invoice.number, amount: amount, on: date, reference: reference, at: context.at)
        invoice.paid = Money(minorUnits: invoice.paid.minorUnits + amount.minorUnits, currency: invoice.currency)
        var details: [(String, JSONValue)] = [
            ("amount", .string(amount.decimalString)), ("currency", .string(amount.currency.code)),
            ("paid_on", .string(date.description)), ("paid_total", .string(invoice.paid.decimalString)),
            ("balance", .string(invoice.balance.decimalString)),
        ]
        if invoice.balance.minorUnits <= 0, invoice.status != .paid {
            details.append(("status", .object([("from", .string(invoice.status.rawValue)), ("to", .string("paid"))])))
            invoice.status = .paid
        }
        try writer.addPaid(invoice: invoice.number, amountMinorUnits: amount.minorUnits, status: invoice.status, at: context.at)
        try audit.append(AuditRecord(event, invoice: invoice.number, client: invoice.clientID, details: details + extra))
    }
}
