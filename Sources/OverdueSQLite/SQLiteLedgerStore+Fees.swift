import Foundation
import OverdueCore

/// Fees are debts: a stage's fee is charged to the invoice when that stage's message is sent
/// (or resolved as sent), never for one that failed, was withdrawn or is still retrying; the
/// owner may waive what was charged. Each charge and waiver moves `invoices.fees_minor` in the
/// same transaction as its `fees` rows and its audit entry.
extension SQLiteLedgerStore {
    /// The `meta` key the version 2 migration leaves when it turned fees stated by earlier sent
    /// messages into charges: the highest such `fees.id`, whose audit entries are still owed.
    static let feeMigrationKey = "fees.migration.unaudited"

    /// Every fee charged to an invoice, waived or not, oldest first (for `invoice show`).
    public func fees(invoice number: String) throws -> [ChargedFee] {
        try reading {
            guard let invoice = try fetchInvoice(number) else { throw notFound(number) }
            let statement = try db.prepare("SELECT \(LedgerColumns.fee) FROM fees WHERE invoice = ? ORDER BY id")
            defer { statement.reset() }
            try statement.bind(.text(number))
            var list: [ChargedFee] = []
            while try statement.step() { list.append(ChargedFee(row: SQLiteRow(statement: statement), currency: invoice.currency)) }
            return list
        }
    }

    /// `FeeRules.waiveFees`, in one write transaction.
    public func waiveFees(invoice number: String, reason: String?, context: ChangeContext) throws -> (waived: Money, invoice: Invoice) {
        try writing(context) { audit in try FeeRules.waiveFees(invoice: number, reason: reason, in: primitives, audit: &audit, context: context) }
    }

    /// Appends the audit entries the version 2 migration could not (the chain is hashed here):
    /// `invoice.fee_charged` for each fee it turned into a charge, with the date the send was
    /// recorded and `"migrated": true`, and `invoice.fee_waived` for those it waived at once.
    /// Runs once, at the first open after the migration; the key is re-read under the write
    /// lock, so two processes opening the ledger together do not both append them.
    func auditMigratedFees() throws {
        guard try meta(Self.feeMigrationKey) != nil else { return }
        try writing(ChangeContext(at: clock.now())) { audit in
            let key = try db.prepare("SELECT value FROM meta WHERE key = ?")
            let lastText = try key.bind(.text(Self.feeMigrationKey)).step() ? key.text(0) : nil
            key.reset()
            guard let lastText else { return }
            guard let last = Int64(lastText) else {
                throw OverdueError(.ioError, "\(db.path): meta \(Self.feeMigrationKey): stored value is not valid")
            }
            let cursor = try db.prepareCursor("""
                SELECT f.invoice, f.stage, f.amount_minor, f.charged_at, f.waived_at, f.waive_reason, i.client_id, i.currency
                FROM fees f JOIN invoices i ON i.number = f.invoice WHERE f.id <= ? ORDER BY f.id
                """)
            try cursor.bind(.int(last))
            while try cursor.step() {
                let number = cursor.text(0), stage = cursor.text(1), clientID = cursor.text(6)
                guard let currency = Currency(code: cursor.text(7)) else {
                    throw OverdueError(.ioError, "\(db.path): invoice \(number): stored currency is not valid")
                }
                let amount = Money(minorUnits: cursor.int(2), currency: currency)
                try audit.append(AuditRecord(.invoiceFeeCharged, invoice: number, client: clientID, stage: stage, details: [
                    ("amount", .string(amount.decimalString)), ("currency", .string(currency.code)),
                    ("charged_at", .string(formatTimestamp(storedDate(cursor.int(3))))), ("migrated", .bool(true)),
                ]))
                if !cursor.isNull(4) {
                    try audit.append(AuditRecord(.invoiceFeeWaived, invoice: number, client: clientID, stage: stage, details: [
                        ("amount", .string(amount.decimalString)), ("currency", .string(currency.code)),
                        ("reason", .optional(cursor.optionalText(5))), ("migrated", .bool(true)),
                    ]))
                }
            }
            try db.prepare("DELETE FROM meta WHERE key = ?").bind(.text(Self.feeMigrationKey)).run()
        }
    }
}

extension SQLiteLedgerStore.Primitives: FeeWriter {
    func sentDispatchFee(_ id: Int64) throws -> (invoice: String, stage: String, feeMinorUnits: Int64)? {
        let row = try db.prepare("SELECT invoice, stage, fee_minor FROM dispatches WHERE id = ? AND state = 'sent' AND fee_minor > 0")
        defer { row.reset() }
        guard try row.bind(.int(id)).step() else { return nil }
        return (row.text(0), row.text(1), row.int(2))
    }

    func insertFee(invoice: String, dispatch: Int64, stage: String, amountMinorUnits: Int64, chargedAt: Date) throws -> Bool {
        try db.prepare("""
            INSERT INTO fees (invoice, dispatch, stage, amount_minor, charged_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (dispatch) DO NOTHING
            """).bind(.text(invoice), .int(dispatch), .text(stage), .int(amountMinorUnits), .int(storedSeconds(chargedAt))).run()
        return db.changes == 1
    }

    func unwaivedFees(invoice: String) throws -> [(stage: String, amountMinorUnits: Int64)] {
        let select = try db.prepare("SELECT stage, amount_minor FROM fees WHERE invoice = ? AND waived_at IS NULL ORDER BY id")
        defer { select.reset() }
        try select.bind(.text(invoice))
        var fees: [(stage: String, amountMinorUnits: Int64)] = []
        while try select.step() { fees.append((select.text(0), select.int(1))) }
        return fees
    }

    func waiveFees(invoice: String, reason: String?, at: Date) throws {
        try db.prepare("UPDATE fees SET waived_at = ?, waive_reason = ? WHERE invoice = ? AND waived_at IS NULL")
            .bind(.int(storedSeconds(at)), .optional(reason), .text(invoice)).run()
    }

    func setFees(invoice: String, feesMinorUnits: Int64, status: InvoiceStatus, at: Date) throws {
        try db.prepare("UPDATE invoices SET fees_minor = ?, status = ?, updated_at = ? WHERE number = ?")
            .bind(.int(feesMinorUnits), .text(status.rawValue), .int(storedSeconds(at)), .text(invoice)).run()
    }
}
