/// Whether the ladder works (`overdue report summary`), over a period of local dates.
///
/// - Days sales outstanding, per currency: `receivable / sales × days`, where `receivable` is
///   the open balance at the end of the period (open and escalated invoices), `sales` the
///   amounts of invoices issued in the period (cancelled ones left out) and `days` the period's
///   length; one decimal, rounded half up, exact integer arithmetic. None without sales.
/// - Collected after a reminder: each recorded payment in the period goes to the last client
///   email of its invoice sent on or before the payment's date (or to "before any reminder").
///   Amounts marked paid by an import carry no date and are not attributed.
public enum LadderSummary {
    public struct Collected: Sendable, Equatable {
        /// Nil: paid before any reminder was sent.
        public var stage: String?
        public var currency: Currency
        public var minorUnits: Int64
        public var payments: Int
    }

    /// The stage a payment made on `paidOn` follows: the last sent client email on or before it.
    public static func stage(before paidOn: LocalDate, in dispatches: [Dispatch]) -> String? {
        dispatches.filter { $0.action == .email && $0.state == .sent && $0.localDate <= paidOn }
            .max { ($0.localDate, $0.id) < ($1.localDate, $1.id) }?.stage
    }

    /// Adds the invoice's payments dated in `period` to `into`, keyed by stage and currency.
    public static func collect(_ payments: [Payment], dispatches: [Dispatch], period: ClosedRange<LocalDate>,
                               into totals: inout [Collected]) {
        for payment in payments where period.contains(payment.paidOn) {
            let stage = stage(before: payment.paidOn, in: dispatches)
            if let index = totals.firstIndex(where: { $0.stage == stage && $0.currency == payment.amount.currency }) {
                totals[index].minorUnits = totals[index].minorUnits.saturatingAdding(payment.amount.minorUnits)
                totals[index].payments += 1
            } else {
                totals.append(Collected(stage: stage, currency: payment.amount.currency, minorUnits: payment.amount.minorUnits, payments: 1))
            }
        }
    }

    /// Days sales outstanding to one decimal ("42.5"), or nil when there were no sales or the
    /// product does not fit.
    public static func daysSalesOutstanding(receivable: Int64, sales: Int64, days: Int) -> String? {
        guard sales > 0, receivable >= 0 else { return nil }
        let (scaled, overflow) = receivable.multipliedReportingOverflow(by: Int64(days) * 10)
        guard !overflow else { return nil }
        let (rounded, overflow2) = scaled.addingReportingOverflow(sales / 2)
        guard !overflow2 else { return nil }
        let tenths = rounded / sales
        return "\(tenths / 10).\(tenths % 10)"
    }
}
