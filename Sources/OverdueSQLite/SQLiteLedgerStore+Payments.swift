import Foundation
import OverdueCore

extension SQLiteLedgerStore {
    /// `PaymentRules.importPayments` in one transaction, rolled back for a dry run or a refused file.
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
}

extension SQLiteLedgerStore.Primitives: PaymentWriter {
    func paymentRecorded(_ identity: PaymentIdentity) throws -> Bool {
        let statement = try db.prepare("""
            SELECT 1 FROM payments WHERE invoice = ? AND paid_on = ? AND amount_minor = ? AND reference = ?
            """)
        defer { statement.reset() }
        return try statement.bind(.text(identity.invoice), .text(identity.date.description), .int(identity.minorUnits),
                                  .text(identity.reference)).step()
    }

    func insertPayment(invoice: String, amount: Money, on date: LocalDate, reference: String?, at: Date) throws {
        try db.prepare("INSERT INTO payments (invoice, amount_minor, paid_on, recorded_at, reference) VALUES (?, ?, ?, ?, ?)")
            .bind(.text(invoice), .int(amount.minorUnits), .text(date.description), .int(storedSeconds(at)), .optional(reference)).run()
    }

    func addPaid(invoice: String, amountMinorUnits: Int64, status: InvoiceStatus, at: Date) throws {
        try db.prepare("UPDATE invoices SET paid_recorded_minor = paid_recorded_minor + ?, status = ?, updated_at = ? WHERE number = ?")
            .bind(.int(amountMinorUnits), .text(status.rawValue), .int(storedSeconds(at)), .text(invoice)).run()
    }
}
