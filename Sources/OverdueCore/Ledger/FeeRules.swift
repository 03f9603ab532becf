import Foundation

/// What charging and waiving fees needs of a store, inside the caller's write transaction.
public protocol FeeWriter {
    func invoice(_ number: String) throws -> Invoice?
    /// The invoice, stage and fee of a dispatch that is `sent` with a fee above 0; nil otherwise.
    func sentDispatchFee(_ id: Int64) throws -> (invoice: String, stage: String, feeMinorUnits: Int64)?
    /// Adds the `fees` row of a dispatch dated `chargedAt`; false when the dispatch was charged before.
    func insertFee(invoice: String, dispatch: Int64, stage: String, amountMinorUnits: Int64, chargedAt: Date) throws -> Bool
    /// The stage and amount of each fee of the invoice not waived yet, oldest first.
    func unwaivedFees(invoice: String) throws -> [(stage: String, amountMinorUnits: Int64)]
    /// Marks every unwaived fee of the invoice waived at `at` with `reason`.
    func waiveFees(invoice: String, reason: String?, at: Date) throws
    /// Stores the invoice's fee total and status (`updated_at` the real time `at`).
    func setFees(invoice: String, feesMinorUnits: Int64, status: InvoiceStatus, at: Date) throws
}

/// Fees are debts: a stage's fee is charged to the invoice when that stage's message is sent
/// (or resolved as sent), never for one that failed, was withdrawn or is still retrying; the
/// owner may waive what was charged. Each charge and waiver moves the invoice's fee total in
/// the same transaction as its fee rows and its audit entry.
public enum FeeRules {
    /// Charges, for each of `ids` that is now `sent`, the fee it recorded when it was queued
    /// (the fee its message stated, whatever the config says today), audited
    /// `invoice.fee_charged`. A dispatch is charged at most once, so recording the same outcome
    /// again charges nothing. A paid invoice the charge leaves owing (paid while its message
    /// was on the wire) is open again: the client was told.
    public static func chargeFees(forSent ids: [Int64], in writer: some FeeWriter, audit: inout some AuditSink,
                                  context: ChangeContext) throws {
        for id in ids {
            guard let sent = try writer.sentDispatchFee(id) else { continue }
            let number = sent.invoice, fee = sent.feeMinorUnits
            // Dated as the send is (`--as-of` included); `updated_at` is the real time, as for every change.
            guard try writer.insertFee(invoice: number, dispatch: id, stage: sent.stage, amountMinorUnits: fee,
                                       chargedAt: context.effectiveNow) else { continue }
            guard var invoice = try writer.invoice(number) else { throw invoiceNotFound(number) }
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
            try writer.setFees(invoice: number, feesMinorUnits: invoice.fees.minorUnits, status: invoice.status, at: context.at)
            try audit.append(AuditRecord(.invoiceFeeCharged, invoice: number, client: invoice.clientID, stage: sent.stage,
                                         details: details))
        }
    }

    /// Waives every charged fee of the invoice not yet waived (`invoice waive`), audited
    /// `invoice.fee_waived` with the amount, the stages and the reason. An invoice the waiver
    /// leaves owing nothing becomes `paid`, as a payment would make it (a cancelled one stays
    /// cancelled). Nothing to waive, or an unknown invoice, is 65. Returns the amount waived
    /// and the invoice after it.
    public static func waiveFees(invoice number: String, reason: String?, in writer: some FeeWriter,
                                 audit: inout some AuditSink, context: ChangeContext) throws -> (waived: Money, invoice: Invoice) {
        guard var invoice = try writer.invoice(number) else { throw invoiceNotFound(number) }
        let unwaived = try writer.unwaivedFees(invoice: number)
        let stages = unwaived.map(\.stage), total = unwaived.reduce(Int64(0)) { $0 + $1.amountMinorUnits }
        guard total > 0 else { throw OverdueError(.dataError, "invoice \(number): has no charged fees to waive") }
        try writer.waiveFees(invoice: number, reason: reason, at: context.at)
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
        try writer.setFees(invoice: number, feesMinorUnits: invoice.fees.minorUnits, status: invoice.status, at: context.at)
        try audit.append(AuditRecord(.invoiceFeeWaived, invoice: number, client: invoice.clientID, details: details))
        return (waived, invoice)
    }
}
