import OverdueCore

extension SQLiteLedgerStore {
    public func importPayments(_ lines: [PaymentLine], source: String, dryRun: Bool,
                               context: ChangeContext) throws -> Result<PaymentImportSummary, CSVImportFailure> {
        struct RolledBack: Error { var result: Result<PaymentImportSummary, CSVImportFailure> }
        do {
            return try writing(context) { audit in
                let checked = try PaymentFile.resolve(lines, fileName: source, invoice: { try fetchInvoice($0) },
                                                      isRecorded: { try isPaymentRecorded($0) })
                let plan: PaymentPlan
                switch checked {
                case .success(let checkedPlan): plan = checkedPlan
                case .failure(let failure): throw RolledBack(result: .failure(failure))
                }
                let now = storedSeconds(context.at)
                var paidInFull: [String] = []
                for payment in plan.payments {
                    // Read again: an earlier line of the file may have paid into the same invoice.
                    guard var invoice = try fetchInvoice(payment.invoice) else { throw notFound(payment.invoice) }
                    let wasPaid = invoice.status == .paid
                    try insertPayment(payment.amount, on: payment.identity.date, reference: payment.identity.reference,
                                      into: &invoice, event: .paymentRecorded,
                                      extra: [("reference", .string(payment.identity.reference)), ("source", .string(source)),
                                              ("line", .int(Int64(payment.line)))],
                                      now: now, audit: &audit)
                    if !wasPaid, invoice.status == .paid { paidInFull.append(invoice.number) }
                }
                let summary = PaymentImportSummary(recorded: plan.payments.count, alreadyRecorded: plan.alreadyRecorded,
                                                   paidInFull: paidInFull)
                if dryRun { throw RolledBack(result: .success(summary)) }
                return .success(summary)
            }
        } catch let rolledBack as RolledBack {
            return rolledBack.result
        }
    }

    private func isPaymentRecorded(_ identity: PaymentIdentity) throws -> Bool {
        let statement = try db.prepare("""
            SELECT 1 FROM payments WHERE invoice = ? AND paid_on = ? AND amount_minor = ? AND reference = ?
            """)
        defer { statement.reset() }
        return try statement.bind(.text(identity.invoice), .text(identity.date.description), .int(identity.minorUnits),
                                  .text(identity.reference)).step()
    }

    /// Records one checked payment: stores it (`reference` nil for one entered by hand), adds it
    /// to the invoice's paid total, makes an invoice owing nothing `paid` (whatever status it had:
    /// a client may pay after escalation or write-off), and audits `event` with the amount, date,
    /// new total and balance, then `extra`.
    func insertPayment(_ amount: Money, on date: LocalDate, reference: String?, into invoice: inout Invoice,
                       event: AuditEvent, extra: [(String, JSONValue)] = [], now: Int64, audit: inout AuditAppender) throws {
        try db.prepare("INSERT INTO payments (invoice, amount_minor, paid_on, recorded_at, reference) VALUES (?, ?, ?, ?, ?)")
            .bind(.text(invoice.number), .int(amount.minorUnits), .text(date.description), .int(now), .optional(reference)).run()
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
        try db.prepare("UPDATE invoices SET paid_recorded_minor = paid_recorded_minor + ?, status = ?, updated_at = ? WHERE number = ?")
            .bind(.int(amount.minorUnits), .text(invoice.status.rawValue), .int(now), .text(invoice.number)).run()
        try audit.append(AuditRecord(event, invoice: invoice.number, client: invoice.clientID, details: details + extra))
    }
}
