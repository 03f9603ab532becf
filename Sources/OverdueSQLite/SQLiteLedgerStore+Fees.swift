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

    /// Charges, for each of `ids` that is now `sent`, the fee it recorded when it was queued
    /// (the fee its message stated, whatever the config says today), audited
    /// `invoice.fee_charged`. A dispatch is charged at most once (`fees.dispatch` is unique),
    /// so recording the same outcome again charges nothing. A paid invoice the charge leaves
    /// owing (paid while its message was on the wire) is open again: the client was told.
    /// Runs inside the caller's write transaction.
    func chargeFees(forSent ids: [Int64], audit: inout AuditAppender, context: ChangeContext) throws {
        for id in ids {
            let row = try db.prepare("SELECT invoice, stage, fee_minor FROM dispatches WHERE id = ? AND state = 'sent' AND fee_minor > 0")
            guard try row.bind(.int(id)).step() else {
                row.reset()
                continue
            }
            let number = row.text(0), stage = row.text(1), fee = row.int(2)
            row.reset()
            // Dated as the send is (`--as-of` included); `updated_at` is the real time, as for every change.
            let chargedAt = storedSeconds(context.effectiveNow), now = storedSeconds(context.at)
            try db.prepare("""
                INSERT INTO fees (invoice, dispatch, stage, amount_minor, charged_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (dispatch) DO NOTHING
                """).bind(.text(number), .int(id), .text(stage), .int(fee), .int(chargedAt)).run()
            guard db.changes == 1 else { continue }
            guard var invoice = try fetchInvoice(number) else { throw notFound(number) }
            let amount = Money(minorUnits: fee, currency: invoice.currency)
            invoice.fees = Money(minorUnits: invoice.fees.minorUnits + fee, currency: invoice.currency)
            var details: [(String, JSONValue)] = [
                ("amount", .string(amount.decimalString)), ("currency", .string(amount.currency.code)),
                ("balance", .string(invoice.balance.decimalString)),
            ]
            if invoice.status == .paid, invoice.balance.minorUnits > 0 {
                details.append(("status", .object([("from", .string("paid")), ("to", .string("open"))])))
                invoice.status = .open
            }
            try db.prepare("UPDATE invoices SET fees_minor = ?, status = ?, updated_at = ? WHERE number = ?")
                .bind(.int(invoice.fees.minorUnits), .text(invoice.status.rawValue), .int(now), .text(number)).run()
            try audit.append(AuditRecord(.invoiceFeeCharged, invoice: number, client: invoice.clientID, stage: stage,
                                         details: details))
        }
    }

    /// Every fee charged to an invoice, waived or not, oldest first (for `invoice show`).
    public func fees(invoice number: String) throws -> [ChargedFee] {
        try reading {
            guard let invoice = try fetchInvoice(number) else { throw notFound(number) }
            let statement = try db.prepare("""
                SELECT stage, amount_minor, charged_at, waived_at, waive_reason FROM fees WHERE invoice = ? ORDER BY id
                """)
            defer { statement.reset() }
            try statement.bind(.text(number))
            var list: [ChargedFee] = []
            while try statement.step() {
                list.append(ChargedFee(stage: statement.text(0), amount: Money(minorUnits: statement.int(1), currency: invoice.currency),
                                       chargedAt: storedDate(statement.int(2)), waivedAt: statement.optionalInt(3).map(storedDate),
                                       waiveReason: statement.optionalText(4)))
            }
            return list
        }
    }

    /// Waives every charged fee of the invoice not yet waived (`invoice waive`), audited
    /// `invoice.fee_waived` with the amount, the stages and the reason. An invoice the waiver
    /// leaves owing nothing becomes `paid`, as a payment would make it (a cancelled one stays
    /// cancelled). Nothing to waive, or an unknown invoice, is 65. Returns the amount waived
    /// and the invoice after it.
    public func waiveFees(invoice number: String, reason: String?, context: ChangeContext) throws -> (waived: Money, invoice: Invoice) {
        try writing(context) { audit in
            guard var invoice = try fetchInvoice(number) else { throw notFound(number) }
            let select = try db.prepare("SELECT stage, amount_minor FROM fees WHERE invoice = ? AND waived_at IS NULL ORDER BY id")
            try select.bind(.text(number))
            var stages: [String] = [], total: Int64 = 0
            while try select.step() {
                stages.append(select.text(0))
                total += select.int(1)
            }
            select.reset()
            guard total > 0 else { throw OverdueError(.dataError, "invoice \(number): has no charged fees to waive") }
            let now = storedSeconds(context.at)
            try db.prepare("UPDATE fees SET waived_at = ?, waive_reason = ? WHERE invoice = ? AND waived_at IS NULL")
                .bind(.int(now), .optional(reason), .text(number)).run()
            let waived = Money(minorUnits: total, currency: invoice.currency)
            invoice.fees = Money(minorUnits: invoice.fees.minorUnits - total, currency: invoice.currency)
            var details: [(String, JSONValue)] = [
                ("amount", .string(waived.decimalString)), ("currency", .string(waived.currency.code)),
                ("stages", .strings(stages)), ("reason", .optional(reason)), ("balance", .string(invoice.balance.decimalString)),
            ]
            if invoice.balance.minorUnits <= 0, invoice.status != .paid, invoice.status != .cancelled {
                details.append(("status", .object([("from", .string(invoice.status.rawValue)), ("to", .string("paid"))])))
                invoice.status = .paid
            }
            try db.prepare("UPDATE invoices SET fees_minor = ?, status = ?, updated_at = ? WHERE number = ?")
                .bind(.int(invoice.fees.minorUnits), .text(invoice.status.rawValue), .int(now), .text(number)).run()
            try audit.append(AuditRecord(.invoiceFeeWaived, invoice: number, client: invoice.clientID, details: details))
            return (waived, invoice)
        }
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
